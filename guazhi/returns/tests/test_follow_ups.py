"""Follow-up evaluations: not earlier than 30 days before due (and the officer is told from
when), corrections later are audited, and only officers covering the home unit evaluate."""

from __future__ import annotations

from datetime import date

import time_machine

from guazhi.core.models import AuditEntry

from .. import services
from .helpers import ReturnsTestCase


class FollowUpTests(ReturnsTestCase):
    def setUp(self):
        self.finish(self.wang_p)
        self.record = self.record_return(self.wang_p)
        self.six = self.record.follow_ups.get(months=6)  # due 2028-09-10

    def evaluate(self, done_on, by=None, **extra):
        return services.follow_up_evaluate(
            follow_up=self.six,
            by=by or self.bob,
            done_on=done_on,
            result=extra.get("result", "good"),
            evaluation=extra.get("evaluation", "返岗后牵头项目对接，成效明显"),
            today=extra.get("today", date(2028, 12, 31)),
        )

    def test_a_follow_up_done_too_early_is_refused_and_says_from_when(self):
        with self.assertRaisesMessage(
            services.ReturnError, "应于 2028-09-10 进行，最早可于 2028-08-11 起评价"
        ):
            self.evaluate(date(2028, 8, 10))
        self.six.refresh_from_db()
        self.assertIsNone(self.six.done_on)

    def test_a_follow_up_from_30_days_before_it_is_due_is_accepted(self):
        fu = self.evaluate(date(2028, 8, 11))
        self.assertEqual(
            (fu.done_on, fu.result, fu.evaluated_by), (date(2028, 8, 11), "good", self.bob)
        )

    def test_an_evaluation_in_the_future_or_without_result_or_text_is_refused(self):
        with self.assertRaisesMessage(services.ReturnError, "评价日期不能晚于今天"):
            self.evaluate(date(2028, 9, 10), today=date(2028, 9, 1))
        with self.assertRaisesMessage(services.ReturnError, "请选择评价结果"):
            self.evaluate(date(2028, 9, 10), result="")
        with self.assertRaisesMessage(services.ReturnError, "请填写评价意见"):
            self.evaluate(date(2028, 9, 10), evaluation="  ")

    def test_an_evaluation_can_be_corrected_later_and_the_change_is_audited(self):
        self.evaluate(date(2028, 9, 10))
        self.evaluate(date(2028, 9, 10), by=self.alice, result="fair", evaluation="较好")
        self.six.refresh_from_db()
        self.assertEqual((self.six.result, self.six.evaluated_by), ("fair", self.alice))
        updates = AuditEntry.objects.filter(
            object_type="returns.followup", object_id=str(self.six.pk), action="update"
        )
        self.assertEqual(updates.count(), 2)
        self.assertEqual(updates.order_by("seq").last().changes["result"], ["good", "fair"])

    def test_officers_outside_the_home_unit_and_readers_cannot_evaluate(self):
        for user in (self.eve, self.carol, self.dave):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.ReturnError, "无权评价该干部"),
            ):
                self.evaluate(date(2028, 9, 10), by=user)


class FollowUpPageTests(ReturnsTestCase):
    def setUp(self):
        self.finish(self.wang_p)
        self.record = self.record_return(self.wang_p)
        self.six = self.record.follow_ups.get(months=6)
        self.url = f"/returns/follow-ups/{self.six.pk}/"

    @time_machine.travel("2028-08-01")
    def test_the_page_tells_from_when_and_refuses_an_early_evaluation(self):
        self.login(self.bob)
        page = self.client.get(f"/returns/placement/{self.wang_p.pk}/").content.decode()
        self.assertIn("可于 2028-08-11 起评价", page)
        response = self.client.post(
            self.url, {"done_on": "2028-08-01", "result": "good", "evaluation": "好"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "最早可于 2028-08-11 起评价")
        self.six.refresh_from_db()
        self.assertIsNone(self.six.done_on)

    @time_machine.travel("2028-09-12")
    def test_the_officer_evaluates_through_the_page(self):
        self.login(self.bob)
        response = self.client.post(
            self.url, {"done_on": "2028-09-12", "result": "fair", "evaluation": "表现较好"}
        )
        self.assertRedirects(response, f"/returns/placement/{self.wang_p.pk}/")
        self.six.refresh_from_db()
        self.assertEqual(self.six.result, "fair")
        page = self.client.get(f"/returns/placement/{self.wang_p.pk}/").content.decode()
        self.assertIn("表现较好", page)
        self.assertIn("修改评价", page)

    def test_another_district_gets_404_and_the_sending_unit_403(self):
        self.login(self.eve)
        self.assertEqual(self.client.get(self.url).status_code, 404)
        self.login(self.carol)
        self.assertEqual(self.client.get(self.url).status_code, 403)
        page = self.client.get(f"/returns/placement/{self.wang_p.pk}/").content.decode()
        self.assertNotIn("填写评价", page)
