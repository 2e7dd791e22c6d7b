"""Login: password policy, lockout and unlock, idle timeout, second factor."""

from datetime import timedelta

import time_machine
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from guazhi.core.models import AuditEntry, SiteSettings, User
from guazhi.testing import PASSWORD, BaseTestCase, current_totp


class LoginTests(BaseTestCase):
    def post_login(self, username, password):
        return self.client.post("/login/", {"username": username, "password": password})

    def test_it_logs_in_with_the_right_password(self):
        response = self.post_login("bob", PASSWORD)
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/").status_code, 200)

    def test_it_refuses_a_wrong_password_with_a_chinese_message(self):
        response = self.post_login("bob", "wrong")
        self.assertContains(response, "用户名或密码错误")
        self.assertContains(response, "再失败 4 次")

    def test_it_redirects_anonymous_visitors_to_login(self):
        response = self.client.get("/users/")
        self.assertRedirects(response, "/login/?next=/users/", fetch_redirect_response=False)

    def test_it_ignores_an_offsite_next_url(self):
        response = self.client.post(
            "/login/?next=https://evil.example/",
            {"username": "bob", "password": PASSWORD, "next": "https://evil.example/"},
        )
        self.assertEqual(response["Location"], "/")

    def test_logout_needs_post(self):
        self.login(self.bob)
        self.assertEqual(self.client.get("/logout/").status_code, 405)
        self.client.post("/logout/")
        self.assertEqual(self.client.get("/").status_code, 302)


class LockoutTests(BaseTestCase):
    def fail(self, times, username="bob"):
        for _ in range(times):
            response = self.client.post("/login/", {"username": username, "password": "nope"})
        return response

    def test_five_failures_lock_the_account(self):
        response = self.fail(5)
        self.assertContains(response, "已被锁定")
        self.assertContains(response, "15 分钟")
        self.bob.refresh_from_db()
        self.assertTrue(self.bob.is_locked())

    def test_four_failures_do_not_lock(self):
        self.fail(4)
        self.bob.refresh_from_db()
        self.assertFalse(self.bob.is_locked())

    def test_locked_account_refuses_even_the_right_password(self):
        self.fail(5)
        response = self.client.post("/login/", {"username": "bob", "password": PASSWORD})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "已被锁定")

    def test_lock_expires_after_the_configured_minutes(self):
        self.fail(5)
        with time_machine.travel(timezone.now() + timedelta(minutes=16)):
            response = self.client.post("/login/", {"username": "bob", "password": PASSWORD})
        self.assertEqual(response.status_code, 302)

    def test_lock_still_holds_before_the_minutes_pass(self):
        self.fail(5)
        with time_machine.travel(timezone.now() + timedelta(minutes=14)):
            response = self.client.post("/login/", {"username": "bob", "password": PASSWORD})
        self.assertContains(response, "已被锁定")

    def test_success_resets_the_failure_count(self):
        self.fail(4)
        self.client.post("/login/", {"username": "bob", "password": PASSWORD})
        self.bob.refresh_from_db()
        self.assertEqual(self.bob.failed_login_count, 0)

    def test_limit_and_minutes_follow_the_site_settings(self):
        SiteSettings.objects.create(pk=1, login_failure_limit=3, lockout_minutes=60)
        response = self.fail(3)
        self.assertContains(response, "60 分钟")

    def test_system_administrator_unlocks_an_account(self):
        self.fail(5)
        self.login(self.sam)
        response = self.client.post(f"/users/{self.bob.pk}/unlock/")
        self.assertEqual(response.status_code, 302)
        self.bob.refresh_from_db()
        self.assertFalse(self.bob.is_locked())
        self.assertTrue(AuditEntry.objects.filter(action="unlock", object_id=str(self.bob.pk)))

    def test_security_administrator_cannot_unlock(self):
        self.fail(5)
        self.login(self.sid)
        self.assertEqual(self.client.post(f"/users/{self.bob.pk}/unlock/").status_code, 403)
        self.bob.refresh_from_db()
        self.assertTrue(self.bob.is_locked())

    def test_business_officer_cannot_unlock(self):
        self.fail(5)
        self.login(self.alice)
        self.assertEqual(self.client.post(f"/users/{self.bob.pk}/unlock/").status_code, 403)


class IdleTimeoutTests(BaseTestCase):
    def test_session_ends_after_thirty_idle_minutes(self):
        with time_machine.travel(timezone.now(), tick=False) as clock:
            self.login(self.bob)
            clock.shift(timedelta(minutes=31))
            response = self.client.get("/users/")
            self.assertEqual(response.status_code, 302)
            self.assertTrue(response["Location"].startswith("/login/"))
            page = self.client.get(response["Location"]).content.decode()
            self.assertIn("30 分钟未操作", page)
        self.assertTrue(
            AuditEntry.objects.filter(action="logout", message="空闲超时自动退出").exists()
        )

    def test_activity_keeps_the_session_alive(self):
        with time_machine.travel(timezone.now(), tick=False) as clock:
            self.login(self.bob)
            for _ in range(3):
                clock.shift(timedelta(minutes=20))
                self.assertEqual(self.client.get("/users/").status_code, 200)

    def test_requests_within_a_minute_do_not_rewrite_the_session(self):
        with time_machine.travel(timezone.now(), tick=False) as clock:
            self.login(self.bob)
            self.client.get("/users/")
            clock.shift(timedelta(seconds=30))
            with CaptureQueriesContext(connection) as quiet:
                self.assertEqual(self.client.get("/users/").status_code, 200)
            clock.shift(timedelta(seconds=31))
            with CaptureQueriesContext(connection) as refreshed:
                self.assertEqual(self.client.get("/users/").status_code, 200)
        writes = [q["sql"] for q in quiet.captured_queries if "UPDATE" in q["sql"]]
        self.assertFalse([sql for sql in writes if "django_session" in sql])
        writes = [q["sql"] for q in refreshed.captured_queries if "UPDATE" in q["sql"]]
        self.assertTrue([sql for sql in writes if "django_session" in sql])

    def test_htmx_requests_are_redirected_with_a_header(self):
        with time_machine.travel(timezone.now(), tick=False) as clock:
            self.login(self.bob)
            clock.shift(timedelta(minutes=45))
            response = self.client.get("/users/", headers={"HX-Request": "true"})
        self.assertTrue(response["HX-Redirect"].startswith("/login/"))


class PasswordPolicyTests(BaseTestCase):
    def check(self, password, user=None):
        password_validation.validate_password(password, user or self.bob)

    def test_it_accepts_a_strong_password(self):
        self.check("Shenyang-2026")

    def test_it_refuses_fewer_than_eight_characters(self):
        with self.assertRaisesMessage(ValidationError, "至少需要 8 个字符"):
            self.check("Ab1-x")

    def test_it_refuses_two_character_classes(self):
        with self.assertRaisesMessage(ValidationError, "至少 3 类"):
            self.check("shenyangbeijing2026")

    def test_it_refuses_the_user_name_inside(self):
        with self.assertRaisesMessage(ValidationError, "不能包含用户名"):
            self.check("Bob-2026-xyz")

    def test_hashes_are_argon2(self):
        self.assertTrue(User.objects.get(pk=self.bob.pk).password.startswith("argon2$argon2id$"))

    def test_changing_password_enforces_the_policy(self):
        self.login(self.bob)
        response = self.client.post(
            "/me/", {"old_password": PASSWORD, "new_password": "simple", "new_password2": "simple"}
        )
        self.assertContains(response, "至少需要 8 个字符")
        self.bob.refresh_from_db()
        self.assertTrue(self.bob.check_password(PASSWORD))


class SecondFactorTests(BaseTestCase):
    def test_administrator_without_device_must_enrol_before_entering(self):
        response = self.client.post("/login/", {"username": "sam", "password": PASSWORD})
        self.assertRedirects(response, "/login/otp/setup/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/users/").status_code, 302)  # not logged in yet
        page = self.client.get("/login/otp/setup/")
        self.assertContains(page, "<svg")
        device = TOTPDevice.objects.get(user=self.sam, confirmed=False)
        response = self.client.post("/login/otp/setup/", {"token": current_totp(device)})
        self.assertRedirects(response, "/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/users/").status_code, 200)

    def test_administrator_with_device_is_asked_for_a_code(self):
        device = TOTPDevice.objects.create(user=self.sam, name="x", confirmed=True)
        response = self.client.post("/login/", {"username": "sam", "password": PASSWORD})
        self.assertRedirects(response, "/login/otp/", fetch_redirect_response=False)
        with time_machine.travel(timezone.now(), tick=False) as clock:
            wrong = "000000" if current_totp(device) != "000000" else "111111"
            bad = self.client.post("/login/otp/", {"token": wrong})
            self.assertContains(bad, "验证码不正确")
            too_soon = self.client.post("/login/otp/", {"token": current_totp(device)})
            self.assertContains(too_soon, "稍等")
            clock.shift(timedelta(seconds=3))
            device.refresh_from_db()
            good = self.client.post("/login/otp/", {"token": current_totp(device)})
        self.assertRedirects(good, "/", fetch_redirect_response=False)

    def test_otp_page_without_password_step_goes_back_to_login(self):
        self.assertRedirects(
            self.client.get("/login/otp/"), "/login/", fetch_redirect_response=False
        )

    def test_business_user_logs_in_without_second_factor_by_default(self):
        response = self.client.post("/login/", {"username": "bob", "password": PASSWORD})
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_business_user_who_enabled_second_factor_is_asked_for_it(self):
        TOTPDevice.objects.create(user=self.bob, name="x", confirmed=True)
        response = self.client.post("/login/", {"username": "bob", "password": PASSWORD})
        self.assertRedirects(response, "/login/otp/", fetch_redirect_response=False)

    def test_business_user_may_turn_second_factor_off_but_administrator_may_not(self):
        TOTPDevice.objects.create(user=self.bob, name="x", confirmed=True)
        self.login(self.bob)
        self.client.post("/me/otp/disable/")
        self.assertFalse(TOTPDevice.objects.filter(user=self.bob).exists())
        self.login(self.sam)
        response = self.client.post("/me/otp/disable/", follow=True)
        self.assertContains(response, "必须使用双因素认证")
        self.assertTrue(TOTPDevice.objects.filter(user=self.sam, confirmed=True).exists())


class PendingSecondFactorTests(BaseTestCase):
    def test_the_password_step_expires_after_five_minutes(self):
        device = TOTPDevice.objects.create(user=self.sam, name="x", confirmed=True)
        with time_machine.travel(timezone.now(), tick=False) as clock:
            self.client.post("/login/", {"username": "sam", "password": PASSWORD})
            clock.shift(timedelta(minutes=6))
            response = self.client.post("/login/otp/", {"token": current_totp(device)})
        self.assertRedirects(response, "/login/", fetch_redirect_response=False)
        self.assertEqual(self.client.get("/users/").status_code, 302)
