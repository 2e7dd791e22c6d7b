"""三员分立: the system, security and audit administrators each do one job, and none reads
business records."""

from guazhi.core.models import Role, User
from guazhi.core.roles import ADMIN_GRANTS, BUSINESS_GRANTS
from guazhi.testing import PASSWORD, BaseTestCase


class SystemAdministratorTests(BaseTestCase):
    def test_it_creates_an_account(self):
        self.login(self.sam)
        response = self.client.post(
            "/users/new/",
            {
                "username": "newbie",
                "full_name": "新人",
                "unit": self.heping_fgj.pk,
                "password": "Shenyang-2026",
                "mobile": "＋86 138 0013 8000",
            },
        )
        self.assertEqual(response.status_code, 302)
        user = User.objects.get(username="newbie")
        self.assertEqual(user.mobile, "13800138000")
        self.assertFalse(user.roles.exists())

    def test_account_creation_refuses_a_weak_password_and_writes_nothing(self):
        self.login(self.sam)
        response = self.client.post(
            "/users/new/",
            {
                "username": "newbie",
                "full_name": "新人",
                "unit": self.heping_fgj.pk,
                "password": "newbie123",
            },
        )
        self.assertContains(response, "不能包含用户名")
        self.assertFalse(User.objects.filter(username="newbie").exists())

    def test_account_creation_refuses_a_bad_mobile_number(self):
        self.login(self.sam)
        response = self.client.post(
            "/users/new/",
            {
                "username": "newbie",
                "full_name": "新人",
                "unit": self.heping_fgj.pk,
                "password": "Shenyang-2026",
                "mobile": "12345",
            },
        )
        self.assertContains(response, "手机号“12345”格式不正确")

    def test_it_changes_site_settings(self):
        self.login(self.sam)
        response = self.client.post(
            "/settings/",
            {
                "site_name": "平台",
                "login_failure_limit": 6,
                "lockout_minutes": 30,
                "idle_timeout_minutes": 20,
            },
        )
        self.assertEqual(response.status_code, 302)

    def test_site_settings_refuse_out_of_range_values(self):
        self.login(self.sam)
        response = self.client.post(
            "/settings/",
            {
                "site_name": "平台",
                "login_failure_limit": 1,
                "lockout_minutes": 30,
                "idle_timeout_minutes": 20,
            },
        )
        self.assertContains(response, "锁定次数应在 3 到 20 之间")

    def test_it_cannot_assign_roles(self):
        self.login(self.sam)
        response = self.client.post(f"/users/{self.bob.pk}/roles/", {"roles": []})
        self.assertEqual(response.status_code, 403)

    def test_it_cannot_read_the_audit_log(self):
        self.login(self.sam)
        self.assertEqual(self.client.get("/audit/").status_code, 403)


class SecurityAdministratorTests(BaseTestCase):
    def test_it_assigns_roles(self):
        self.login(self.sid)
        leader = Role.objects.get(code="leader")
        response = self.client.post(f"/users/{self.bob.pk}/roles/", {"roles": [leader.pk]})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(list(self.bob.roles.all()), [leader])

    def test_it_cannot_combine_an_administrator_role_with_a_business_role(self):
        self.login(self.sid)
        roles = Role.objects.filter(code__in=["auditor", "org_officer"])
        response = self.client.post(
            f"/users/{self.bob.pk}/roles/", {"roles": [r.pk for r in roles]}
        )
        self.assertContains(response, "三员分立")
        self.assertEqual(list(self.bob.roles.values_list("code", flat=True)), ["district_officer"])

    def test_it_cannot_combine_two_administrator_roles(self):
        self.login(self.sid)
        roles = Role.objects.filter(code__in=["auditor", "sysadmin"])
        response = self.client.post(
            f"/users/{self.bob.pk}/roles/", {"roles": [r.pk for r in roles]}
        )
        self.assertContains(response, "三员分立")

    def test_it_cannot_change_its_own_roles(self):
        self.login(self.sid)
        auditor = Role.objects.get(code="auditor")
        response = self.client.post(f"/users/{self.sid.pk}/roles/", {"roles": [auditor.pk]})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "不能修改自己的角色")
        self.assertEqual(list(self.sid.roles.values_list("code", flat=True)), ["secadmin"])

    def test_it_edits_a_business_role(self):
        self.login(self.sid)
        role = Role.objects.get(code="leader")
        response = self.client.post(
            f"/roles/{role.pk}/edit/",
            {"code": "leader", "name": "领导", "scope": "all", "description": "只读"},
        )
        self.assertEqual(response.status_code, 302)
        role.refresh_from_db()
        self.assertEqual(role.scope, "all")

    def test_it_cannot_give_a_business_role_an_administrator_permission(self):
        from django.contrib.auth.models import Permission

        self.login(self.sid)
        role = Role.objects.get(code="leader")
        perm = Permission.objects.get(codename="view_auditentry")
        response = self.client.post(
            f"/roles/{role.pk}/edit/",
            {"code": "leader", "name": "领导", "scope": "subtree", "permissions": [perm.pk]},
        )
        self.assertContains(response, "管理员专属权限")
        self.assertFalse(role.permissions.filter(pk=perm.pk).exists())

    def test_it_cannot_edit_an_administrator_role(self):
        self.login(self.sid)
        role = Role.objects.get(code="auditor")
        response = self.client.post(
            f"/roles/{role.pk}/edit/", {"code": "auditor", "name": "审计管理员", "scope": "all"}
        )
        self.assertContains(response, "不能修改")

    def test_it_cannot_create_accounts(self):
        self.login(self.sid)
        self.assertEqual(self.client.get("/users/new/").status_code, 403)

    def test_it_cannot_read_the_audit_log(self):
        self.login(self.sid)
        self.assertEqual(self.client.get("/audit/").status_code, 403)

    def test_business_officer_cannot_manage_roles(self):
        self.login(self.alice)
        self.assertEqual(self.client.get("/roles/").status_code, 403)
        self.assertEqual(self.client.post(f"/users/{self.bob.pk}/roles/", {}).status_code, 403)


class AuditorTests(BaseTestCase):
    def test_it_reads_the_audit_log(self):
        self.login(self.aud)
        self.assertEqual(self.client.get("/audit/").status_code, 200)

    def test_it_cannot_list_users_or_units(self):
        self.login(self.aud)
        self.assertEqual(self.client.get("/users/").status_code, 403)
        self.assertEqual(self.client.get("/units/").status_code, 403)
        self.assertEqual(self.client.get(f"/users/{self.bob.pk}/").status_code, 404)

    def test_it_cannot_change_settings(self):
        self.login(self.aud)
        self.assertEqual(self.client.get("/settings/").status_code, 403)


class SeparationTests(BaseTestCase):
    def test_administrator_roles_hold_exactly_their_fixed_permissions(self):
        for code, perms in ADMIN_GRANTS.items():
            role = Role.objects.get(code=code)
            held = {f"{p.content_type.app_label}.{p.codename}" for p in role.permissions.all()}
            self.assertEqual(held, set(perms), code)

    def test_no_administrator_holds_a_business_permission(self):
        platform = {p for perms in ADMIN_GRANTS.values() for p in perms}
        business = {p for perms in BUSINESS_GRANTS.values() for p in perms} - platform
        for admin in (self.sam, self.sid, self.aud):
            self.assertFalse(admin.get_all_permissions() & business, admin.username)

    def test_superuser_flag_grants_nothing(self):
        User.objects.filter(pk=self.dave.pk).update(is_superuser=True)
        dave = User.objects.get(pk=self.dave.pk)
        self.assertFalse(dave.has_perm("core.view_auditentry"))
        self.assertFalse(dave.has_perm("core.change_sitesettings"))

    def test_only_the_auditor_menu_shows_the_audit_log(self):
        self.login(self.aud)
        self.assertContains(self.client.get("/"), "/audit/")
        self.login(self.sam)
        self.assertNotContains(self.client.get("/"), "/audit/")

    def test_administrator_api_tokens_are_refused(self):
        response = self.client.post(
            "/api/v1/auth/token/", {"username": "aud", "password": PASSWORD}
        )
        self.assertIn(response.status_code, (401, 403))
        self.assertIn("双因素", response.json()["detail"])


class PlatformRecordPermissionTests(BaseTestCase):
    """Org units and accounts are the system administrator's; others are refused."""

    def test_only_the_system_administrator_creates_units(self):
        self.login(self.alice)
        self.assertEqual(self.client.get("/units/new/").status_code, 403)
        self.login(self.sam)
        self.assertEqual(self.client.get("/units/new/").status_code, 200)

    def test_business_officer_cannot_edit_a_unit_it_can_see(self):
        self.login(self.bob)
        self.assertEqual(self.client.get(f"/units/{self.heping_fgj.pk}/edit/").status_code, 403)

    def test_unit_cannot_be_moved_under_its_own_child(self):
        self.login(self.sam)
        response = self.client.post(
            f"/units/{self.heping.pk}/edit/",
            {
                "name": self.heping.name,
                "code": self.heping.code,
                "kind": "org_dept",
                "parent": self.heping_fgj.pk,
                "sort_order": 0,
                "is_active": "on",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.heping.refresh_from_db()
        self.assertEqual(self.heping.parent_id, self.city.pk)

    def test_security_administrator_cannot_edit_accounts(self):
        self.login(self.sid)
        self.assertEqual(self.client.get(f"/users/{self.bob.pk}/edit/").status_code, 403)

    def test_system_administrator_cannot_manage_roles(self):
        self.login(self.sam)
        self.assertEqual(self.client.get("/roles/").status_code, 403)
        self.assertEqual(self.client.get("/roles/new/").status_code, 403)
