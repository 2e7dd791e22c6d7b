"""Ratings: a verified phone or an invited panel member rates a deed once; codes are short-lived,
single-use and limited; the public endpoints are rate-limited; the rater is stored only as a
keyed hash (and the phone encrypted, for the callback). Bad ratings open a rectification,
re-rating after it counts, and an upheld appeal takes a rating out of the figures."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from unittest import mock

import time_machine
from django.utils import timezone

from .. import services
from ..models import Appeal, Level, PhoneCode, Rating, Rectification
from ..services import DeedError, Throttled
from .helpers import DeedsTestCase

NOW = datetime(2027, 6, 1, 10, 0, tzinfo=timezone.get_fixed_timezone(480))
PHONE = "13912345678"


@time_machine.travel(NOW, tick=False)
class PublicRatingTests(DeedsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(NOW, tick=False):
            cls.pipes = cls.deed()
            cls.school = cls.deed("集团化办学", category="education")

    def rate(self, deed=None, phone=PHONE, level=Level.GOOD, client="1.2.3.4", code=None):
        code = code or services.code_request(mobile=phone, client=client)
        return services.rate_public(
            deed=deed or self.pipes, mobile=phone, code=code, level=level, client=client
        )

    def test_a_verified_phone_rates_a_deed_once(self):
        rating = self.rate()
        self.assertEqual((rating.level, rating.channel), (Level.GOOD, "public"))
        with (
            time_machine.travel(NOW + timedelta(minutes=2), tick=False),
            self.assertRaises(DeedError) as caught,
        ):
            self.rate(level=Level.VERY_BAD)
        self.assertIn("每人只能评价一次", str(caught.exception))
        self.assertEqual(Rating.objects.filter(deed=self.pipes).count(), 1)
        # The same phone may rate another deed.
        with time_machine.travel(NOW + timedelta(minutes=4), tick=False):
            self.rate(deed=self.school)
        self.assertEqual(Rating.objects.count(), 2)

    def test_the_phone_is_stored_only_as_a_keyed_hash_and_encrypted(self):
        rating = self.rate()
        self.assertNotIn(PHONE, rating.rater_key)
        self.assertNotIn(PHONE, rating.mobile_encrypted)
        self.assertEqual(rating.rater_key, services.phone_key(PHONE))
        self.assertNotEqual(services.phone_key(PHONE), services.phone_key("13912345679"))
        # Written as " 139 1234 5678" or +86 it is the same rater.
        self.assertEqual(
            services.phone_key(services._check_mobile("+86 139-1234-5678")), rating.rater_key
        )

    def test_a_code_is_single_use_expires_and_allows_five_attempts(self):
        code = services.code_request(mobile=PHONE, client="c")
        with self.assertRaises(DeedError) as caught:
            services.rate_public(
                deed=self.pipes,
                mobile=PHONE,
                code="000000" if code != "000000" else "111111",
                level=4,
                client="c",
            )
        self.assertEqual(caught.exception.field, "code")
        services.rate_public(deed=self.pipes, mobile=PHONE, code=code, level=4, client="c")
        with self.assertRaises(DeedError):  # spent
            services.rate_public(deed=self.school, mobile=PHONE, code=code, level=4, client="c")
        with time_machine.travel(NOW + timedelta(minutes=2), tick=False):
            late = services.code_request(mobile=PHONE, client="c")
        with (
            time_machine.travel(NOW + timedelta(minutes=13), tick=False),
            self.assertRaises(DeedError) as caught,
        ):
            services.rate_public(deed=self.school, mobile=PHONE, code=late, level=4, client="c")
        self.assertIn("过期", str(caught.exception))
        with time_machine.travel(NOW + timedelta(minutes=20), tick=False):
            good = services.code_request(mobile=PHONE, client="c")
            wrong = "000000" if good != "000000" else "111111"
            for _ in range(5):
                with self.assertRaises(DeedError):
                    services.rate_public(
                        deed=self.school, mobile=PHONE, code=wrong, level=4, client="c"
                    )
            with self.assertRaises(DeedError) as caught:
                services.rate_public(deed=self.school, mobile=PHONE, code=good, level=4, client="c")
        self.assertIn("错误次数过多", str(caught.exception))
        self.assertEqual(Rating.objects.filter(deed=self.school).count(), 0)

    def test_codes_are_limited_per_phone_and_per_client(self):
        services.code_request(mobile=PHONE, client="a")
        with self.assertRaises(Throttled) as caught:
            services.code_request(mobile=PHONE, client="b")
        self.assertIn("1 分钟", str(caught.exception))
        with time_machine.travel(NOW + timedelta(minutes=1), tick=False):
            services.code_request(mobile=PHONE, client="b")  # the next minute: allowed
        for i in range(20 - 1):
            services.code_request(mobile=f"1380000{i:04d}", client="a")
        with self.assertRaises(Throttled):
            services.code_request(mobile="13700000000", client="a")
        self.assertEqual(PhoneCode.objects.count(), 21)

    def test_submissions_are_limited_per_client(self):
        with mock.patch.object(services, "RATINGS_PER_CLIENT", (2, 60)):
            self.rate(phone="13800000001", client="x")
            self.rate(deed=self.school, phone="13800000002", client="x")
            code = services.code_request(mobile="13800000003", client="y")
            with self.assertRaises(Throttled):
                services.rate_public(
                    deed=self.pipes, mobile="13800000003", code=code, level=5, client="x"
                )
            # Another client is not affected.
            services.rate_public(
                deed=self.pipes, mobile="13800000003", code=code, level=5, client="y"
            )

    def test_a_closed_deed_takes_no_more_ratings(self):
        closed = next(s for s in services.statuses() if s.kind == "closed")
        services.status_change(deed=self.school, to_status=closed, by=self.alice, note="合并办理")
        self.school.refresh_from_db()
        with self.assertRaises(DeedError) as caught:
            self.rate(deed=self.school)
        self.assertIn("已关闭", str(caught.exception))
        member = services.panel_member_add(by=self.alice, name="赵大姐")
        with self.assertRaises(DeedError):
            services.rate_panel(deed=self.school, member=member, level=5, channel="field")

    def test_a_bad_phone_or_level_is_refused_with_its_field(self):
        with self.assertRaises(DeedError) as caught:
            services.code_request(mobile="1391234567", client="c")
        self.assertEqual(caught.exception.field, "mobile")
        code = services.code_request(mobile=PHONE, client="c")
        with self.assertRaises(DeedError) as caught:
            services.rate_public(deed=self.pipes, mobile=PHONE, code=code, level=9, client="c")
        self.assertEqual(caught.exception.field, "level")

    def test_a_panel_member_rates_once_with_the_channel_he_used(self):
        member = services.panel_member_add(by=self.alice, name="王大爷", community="文萃小区")
        rating = services.rate_panel(deed=self.pipes, member=member, level=5, channel="field")
        self.assertEqual((rating.channel, rating.panel_member), ("field", member))
        with self.assertRaises(DeedError):
            services.rate_panel(deed=self.pipes, member=member, level=1, channel="forum")
        with self.assertRaises(DeedError) as caught:
            services.rate_panel(deed=self.school, member=member, level=5, channel="public")
        self.assertEqual(caught.exception.field, "channel")
        member.active = False
        with self.assertRaises(DeedError):
            services.rate_panel(deed=self.school, member=member, level=5, channel="ask")


@time_machine.travel(NOW, tick=False)
class RectificationTests(DeedsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(NOW, tick=False):
            cls.pipes = cls.deed()
            cls.member = services.panel_member_add(by=cls.alice, name="李阿姨", mobile=PHONE)

    def bad(self, level=Level.BAD):
        return services.rate_panel(deed=self.pipes, member=self.member, level=level, channel="ask")

    def test_a_bad_rating_opens_a_rectification_due_in_five_working_days(self):
        rating = self.bad()
        rectification = rating.rectification
        # Tuesday 2027-06-01 + 5 working days = Tuesday 2027-06-08.
        self.assertEqual(
            (rectification.opened_on, rectification.deadline, rectification.unit),
            (date(2027, 6, 1), date(2027, 6, 8), self.heping_fgj),
        )
        good = services.rate_panel(
            deed=self.deed("另一件"), member=self.member, level=Level.FAIR, channel="ask"
        )
        self.assertFalse(Rectification.objects.filter(rating=good).exists())

    def test_every_bad_rating_of_a_deed_counts_not_just_one(self):
        """rating_figures without a group once grouped by every column, so a deed with three
        bad ratings showed one."""
        others = [
            services.panel_member_add(by=self.alice, name=f"评议员{i}", mobile=f"1390000000{i}")
            for i in range(2)
        ]
        self.bad()
        for member in others:
            services.rate_panel(deed=self.pipes, member=member, level=Level.VERY_BAD, channel="ask")
        figures = services.rating_figures(Rating.objects.filter(deed=self.pipes))
        self.assertEqual((figures.bad, figures.rectified, figures.valid), (3, 0, 3))

    def test_the_deadline_skips_the_holidays_of_the_calendar(self):
        from guazhi.core.models import CalendarDay

        # 端午 on Thursday 2027-06-03 (fictional here): five working days from Tuesday 06-01
        # are 06-02, 06-04, 06-07, 06-08, 06-09.
        CalendarDay.objects.create(
            date=date(2027, 6, 3),
            kind="holiday",
            name="端午节",
            created_by=self.sam,
            updated_by=self.sam,
        )
        self.assertEqual(self.bad().rectification.deadline, date(2027, 6, 9))
        services.policy_save(by=self.alice, rectify_working_days=2)
        rating = services.rate_panel(
            deed=self.deed("另一件"), member=self.member, level=Level.VERY_BAD, channel="online"
        )
        self.assertEqual(rating.rectification.deadline, date(2027, 6, 4))

    def test_the_fix_is_done_called_back_and_rerated_once(self):
        rectification = self.bad(Level.VERY_BAD).rectification
        with self.assertRaises(DeedError):  # not done yet
            services.rerate(token=rectification.rerate_token, level=4)
        with self.assertRaises(DeedError) as caught:
            services.rectification_done(rectification=rectification, by=self.carol, action=" ")
        self.assertEqual(caught.exception.field, "action")
        services.rectification_done(rectification=rectification, by=self.carol, action="更换阀门")
        services.callback_record(
            rectification=rectification, by=self.bob, day=date(2027, 6, 1), note="居民表示已不漏水"
        )
        rating = services.rerate(
            token=rectification.rerate_token, level=Level.GOOD, comment="修好了"
        )
        self.assertEqual((rating.first_level, rating.level), (Level.VERY_BAD, Level.GOOD))
        self.assertIn("再评价：修好了", rating.comment)
        with self.assertRaises(DeedError):
            services.rerate(token=rectification.rerate_token, level=Level.VERY_GOOD)
        with self.assertRaises(DeedError):
            services.rerate(token="nonsense", level=Level.VERY_GOOD)

    def test_an_appeal_is_decided_by_someone_else_and_upheld_excludes_the_rating(self):
        rating = self.bad()
        appeal = services.appeal_file(rating=rating, by=self.carol, reason="评价人并非本小区居民")
        with self.assertRaises(DeedError):  # one pending appeal at a time
            services.appeal_file(rating=rating, by=self.carol, reason="再次申诉")
        with self.assertRaises(DeedError) as caught:
            services.appeal_decide(appeal=appeal, by=self.carol, decision="upheld", note="成立")
        self.assertIn("不能复核自己", str(caught.exception))
        services.appeal_decide(appeal=appeal, by=self.alice, decision="upheld", note="核实为误评")
        rating.refresh_from_db()
        self.assertTrue(rating.excluded)
        self.assertEqual(Rating.objects.filter(pk=rating.pk).count(), 1)  # kept in the record
        self.assertEqual(Appeal.objects.get().decision, "upheld")
        with self.assertRaises(DeedError):
            services.appeal_file(rating=rating, by=self.carol, reason="又一次")
