"""The public side of deeds, through HTTP as a citizen's phone would use it: the disclosure list
and a deed's page without personal data, rating with a verified phone (codes, limits, one
rating per phone), the QR code, the panel member's link, re-rating after a rectification,
and the JSON endpoints of the public submission."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from unittest import mock
from xml.etree import ElementTree

import qrcode
import qrcode.image.svg
import time_machine
from django.db import connection
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from guazhi.cadres.tests.factories import make_cadre
from guazhi.core import audit
from guazhi.core.models import AuditEntry

from .. import public, services, sms
from ..models import Deed, Evidence, Level, PanelMember, PhoneCode, Rating, Rectification
from .helpers import DeedsTestCase

NOW = datetime(2027, 6, 1, 10, 0, tzinfo=timezone.get_fixed_timezone(480))  # a Tuesday
PHONE = "13912345678"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)
LEVEL_LABELS = ["非常满意", "满意", "基本满意", "不满意", "非常不满意"]


def broken_gateway(mobile: str, code: str) -> None:
    raise ConnectionError("gateway down")


def wrong(code: str) -> str:
    return "000000" if code != "000000" else "111111"


@time_machine.travel(NOW, tick=False)
class PublicTestCase(DeedsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(NOW, tick=False):
            cls.cadre = make_cadre(cls.heping_fgj, "周建国")
            cls.pipes = cls.deed(cadre=cls.cadre)
            services.target_save(
                deed=cls.pipes, by=cls.alice, name="更换供水管网", unit_label="米", planned=800
            )
            cls.school = cls.deed(
                "组建紧密型教育集团",
                category="education",
                location="浑南区",
                unit=cls.hunnan_kjj,
                urgent=False,
            )
            target = services.target_save(
                deed=cls.school, by=cls.alice, name="教育集团", unit_label="个", planned=22
            )
            services.evidence_add(
                deed=cls.school,
                by=cls.eve,
                day=date(2027, 5, 20),
                note="第二批 6 个教育集团挂牌",
                target=target,
                value=Decimal(16),
            )
            cls.member = services.panel_member_add(
                by=cls.alice, name="王秀兰", community="文萃小区", mobile="13800001111"
            )

    def url(self, deed=None, suffix=""):
        return f"/public/deeds/{(deed or self.pipes).public_key}/{suffix}"

    def api(self, deed=None, what="ratings"):
        return f"/api/v1/public/deeds/{(deed or self.pipes).public_key}/{what}/"

    def code(self, phone=PHONE, client="127.0.0.1") -> str:
        return services.code_request(mobile=phone, client=client)

    def rate(self, level=Level.GOOD, phone=PHONE, deed=None, code=None, comment=""):
        code = code or self.code(phone)
        return self.client.post(
            self.url(deed),
            {"level": level, "mobile": phone, "code": code, "comment": comment},
            HTTP_USER_AGENT=IPHONE,
        )


class DeedPageRatingTests(PublicTestCase):
    def test_a_citizen_opens_the_page_on_a_phone_and_sees_the_form_with_five_levels(self):
        response = self.client.get(self.url(), HTTP_USER_AGENT=IPHONE)
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        self.assertIn('name="viewport"', html)
        self.assertIn("老旧小区管网改造", html)
        self.assertIn("和平区发改局", html)
        self.assertIn("更换供水管网", html)
        for value, label in zip([5, 4, 3, 2, 1], LEVEL_LABELS, strict=True):
            self.assertIn(f'name="level" id="level-{value}" value="{value}"', html)
            self.assertIn(f">{label}</label>", html)
        self.assertIn('name="mobile"', html)
        self.assertIn('name="code"', html)
        self.assertIn("获取验证码", html)
        self.assertIn(f'formaction="{self.url(suffix="code/")}#rate"', html)
        self.assertIn(f'data-code-url="{self.api(what="code")}"', html)
        self.assertIn("扫码评价", html)
        self.assertIn(f'src="{self.url(suffix="qr.svg")}"', html)

    def test_a_citizen_gets_the_code_without_javascript_and_rates(self):
        response = self.client.post(
            self.url(suffix="code/"),
            {"level": "4", "mobile": PHONE, "comment": "修得快"},
            HTTP_USER_AGENT=IPHONE,
        )
        self.assertEqual(response.status_code, 200)
        html = response.content.decode()
        match = re.search(r"演示环境：验证码为 (\d{6})（正式环境通过短信发送）", html)
        self.assertIsNotNone(match, "the demo shows the code")
        # What he typed is kept; the chosen level stays checked.
        self.assertIn('value="4" autocomplete="off" checked', html)
        self.assertIn("修得快", html)
        response = self.client.post(
            self.url(),
            {"level": "4", "mobile": PHONE, "code": match[1], "comment": "修得快"},
            HTTP_USER_AGENT=IPHONE,
        )
        self.assertRedirects(response, self.url() + "?rated=ok#rate", fetch_redirect_response=False)
        rating = Rating.objects.get(deed=self.pipes)
        self.assertEqual((rating.level, rating.channel, rating.comment), (4, "public", "修得快"))
        thanks = self.client.get(self.url() + "?rated=ok").content.decode()
        self.assertIn("感谢您的评价", thanks)
        self.assertNotIn('name="code"', thanks)

    @override_settings(GUAZHI_SMS_BACKEND="memory")
    def test_the_code_goes_to_the_configured_backend(self):
        sms.outbox.clear()
        self.client.post(self.url(suffix="code/"), {"mobile": "+86 139-1234-5678"})
        self.assertEqual(len(sms.outbox), 1)
        self.assertEqual(sms.outbox[0][0], PHONE)
        self.assertEqual(PhoneCode.objects.count(), 1)

    @override_settings(GUAZHI_SMS_BACKEND="guazhi.deeds.tests.test_public.broken_gateway")
    def test_a_failing_gateway_is_reported_in_chinese(self):
        with self.assertLogs("guazhi.deeds.sms", "ERROR"):
            response = self.client.post(self.url(suffix="code/"), {"mobile": PHONE})
        self.assertContains(response, "验证码短信发送失败，请稍后再试")
        self.assertNotRegex(response.content.decode(), r"验证码为 \d{6}")
        with (
            time_machine.travel(NOW + timedelta(minutes=2), tick=False),
            self.assertLogs("guazhi.deeds.sms", "ERROR"),
        ):
            response = self.client.post(
                self.api(what="code"), {"mobile": PHONE}, content_type="application/json"
            )
        self.assertEqual(response.status_code, 503)
        self.assertIn("mobile", response.json())

    def test_the_console_backend_logs_the_code_with_the_phone_masked(self):
        with self.assertLogs("guazhi.deeds.sms", "INFO") as logs:
            sms.send_code(PHONE, "123456")
        self.assertIn("123456", logs.output[0])
        self.assertIn("139****5678", logs.output[0])
        self.assertNotIn(PHONE, logs.output[0])

    @override_settings(PRODUCTION=True)
    def test_production_never_shows_the_code(self):
        html = self.client.post(self.url(suffix="code/"), {"mobile": PHONE}).content.decode()
        self.assertIn("验证码已发送", html)
        self.assertNotIn("演示环境", html)
        with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
            response = self.client.post(
                self.api(what="code"), {"mobile": PHONE}, content_type="application/json"
            )
        self.assertEqual(response.json(), {"sent": True})

    def test_the_same_phone_cannot_rate_a_deed_twice(self):
        self.assertEqual(self.rate(Level.GOOD).status_code, 302)
        with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
            response = self.rate(Level.VERY_BAD)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "您已评价过这件实事，每人只能评价一次")
        self.assertEqual(Rating.objects.filter(deed=self.pipes).count(), 1)
        self.assertFalse(Rectification.objects.exists())

    def test_a_client_over_the_submission_limit_is_refused(self):
        with mock.patch.object(services, "RATINGS_PER_CLIENT", (2, 60)):
            self.assertEqual(self.rate(phone="13800000001").status_code, 302)
            self.assertEqual(self.rate(phone="13800000002").status_code, 302)
            response = self.rate(phone="13800000003")
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "提交过于频繁，请稍后再试", status_code=429)
        self.assertEqual(Rating.objects.count(), 2)

    def test_a_wrong_code_is_counted_and_the_fifth_ends_the_code(self):
        code = self.code()
        for attempt in range(1, 6):
            response = self.rate(code=wrong(code))
            self.assertContains(response, "验证码不正确")
            self.assertEqual(PhoneCode.objects.get().attempts, attempt)
        response = self.rate(code=code)  # the right one, too late
        self.assertContains(response, "验证码错误次数过多，请重新获取")
        self.assertFalse(Rating.objects.exists())

    def test_a_code_expires_after_ten_minutes(self):
        code = self.code()
        with time_machine.travel(NOW + timedelta(minutes=10, seconds=1), tick=False):
            response = self.rate(code=code)
        self.assertContains(response, "验证码已过期或未获取，请重新获取")
        self.assertFalse(Rating.objects.exists())

    def test_errors_are_shown_next_to_their_field(self):
        response = self.client.post(self.url(), {"mobile": "12345", "code": "1", "level": ""})
        html = response.content.decode()
        self.assertIn('id="level-error" role="alert">请选择评价', html)
        response = self.client.post(self.url(suffix="code/"), {"mobile": "12345"})
        self.assertRegex(
            response.content.decode(),
            r'id="mobile-error" role="alert">请填写正确的 11 位手机号',
        )
        self.assertContains(response, "is-invalid")

    def test_a_bad_rating_promises_rectification_within_the_working_day_deadline(self):
        response = self.rate(Level.BAD, comment="阀门还在漏")
        self.assertRedirects(
            response, self.url() + "?rated=bad#rate", fetch_redirect_response=False
        )
        rectification = Rectification.objects.get()
        # Tuesday 1 June + 5 working days (no calendar entries): Tuesday 8 June.
        self.assertEqual(rectification.deadline, date(2027, 6, 8))
        html = self.client.get(self.url() + "?rated=bad").content.decode()
        self.assertIn("和平区发改局将在 5 个工作日内（2027-06-08 前）完成整改", html)
        self.assertIn("邀请您再次评价", html)


class DisclosureTests(PublicTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(NOW, tick=False):
            code = services.code_request(mobile=PHONE, client="c")
            services.rate_public(
                deed=cls.pipes, mobile=PHONE, code=code, level=1, comment="找周主任没人管"
            )
            services.rate_panel(
                deed=cls.pipes, member=cls.member, level=5, channel="field", comment="秀兰说好"
            )
            services.rate_panel(deed=cls.school, member=cls.member, level=3, channel="ask")

    def pages(self):
        yield self.client.get("/public/deeds/", HTTP_USER_AGENT=IPHONE)
        yield self.client.get(self.url(), HTTP_USER_AGENT=IPHONE)
        yield self.client.get(self.url(self.school), HTTP_USER_AGENT=IPHONE)

    def test_the_public_list_and_pages_show_no_rater_comment_cadre_or_panel_member(self):
        for response in self.pages():
            self.assertEqual(response.status_code, 200)
            html = response.content.decode()
            for secret in (
                PHONE,
                "139****5678",
                "13800001111",
                "138****1111",
                "王秀兰",
                "找周主任没人管",
                "秀兰说好",
                "周建国",  # the responsible cadre
                "戴夫",
                "伊芙",  # who recorded progress
                services.phone_key(PHONE),
            ):
                self.assertNotIn(secret, html)

    def test_the_pages_carry_no_inline_script_and_no_internal_link(self):
        for response in self.pages():
            html = response.content.decode()
            self.assertNotRegex(html, r"<script(?![^>]*\bsrc=)")
            self.assertNotRegex(html, r'href="/(?!public/|static/)')
            self.assertIn("script-src 'self'", response["Content-Security-Policy"])
            self.assertNotIn("unsafe-inline", response["Content-Security-Policy"])

    def test_the_list_shows_status_targets_ratings_and_rectifications(self):
        html = self.client.get("/public/deeds/").content.decode()
        self.assertIn("组建紧密型教育集团", html)
        self.assertIn("浑南区科技局", html)
        self.assertIn('<progress class="public-bar" max="100" value="73"', html)  # 16 of 22
        self.assertIn("16 / 22 个", html)
        self.assertIn("已登记", html)
        self.assertIn("2027-04-30", html)  # promised: 60 days after 1 March
        # pipes: 非常满意 1 and 非常不满意 1 → 50.0 %; one rectification, not done.
        self.assertIn('满意率 <strong class="fs-6">50.0%</strong>', html)
        self.assertIn("差评整改 1 件，已完成 0 件", html)
        self.assertIn('满意率 <strong class="fs-6">50.0%</strong>', html)

    def test_an_excluded_rating_is_not_counted(self):
        Rating.objects.filter(deed=self.pipes, level=1).update(excluded=True)
        html = self.client.get(self.url()).content.decode()
        self.assertIn("群众评价 1 条", html)
        self.assertIn('满意率 <strong class="fs-6">100.0%</strong>', html)
        self.assertIn("暂无差评整改", html)

    def test_the_list_filters_by_category_and_unit_and_says_when_nothing_matches(self):
        html = self.client.get("/public/deeds/", {"category": "education"}).content.decode()
        self.assertIn("组建紧密型教育集团", html)
        self.assertNotIn("老旧小区管网改造", html)
        html = self.client.get("/public/deeds/", {"unit": self.heping_fgj.pk}).content.decode()
        self.assertIn("老旧小区管网改造", html)
        self.assertNotIn("组建紧密型教育集团", html)
        html = self.client.get(
            "/public/deeds/", {"unit": self.heping_fgj.pk, "category": "education"}
        ).content.decode()
        self.assertIn("没有符合条件的实事", html)
        # Units without deeds are not offered.
        self.assertNotIn("北京市委组织部", html)

    def test_an_empty_disclosure_says_so(self):
        Deed.objects.all().delete()
        self.assertContains(self.client.get("/public/deeds/"), "暂无公示的实事")

    def test_the_list_is_paginated_in_a_fixed_number_of_queries(self):
        with CaptureQueriesContext(connection) as few:
            self.client.get("/public/deeds/")
        with time_machine.travel(NOW, tick=False):
            for i in range(public.PAGE_SIZE + 3):
                deed = self.deed(f"实事{i}")
                services.target_save(
                    deed=deed, by=self.alice, name="指标", unit_label="", planned=1
                )
        # count, page, targets, the ratings' aggregate, policy, the unit choices
        with self.assertNumQueries(len(few)):
            response = self.client.get("/public/deeds/")
        self.assertEqual(len(few), 6)
        self.assertContains(response, "共 25 条")
        self.assertContains(self.client.get("/public/deeds/", {"page": 2}), "第 21–25 条")

    def test_a_deeds_page_costs_six_queries(self):
        # deed, ratings (per level, bad and rectified in one), policy, progress,
        # rectifications, targets
        with self.assertNumQueries(6):
            self.client.get(self.url(self.school))

    def test_the_figures_of_a_page_are_those_of_the_service(self):
        Rating.objects.filter(deed=self.pipes, level=1).update(excluded=True)
        with time_machine.travel(NOW, tick=False):
            code = services.code_request(mobile="13700000000", client="c")
            bad = services.rate_public(deed=self.school, mobile="13700000000", code=code, level=2)
            services.rectification_done(
                rectification=bad.rectification, by=self.carol, action="已修复"
            )
            services.rerate(token=bad.rectification.rerate_token, level=4)
        ids = [self.pipes.pk, self.school.pk]
        batched = public.rating_figures_by_deed(ids)
        for deed in (self.pipes, self.school):
            self.assertEqual(
                batched[deed.pk], services.rating_figures(Rating.objects.filter(deed=deed))
            )
        self.assertEqual(batched[self.school.pk].rectified, 1)

    def test_progress_notes_are_shown_with_their_date_without_photos(self):
        Evidence.objects.filter(deed=self.school).update(photo="deeds/2027/05/x.jpg")
        html = self.client.get(self.url(self.school)).content.decode()
        self.assertIn("2027-05-20", html)
        self.assertIn("第二批 6 个教育集团挂牌", html)
        self.assertNotIn("x.jpg", html)
        self.assertNotIn("<img", html.replace('class="public-qr"', "").split("扫码评价")[0])

    def test_an_unknown_deed_is_a_chinese_404(self):
        response = self.client.get("/public/deeds/no-such-key/")
        self.assertContains(response, "找不到这件实事", status_code=404)
        self.assertEqual(self.client.get("/public/deeds/no-such-key/qr.svg").status_code, 404)


class QrCodeTests(PublicTestCase):
    def test_the_qr_code_is_an_svg_of_the_deed_page_address(self):
        response = self.client.get(self.url(suffix="qr.svg"))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/svg+xml")
        root = ElementTree.fromstring(response.content)
        self.assertEqual(root.tag, "{http://www.w3.org/2000/svg}svg")
        # The same modules as a QR code of the page's absolute address.
        expected = qrcode.make(
            f"http://testserver{self.url()}",
            image_factory=qrcode.image.svg.SvgPathFillImage,
            box_size=10,
        ).to_string()
        self.assertTrue(response.content.endswith(expected))
        other = self.client.get(self.url(self.school, "qr.svg")).content
        self.assertNotEqual(other, response.content)

    def test_the_qr_card_prints_as_a_poster(self):
        html = self.client.get(self.url()).content.decode()
        self.assertIn('class="card mb-3 public-qr-card"', html)
        self.assertIn("data-print", html)
        self.assertIn(f"http://testserver{self.url()}", html)


class PanelTests(PublicTestCase):
    def panel_url(self, token=None, deed=None):
        base = f"/public/panel/{token or self.member.token}/"
        return base + (f"{deed.public_key}/" if deed else "")

    def test_an_active_member_is_greeted_and_sees_the_deeds_to_rate(self):
        response = self.client.get(self.panel_url(), HTTP_USER_AGENT=IPHONE)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "王秀兰，您好")
        self.assertContains(response, "老旧小区管网改造")
        self.assertContains(response, self.panel_url(deed=self.school))
        self.assertEqual(response["Referrer-Policy"], "no-referrer")
        self.assertEqual(response["Cache-Control"], "no-store")
        self.assertIn("noindex", response["X-Robots-Tag"])
        self.assertNotContains(response, "138****1111")

    def test_closed_deeds_are_not_offered(self):
        closed = next(s for s in services.statuses() if s.kind == "closed")
        services.status_change(deed=self.school, to_status=closed, by=self.alice, note="撤销")
        response = self.client.get(self.panel_url())
        self.assertNotContains(response, "组建紧密型教育集团")
        self.assertEqual(self.client.get(self.panel_url(deed=self.school)).status_code, 404)

    def test_an_unknown_or_inactive_link_is_a_chinese_404(self):
        response = self.client.get(self.panel_url("no-such-token"))
        self.assertContains(response, "该评议邀请链接无效或已失效", status_code=404)
        PanelMember.objects.filter(pk=self.member.pk).update(active=False)
        for url in (self.panel_url(), self.panel_url(deed=self.pipes)):
            response = self.client.get(url)
            self.assertContains(response, "该评议邀请链接无效或已失效", status_code=404)
            self.assertNotContains(response, "王秀兰", status_code=404)
        response = self.client.post(
            self.panel_url(deed=self.pipes), {"level": 5, "channel": "field"}
        )
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Rating.objects.exists())

    def test_a_member_rates_with_the_channel_and_sees_it_marked(self):
        page = self.client.get(self.panel_url(deed=self.pipes)).content.decode()
        for label in ("实地看", "现场问", "座谈议", "网络评"):
            self.assertIn(label, page)
        self.assertNotIn("公开评价页", page)
        response = self.client.post(self.panel_url(deed=self.pipes), {"level": "5"})
        self.assertContains(response, "请选择评议方式")
        response = self.client.post(
            self.panel_url(deed=self.pipes), {"level": "5", "channel": "forum"}
        )
        self.assertRedirects(
            response,
            self.panel_url() + f"?rated={self.pipes.public_key}",
            fetch_redirect_response=False,
        )
        rating = Rating.objects.get()
        self.assertEqual(
            (rating.panel_member, rating.channel, rating.level), (self.member, "forum", 5)
        )
        html = self.client.get(response.url).content.decode()
        self.assertIn("已收到您对“老旧小区管网改造”的评价：非常满意", html)
        self.assertIn("已评价：非常满意", html)
        again = self.client.get(self.panel_url(deed=self.pipes))
        self.assertContains(again, "您已评价过这件实事：非常满意")

    def test_a_members_bad_rating_promises_rectification(self):
        self.client.post(self.panel_url(deed=self.school), {"level": "1", "channel": "field"})
        html = self.client.get(
            self.panel_url() + f"?rated={self.school.public_key}"
        ).content.decode()
        self.assertIn("浑南区科技局将在 5 个工作日内（2027-06-08 前）完成整改", html)


class RerateTests(PublicTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(NOW, tick=False):
            code = services.code_request(mobile=PHONE, client="c")
            cls.rating = services.rate_public(deed=cls.pipes, mobile=PHONE, code=code, level=1)
            cls.rect = cls.rating.rectification

    def rerate_url(self, token=None):
        return f"/public/rerate/{token or self.rect.rerate_token}/"

    def test_re_rating_is_refused_before_the_rectification_is_done(self):
        page = self.client.get(self.rerate_url())
        self.assertContains(page, "整改中")
        self.assertContains(page, "2027-06-08")
        self.assertNotContains(page, 'name="level"')
        response = self.client.post(self.rerate_url(), {"level": "5"})
        self.assertContains(response, "整改尚未完成，完成后可再次评价")
        self.rating.refresh_from_db()
        self.assertEqual((self.rating.level, self.rating.rerated_at), (1, None))

    def test_re_rating_is_accepted_once_after_the_rectification(self):
        with time_machine.travel(NOW + timedelta(days=3), tick=False):
            services.rectification_done(
                rectification=self.rect, by=self.carol, action="更换全部阀门并试压"
            )
            page = self.client.get(self.rerate_url(), HTTP_USER_AGENT=IPHONE)
            self.assertContains(page, "更换全部阀门并试压")
            self.assertContains(page, "您此前的评价：非常不满意")
            for label in LEVEL_LABELS:
                self.assertContains(page, f">{label}</label>")
            response = self.client.post(self.rerate_url(), {"level": "4", "comment": "好了"})
            self.assertRedirects(response, self.rerate_url(), fetch_redirect_response=False)
            self.assertContains(self.client.get(self.rerate_url()), "您已再次评价：满意")
            self.client.post(self.rerate_url(), {"level": "1"})
        self.rating.refresh_from_db()
        self.assertEqual((self.rating.first_level, self.rating.level), (1, 4))

    def test_an_unknown_re_rating_link_is_a_chinese_404(self):
        response = self.client.get(self.rerate_url("nope"))
        self.assertContains(response, "再评价链接无效", status_code=404)
        self.assertEqual(response["Referrer-Policy"], "no-referrer")


class JsonEndpointTests(PublicTestCase):
    def setUp(self):
        self.client = Client(enforce_csrf_checks=True)  # no CSRF token, no session needed

    def post(self, url, data, **extra):
        return self.client.post(url, data, content_type="application/json", **extra)

    def test_a_code_then_a_rating_are_created(self):
        response = self.post(self.api(what="code"), {"mobile": PHONE})
        self.assertEqual(response.status_code, 200)
        code = response.json()["demo_code"]
        response = self.post(self.api(), {"mobile": PHONE, "code": code, "level": 4})
        self.assertEqual(response.status_code, 201)
        rating = Rating.objects.get()
        self.assertEqual(response.json(), {"id": rating.pk, "level": 4})
        self.assertEqual(response["Cache-Control"], "no-store")

    def test_errors_are_400_with_the_field(self):
        response = self.post(self.api(what="code"), {"mobile": "123"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(list(response.json()), ["mobile"])
        code = self.code()
        response = self.post(self.api(), {"mobile": PHONE, "code": wrong(code), "level": 4})
        self.assertEqual((response.status_code, response.json()), (400, {"code": "验证码不正确"}))
        response = self.post(self.api(), {"mobile": PHONE, "code": code, "level": 7})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(list(response.json()), ["level"])
        response = self.post(self.api(), [1, 2])
        self.assertEqual((response.status_code, list(response.json())), (400, [""]))
        response = self.client.post(self.api(), "{", content_type="application/json")
        self.assertEqual(response.status_code, 400)

    def test_a_second_rating_by_the_same_phone_is_400(self):
        self.post(self.api(), {"mobile": PHONE, "code": self.code(), "level": 4})
        with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
            response = self.post(self.api(), {"mobile": PHONE, "code": self.code(), "level": 1})
        self.assertEqual(response.status_code, 400)
        self.assertIn("每人只能评价一次", response.json()["level"])
        self.assertEqual(Rating.objects.count(), 1)

    def test_limits_are_429(self):
        self.post(self.api(what="code"), {"mobile": PHONE})
        response = self.post(self.api(what="code"), {"mobile": PHONE})
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response["Retry-After"], "60")
        self.assertIn("1 分钟", response.json()["mobile"])
        with mock.patch.object(services, "RATINGS_PER_CLIENT", (1, 60)):
            self.post(self.api(), {"mobile": "13700000000", "code": "1", "level": 4})
            response = self.post(self.api(), {"mobile": PHONE, "code": "1", "level": 4})
        self.assertEqual(response.status_code, 429)
        self.assertEqual(response.json(), {"level": "提交过于频繁，请稍后再试"})

    def test_the_limits_count_the_client_address_given_by_the_trusted_proxy(self):
        with (
            override_settings(TRUSTED_PROXY_COUNT=1),
            mock.patch.object(services, "RATINGS_PER_CLIENT", (1, 60)),
        ):
            first = self.post(self.api(), {"level": 4}, HTTP_X_FORWARDED_FOR="10.0.0.1")
            second = self.post(self.api(), {"level": 4}, HTTP_X_FORWARDED_FOR="10.0.0.2")
            third = self.post(self.api(), {"level": 4}, HTTP_X_FORWARDED_FOR="10.0.0.1")
        self.assertEqual(
            [first.status_code, second.status_code, third.status_code], [400, 400, 429]
        )

    def test_an_unknown_deed_is_404(self):
        for what in ("code", "ratings"):
            response = self.post(f"/api/v1/public/deeds/nope/{what}/", {"mobile": PHONE})
            self.assertEqual(response.status_code, 404)
            self.assertIn("找不到这件实事", response.json()[""])
        self.assertFalse(PhoneCode.objects.exists())

    def test_only_post_is_allowed(self):
        self.assertEqual(self.client.get(self.api()).status_code, 405)

    def test_a_submission_costs_four_statements_on_postgresql_and_a_bad_one_nine(self):
        """rate_public's docstring: the deed, then in one transaction the count, the code and
        the rating (one statement on PostgreSQL, three on SQLite), and the audit entry (two
        on PostgreSQL, four on SQLite); a bad rating adds the policy, the calendar, the
        rectification and its entry."""
        services.policy()  # the row exists in production (created on first use)
        postgresql = connection.vendor == "postgresql"
        good, bad = (4, 9) if postgresql else (8, 15)

        def count(phone, level):
            code = self.code(phone, client="counting")
            with CaptureQueriesContext(connection) as queries:
                response = self.post(self.api(), {"mobile": phone, "code": code, "level": level})
            self.assertEqual(response.status_code, 201)
            # Not the savepoints: the test runs inside a transaction, where an atomic block
            # is one; in production it is the transaction itself.
            sql = [
                q["sql"] for q in queries if "SAVEPOINT" not in q["sql"].upper().split(" ", 2)[:2]
            ]
            return len(sql), "\n".join(sql)

        self.assertEqual(count("13700000001", 4)[0], good)
        self.assertEqual(count("13700000002", 1)[0], bad)
        self.assertEqual(
            AuditEntry.objects.filter(
                object_type__in=["deeds.rating", "deeds.rectification"]
            ).count(),
            3,
        )
        self.assertTrue(audit.verify().ok)

    def test_the_rating_is_stored_under_the_phone_key_and_encrypted(self):
        code = self.code()
        self.post(self.api(), {"mobile": PHONE, "code": code, "level": 5, "comment": "好"})
        rating = Rating.objects.get()
        self.assertEqual(rating.rater_key, services.phone_key(PHONE))
        self.assertEqual(services.crypto.decrypt(rating.mobile_encrypted), PHONE)
