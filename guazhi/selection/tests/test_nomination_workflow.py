"""The nomination workflow: who may nominate, each level in order by the right people, reasons
for rejection, withdrawals kept, filing with a document number, and the placement it creates."""

from __future__ import annotations

from datetime import date

from guazhi.core.models import AuditEntry, Role
from guazhi.programmes.models import Batch, Placement

from .. import services
from ..models import Nomination, NominationStep, ReviewLevel
from .helpers import SelectionTestCase


class NominatingTests(SelectionTestCase):
    def test_a_sending_unit_nominates_its_own_cadre_at_the_first_level(self):
        nomination = self.nominate()
        self.assertEqual(nomination.status, Nomination.Status.PENDING)
        self.assertEqual(nomination.level, self.levels[0])
        self.assertEqual(nomination.nominating_unit, self.heping_fgj)
        step = nomination.steps.get()
        self.assertEqual((step.action, step.user), (NominationStep.Action.SUBMIT, self.carol))
        self.wang.refresh_from_db()
        self.assertEqual(self.wang.placement_status, "nominated")

    def test_a_sending_unit_cannot_nominate_another_units_cadre(self):
        with self.assertRaisesMessage(services.NominationError, "不在您的推荐范围内"):
            self.nominate(self.li, by=self.carol)
        self.assertFalse(Nomination.objects.exists())

    def test_a_cadre_cannot_be_nominated_twice_for_one_batch(self):
        self.nominate()
        with self.assertRaisesMessage(services.NominationError, "不能重复推荐"):
            self.nominate(by=self.bob)

    def test_nominations_are_refused_when_the_batch_is_not_open(self):
        Batch.objects.filter(pk=self.batch.pk).update(status=Batch.Status.PLANNING)
        self.batch.refresh_from_db()
        with self.assertRaisesMessage(services.NominationError, "不接受推荐"):
            self.nominate()

    def test_a_reason_is_required(self):
        with self.assertRaisesMessage(services.NominationError, "推荐理由"):
            services.nominate(batch=self.batch, cadre=self.wang, reason="  ", by=self.carol)


class ReviewOrderTests(SelectionTestCase):
    def test_the_district_officer_decides_the_first_level(self):
        nomination = self.pass_level(self.nominate(), self.bob)
        self.assertEqual(nomination.level, self.levels[1])
        self.assertEqual(nomination.steps.last().user, self.bob)

    def test_an_officer_of_another_district_cannot_decide_it(self):
        nomination = self.nominate()
        with self.assertRaisesMessage(services.NominationError, "不能办理本级"):
            self.pass_level(nomination, self.eve)
        nomination.refresh_from_db()
        self.assertEqual(nomination.level, self.levels[0])

    def test_the_city_officer_cannot_skip_the_district_level(self):
        nomination = self.nominate()
        with self.assertRaisesMessage(services.NominationError, "不能办理本级"):
            self.pass_level(nomination, self.alice)

    def test_the_district_officer_cannot_act_at_the_city_level(self):
        nomination = self.pass_level(self.nominate(), self.bob)
        with self.assertRaisesMessage(services.NominationError, "不能办理本级"):
            self.pass_level(nomination, self.bob)

    def test_a_role_without_the_review_permission_cannot_act_at_its_level(self):
        from django.contrib.auth.models import Permission

        nomination = self.nominate()
        district = Role.objects.get(code="district_officer")
        district.permissions.remove(Permission.objects.get(codename="review_nomination"))
        with self.assertRaisesMessage(services.NominationError, "不能办理本级"):
            self.pass_level(nomination, self.bob)
        self.assertFalse(Nomination.objects.filter(services.review_queue_q(self.bob)).exists())

    def test_a_sending_unit_cannot_review(self):
        with self.assertRaisesMessage(services.NominationError, "不能办理本级"):
            self.pass_level(self.nominate(), self.carol)

    def test_the_matching_level_needs_a_post_first(self):
        nomination = self.pass_level(self.nominate(), self.bob)
        with self.assertRaisesMessage(services.NominationError, "人岗匹配"):
            self.pass_level(nomination, self.alice)

    def test_a_rejection_needs_a_reason_and_is_recorded(self):
        nomination = self.nominate()
        with self.assertRaisesMessage(services.NominationError, "须填写理由"):
            services.decide(nomination=nomination, by=self.bob, approve=False, opinion=" ")
        nomination = services.decide(
            nomination=nomination, by=self.bob, approve=False, opinion="近三年无招商经历"
        )
        self.assertEqual(nomination.status, Nomination.Status.REJECTED)
        step = nomination.steps.last()
        self.assertEqual((step.action, step.opinion), ("reject", "近三年无招商经历"))
        self.wang.refresh_from_db()
        self.assertEqual(self.wang.placement_status, "none")
        with self.assertRaisesMessage(services.NominationError, "无需审核"):
            self.pass_level(nomination, self.bob)

    def test_a_withdrawal_is_kept_with_its_reason(self):
        nomination = self.nominate()
        with self.assertRaisesMessage(services.NominationError, "撤回"):
            services.withdraw(nomination=nomination, by=self.eve, reason="x")
        nomination = services.withdraw(nomination=nomination, by=self.carol, reason="本人因病")
        self.assertEqual(nomination.status, Nomination.Status.WITHDRAWN)
        self.assertEqual(nomination.steps.last().opinion, "本人因病")
        self.assertTrue(Nomination.objects.filter(pk=nomination.pk).exists())
        # A withdrawn nomination does not block a new one.
        self.assertEqual(self.nominate().status, Nomination.Status.PENDING)

    def test_the_full_walk_files_the_nomination_and_creates_the_placement(self):
        nomination = self.pass_level(self.nominate(), self.bob)
        services.assign_posts(
            batch=self.batch,
            pairs=[(nomination.pk, self.post_invest.pk)],
            scores={(nomination.pk, self.post_invest.pk): 88.0},
            by=self.alice,
        )
        nomination = self.pass_level(nomination, self.alice)  # 综合比选
        nomination = self.pass_level(nomination, self.alice)  # 审批
        with self.assertRaisesMessage(services.NominationError, "文号"):
            self.pass_level(nomination, self.alice)
        nomination = self.pass_level(
            nomination,
            self.alice,
            document_number="组厅字〔2027〕3号",
            document_date=date(2027, 2, 1),
        )
        self.assertEqual(nomination.status, Nomination.Status.APPROVED)
        self.assertEqual(nomination.document_number, "组厅字〔2027〕3号")
        placement = nomination.placement
        self.assertEqual(
            (placement.cadre, placement.post, placement.start, placement.planned_end),
            (self.wang, self.post_invest, self.batch.start, self.batch.end),
        )
        self.assertEqual(placement.status, Placement.Status.ON_POST)
        self.wang.refresh_from_db()
        self.assertEqual(self.wang.placement_status, "on_post")
        actions = list(nomination.steps.values_list("action", flat=True))
        self.assertEqual(actions, ["submit", "approve", "assign", "approve", "approve", "approve"])
        self.assertTrue(
            AuditEntry.objects.filter(object_type="selection.nominationstep").count() >= 6
        )


class LevelsAreDataTests(SelectionTestCase):
    def test_a_programme_with_two_levels_needs_no_code_change(self):
        org = Role.objects.get(code="org_officer")
        district = Role.objects.get(code="district_officer")
        services.levels_save(
            programme=self.programme,
            rows=[
                {"name": "区级推荐审核", "role": district},
                {"name": "市级审定备案", "role": org, "assigns_post": True, "needs_document": True},
            ],
            by=self.alice,
        )
        self.assertEqual(self.programme.levels.count(), 2)
        nomination = self.pass_level(self.nominate(), self.bob)
        services.assign_posts(
            batch=self.batch, pairs=[(nomination.pk, self.post_invest.pk)], scores={}, by=self.alice
        )
        nomination = self.pass_level(
            nomination,
            self.alice,
            document_number="沈组〔2027〕1号",
            document_date=date(2027, 2, 1),
        )
        self.assertEqual(nomination.status, Nomination.Status.APPROVED)
        self.assertIsNotNone(nomination.placement_id)

    def test_levels_cannot_change_while_nominations_are_under_review(self):
        self.nominate()
        org = Role.objects.get(code="org_officer")
        with self.assertRaisesMessage(services.NominationError, "正在审核"):
            services.levels_save(
                programme=self.programme, rows=[{"name": "一级", "role": org}], by=self.alice
            )
        self.assertEqual(self.programme.levels.count(), 4)

    def test_a_level_with_history_cannot_be_deleted(self):
        nomination = self.nominate()
        services.withdraw(nomination=nomination, by=self.carol, reason="调整")
        org = Role.objects.get(code="org_officer")
        with self.assertRaisesMessage(services.NominationError, "已有审核记录"):
            services.levels_save(
                programme=self.programme, rows=[{"name": "一级", "role": org}], by=self.alice
            )
        self.assertEqual(ReviewLevel.objects.filter(programme=self.programme).count(), 4)


class AssignPostsTests(SelectionTestCase):
    def test_a_post_cannot_take_more_cadres_than_its_capacity(self):
        a = self.pass_level(self.nominate(), self.bob)
        b = self.pass_level(self.nominate(self.li, by=self.eve), self.eve)
        with self.assertRaisesMessage(services.NominationError, "只需 1 人"):
            services.assign_posts(
                batch=self.batch,
                pairs=[(a.pk, self.post_tech.pk), (b.pk, self.post_tech.pk)],
                scores={},
                by=self.alice,
            )
        self.assertFalse(Nomination.objects.filter(post__isnull=False).exists())

    def test_nominations_still_at_the_district_level_are_not_matched(self):
        nomination = self.nominate()
        with self.assertRaisesMessage(services.NominationError, "不在本批次的匹配范围内"):
            services.assign_posts(
                batch=self.batch,
                pairs=[(nomination.pk, self.post_tech.pk)],
                scores={},
                by=self.alice,
            )
