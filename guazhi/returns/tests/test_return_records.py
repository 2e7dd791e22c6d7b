"""Recording the return: follow-ups at the programme's months, refused while the placement is
open, twice, before its end, or outside the officer's district; corrections move the
follow-ups not yet done."""

from __future__ import annotations

from datetime import date

from guazhi.programmes.models import Placement

from .. import services
from ..models import FollowUp, ReturnRecord
from .helpers import END, RETURNED, ReturnsTestCase


class ReturnRecordTests(ReturnsTestCase):
    def test_recording_the_return_creates_follow_ups_at_6_and_12_months(self):
        self.finish(self.wang_p)
        record = self.record_return(self.wang_p)
        self.assertEqual(record.returned_on, RETURNED)
        self.assertEqual(
            list(record.follow_ups.values_list("months", "due_on", "done_on")),
            [(6, date(2028, 9, 10), None), (12, date(2029, 3, 10), None)],
        )

    def test_a_programme_set_to_3_6_12_gets_three_follow_ups(self):
        self.programme.follow_up_months = "12,3,6"
        self.programme.save()
        self.finish(self.wang_p)
        record = self.record_return(self.wang_p)
        self.assertEqual(
            list(record.follow_ups.values_list("months", "due_on")),
            [(3, date(2028, 6, 10)), (6, date(2028, 9, 10)), (12, date(2029, 3, 10))],
        )

    def test_months_are_added_clamping_the_day_to_the_month_end(self):
        self.assertEqual(services.add_months(date(2028, 8, 31), 6), date(2029, 2, 28))
        self.assertEqual(services.add_months(date(2027, 8, 31), 6), date(2028, 2, 29))
        self.assertEqual(services.add_months(date(2028, 11, 30), 3), date(2029, 2, 28))
        self.assertEqual(services.add_months(date(2028, 1, 15), 12), date(2029, 1, 15))

    def test_an_open_placement_cannot_be_returned(self):
        with self.assertRaisesMessage(services.ReturnError, "挂职尚未结束（在岗）"):
            self.record_return(self.wang_p)
        self.assertFalse(ReturnRecord.objects.exists())

    def test_a_second_return_for_the_same_placement_is_refused(self):
        self.finish(self.wang_p)
        self.record_return(self.wang_p)
        with self.assertRaisesMessage(services.ReturnError, "已登记返岗，不能重复登记"):
            self.record_return(self.wang_p, on=date(2028, 3, 20))
        self.assertEqual(FollowUp.objects.count(), 2)

    def test_the_return_cannot_be_dated_before_the_placement_ended(self):
        self.finish(self.wang_p)
        with self.assertRaisesMessage(services.ReturnError, "不能早于挂职结束日期 2028-03-01"):
            self.record_return(self.wang_p, on=date(2028, 2, 28))

    def test_a_placement_ended_early_is_returned_from_its_actual_end(self):
        Placement.objects.filter(pk=self.wang_p.pk).update(
            status=Placement.Status.ENDED_EARLY, actual_end=date(2027, 9, 30)
        )
        record = self.record_return(self.wang_p, on=date(2027, 10, 8))
        self.assertEqual(record.follow_ups.first().due_on, date(2028, 4, 8))

    def test_only_an_officer_whose_scope_covers_the_home_unit_records_the_return(self):
        self.finish(self.wang_p)
        for user in (self.eve, self.carol, self.dave, self.hank):
            with (
                self.subTest(user=user.username),
                self.assertRaisesMessage(services.ReturnError, "无权为该干部登记返岗"),
            ):
                self.record_return(self.wang_p, by=user)
        self.assertEqual(self.record_return(self.wang_p, by=self.bob).created_by, self.bob)

    def test_a_corrected_return_date_moves_only_the_follow_ups_not_yet_done(self):
        self.finish(self.wang_p)
        record = self.record_return(self.wang_p)
        six, twelve = record.follow_ups.all()
        services.follow_up_evaluate(
            follow_up=six,
            by=self.bob,
            done_on=date(2028, 9, 12),
            result="good",
            evaluation="工作扎实",
            today=date(2028, 9, 12),
        )
        services.return_update(
            record=record,
            by=self.bob,
            returned_on=date(2028, 3, 20),
            home_post="发改局局长助理",
            today=date(2028, 9, 12),
        )
        six.refresh_from_db()
        twelve.refresh_from_db()
        self.assertEqual(six.due_on, date(2028, 9, 10))
        self.assertEqual(twelve.due_on, date(2029, 3, 20))

    def test_the_end_used_for_a_finished_placement_is_its_actual_end(self):
        self.finish(self.wang_p, end=date(2028, 3, 5))
        self.wang_p.refresh_from_db()
        self.assertEqual(services.ended_on(self.wang_p), date(2028, 3, 5))
        self.assertEqual(END, self.wang_p.planned_end)
