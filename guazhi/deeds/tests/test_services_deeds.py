"""Deeds: registration, targets and dated progress, the status workflow, the look-back with its
three looks, recurrence detection and rework (回炉返工)."""

from __future__ import annotations

from datetime import date

import time_machine

from .. import services
from ..models import Deed, LookBack, Status, StatusChange
from ..services import DeedError
from .helpers import DeedsTestCase

NOW = date(2027, 6, 1)


@time_machine.travel(NOW, tick=False)
class DeedRuleTests(DeedsTestCase):
    def status(self, kind) -> Status:
        return next(s for s in services.statuses() if s.kind == kind)

    def test_a_deed_starts_in_the_first_open_status_with_its_history(self):
        deed = self.deed(targets=[("组建紧密型教育集团", "个", self.D(22))])
        self.assertEqual(deed.status.name, "已登记")
        self.assertEqual(
            list(deed.history.values_list("to_status__name", "date")),
            [("已登记", date(2027, 3, 1))],
        )
        target = deed.targets.get()
        self.assertEqual((target.planned, target.achieved, target.percent), (22, 0, 0))
        self.assertTrue(deed.public_key)

    def test_registration_refuses_a_missing_place_a_future_date_and_an_early_promise(self):
        with self.assertRaises(DeedError) as caught:
            self.deed(location="  ")
        self.assertEqual(caught.exception.field, "location")
        with self.assertRaises(DeedError) as caught:
            self.deed(day=date(2027, 6, 2))
        self.assertEqual(caught.exception.field, "opened_on")
        with self.assertRaises(DeedError) as caught:
            self.deed(promised_on=date(2027, 2, 1))
        self.assertEqual(caught.exception.field, "promised_on")
        self.assertFalse(Deed.objects.exists())

    def test_a_target_name_is_unique_and_its_value_positive(self):
        deed = self.deed(targets=[("新增普惠制幼儿园", "所", self.D(5))])
        with self.assertRaises(DeedError) as caught:
            services.target_save(
                deed=deed, by=self.alice, name="新增普惠制幼儿园", unit_label="所", planned=1
            )
        self.assertIn("已存在", str(caught.exception))
        with self.assertRaises(DeedError) as caught:
            services.target_save(deed=deed, by=self.alice, name="其他", unit_label="", planned=0)
        self.assertEqual(caught.exception.field, "planned")

    def test_progress_updates_the_target_and_is_dated_inside_the_deed(self):
        deed = self.deed(targets=[("组建紧密型教育集团", "个", self.D(22))])
        target = deed.targets.get()
        services.evidence_add(
            deed=deed,
            by=self.dave,
            day=date(2027, 5, 1),
            note="已组建 16 个",
            target=target,
            value=self.D(16),
        )
        target.refresh_from_db()
        self.assertEqual((target.achieved, target.percent), (16, 73))
        for day, field in ((date(2027, 2, 1), "day"), (date(2027, 6, 2), "day")):
            with self.assertRaises(DeedError) as caught:
                services.evidence_add(deed=deed, by=self.dave, day=day, note="x")
            self.assertEqual(caught.exception.field, field)
        with self.assertRaises(DeedError) as caught:
            services.evidence_add(deed=deed, by=self.dave, day=NOW, note="x", target=target)
        self.assertEqual(caught.exception.field, "value")

    def test_a_photo_must_be_an_image_in_content_not_only_in_name(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        deed = self.deed()
        fake = SimpleUploadedFile("现场.jpg", b"MZ\x90\x00 not a jpeg", content_type="image/jpeg")
        with self.assertRaises(DeedError) as caught:
            services.evidence_add(deed=deed, by=self.dave, day=NOW, note="现场照片", photo=fake)
        self.assertIn("不是有效的图片", str(caught.exception))
        exe = SimpleUploadedFile("现场.exe", b"MZ", content_type="application/octet-stream")
        with self.assertRaises(DeedError):
            services.evidence_add(deed=deed, by=self.dave, day=NOW, note="现场照片", photo=exe)
        png = SimpleUploadedFile("现场.png", b"\x89PNG\r\n\x1a\n" + b"0" * 32)
        evidence = services.evidence_add(deed=deed, by=self.dave, day=NOW, note="现场", photo=png)
        self.assertTrue(evidence.photo.name.startswith("deeds/"))
        self.assertEqual(evidence.photo_name, "现场.png")

    def test_done_schedules_a_look_back_after_the_policys_days(self):
        deed = self.deed()
        services.status_change(
            deed=deed, to_status=self.status("done"), by=self.alice, day=date(2027, 5, 10)
        )
        deed.refresh_from_db()
        self.assertEqual(deed.done_on, date(2027, 5, 10))
        self.assertEqual(list(deed.lookbacks.values_list("due_on", flat=True)), [date(2027, 6, 7)])

    def test_unfinished_targets_closing_and_going_back_need_a_note(self):
        deed = self.deed(targets=[("组建紧密型教育集团", "个", self.D(22))])
        done, closed = self.status("done"), self.status("closed")
        with self.assertRaises(DeedError) as caught:
            services.status_change(deed=deed, to_status=done, by=self.alice)
        self.assertIn("组建紧密型教育集团", str(caught.exception))
        services.status_change(deed=deed, to_status=done, by=self.alice, note="其余 6 个明年组建")
        with self.assertRaises(DeedError):
            services.status_change(deed=deed, to_status=services.first_open(), by=self.alice)
        with self.assertRaises(DeedError):
            services.status_change(deed=deed, to_status=closed, by=self.alice)
        services.status_change(
            deed=deed, to_status=services.first_open(), by=self.alice, note="群众反映未完成"
        )
        deed.refresh_from_db()
        self.assertIsNone(deed.done_on)
        self.assertFalse(deed.lookbacks.exists())  # nothing to look back on any more
        self.assertEqual(StatusChange.objects.filter(deed=deed).count(), 3)


@time_machine.travel(NOW, tick=False)
class LookBackTests(DeedsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(NOW, tick=False):
            cls.pipes = cls.deed()
            done = next(s for s in services.statuses() if s.kind == "done")
            services.status_change(
                deed=cls.pipes, to_status=done, by=cls.alice, day=date(2027, 4, 1)
            )
            cls.lookback = cls.pipes.lookbacks.get()

    def conclude(self, conclusion="pass", **values):
        values = {
            "real_need": True,
            "real_note": "管网老化是居民反映最多的问题",
            "lasting": True,
            "mechanism": True,
            "lasting_note": "建立物业与水务联合巡检机制",
            "happy_note": "",
            **values,
        }
        return services.lookback_conclude(
            lookback=self.lookback, by=self.alice, conclusion=conclusion, **values
        )

    def test_the_same_problem_at_the_same_place_within_the_window_is_a_recurrence(self):
        self.deed("管网再次漏水", day=date(2027, 5, 20), location="和平区南湖街道文萃小区")
        self.deed("别的小区漏水", day=date(2027, 5, 20), location="和平区南湖街道 锦绣小区")
        self.deed("同地别类", day=date(2027, 5, 20), category="environment")
        self.deed("登记在办结前", day=date(2027, 3, 20))
        self.assertEqual(
            list(
                services.recurrences(Deed.objects.get(pk=self.pipes.pk)).values_list(
                    "title", flat=True
                )
            ),
            ["管网再次漏水"],
        )

    def test_a_recurrence_without_a_lasting_mechanism_cannot_pass(self):
        self.deed("管网再次漏水", day=date(2027, 5, 20))
        with self.assertRaises(DeedError) as caught:
            self.conclude(mechanism=False)
        self.assertIn("再次反映同类问题 1 件", str(caught.exception))
        lookback = self.conclude(mechanism=True)
        self.assertEqual((lookback.conclusion, lookback.recurrences), ("pass", 1))

    def test_a_need_that_was_not_real_or_an_effect_that_did_not_last_cannot_pass(self):
        for values in ({"real_need": False}, {"lasting": False}):
            with self.assertRaises(DeedError) as caught:
                self.conclude(**values)
            self.assertEqual(caught.exception.field, "conclusion")
        self.lookback.refresh_from_db()
        self.assertEqual(self.lookback.conclusion, "")

    def test_rework_reopens_the_deed_with_tasks_and_a_new_deadline(self):
        with self.assertRaises(DeedError) as caught:
            self.conclude("rework", lasting=False, rework_deadline=date(2027, 7, 1))
        self.assertEqual(caught.exception.field, "tasks")
        with self.assertRaises(DeedError) as caught:
            self.conclude(
                "rework",
                lasting=False,
                rework_deadline=date(2027, 7, 1),
                tasks=[("更换二次供水泵", date(2027, 8, 1))],
            )
        self.assertIn("更换二次供水泵", str(caught.exception))
        lookback = self.conclude(
            "rework",
            lasting=False,
            rework_deadline=date(2027, 7, 1),
            tasks=[("更换二次供水泵", date(2027, 6, 20)), ("建立巡检台账", date(2027, 7, 1))],
        )
        self.assertEqual(lookback.tasks.count(), 2)
        deed = Deed.objects.get(pk=self.pipes.pk)
        self.assertEqual(
            (deed.status.name, deed.done_on, deed.promised_on, deed.reworks),
            ("办理中", None, date(2027, 7, 1), 1),
        )
        self.assertEqual(deed.history.last().note, "回头看：回炉返工")
        with self.assertRaises(DeedError):
            self.conclude()  # concluded once

    def test_the_review_keeps_the_ratings_as_they_were(self):
        from ..models import Level, Rating

        for i, level in enumerate([Level.VERY_GOOD, Level.GOOD, Level.FAIR, Level.BAD]):
            Rating.objects.create(
                deed=self.pipes,
                level=level,
                first_level=level,
                channel="field",
                rater_key=f"k{i}",
            )
        lookback = self.conclude()
        # (1 + 1 + 0.5 × 1) ÷ 4 = 62.5 %
        self.assertEqual((lookback.ratings, str(lookback.satisfaction)), (4, "62.5"))
        self.assertEqual(LookBack.objects.get(pk=lookback.pk).ratings, 4)
