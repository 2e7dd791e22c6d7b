"""Moving a project through its programme's stages: forward with the evidence of every stage it
enters, back with a note, dated neither in the future nor before the current stage began;
终止 with a reason from the policy and 重新启动 with a note; the history keeps every step.
Also the programme's own stage list and stall-light policy."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import time_machine

from guazhi.programmes.models import Programme

from .. import services
from ..models import Project, Stage, StageChange, TaskForceMember
from ..services import ProjectError
from .helpers import ProjectsTestCase

TODAY = date(2027, 10, 1)
D = Decimal
SIGNING = {"signed_on": date(2027, 6, 1), "signed_amount": D("30000")}
LANDING = {
    "landed_on": date(2027, 8, 1),
    "landed_amount": D("12000"),
    "landing_form": Project.LandingForm.REGISTERED,
}


@time_machine.travel(TODAY, tick=False)
class StageMoveTests(ProjectsTestCase):
    def setUp(self):
        self.project = self.lead()  # found 2027-04-01, in 线索

    def move(self, to, day, project=None, **kwargs):
        return services.stage_move(
            project=project or self.project, to_stage=to, by=self.alice, day=day, **kwargs
        )

    def to_talks(self, project=None):
        """线索 → 专班 (04-10) → 洽谈 (04-20)."""
        project = project or self.project
        self.with_task_force(project)
        self.move(self.s_force, date(2027, 4, 10), project)
        self.move(self.s_talk, date(2027, 4, 20), project)
        project.refresh_from_db()
        return project

    def refused(self, to, day, **kwargs) -> ProjectError:
        with self.assertRaises(ProjectError) as caught:
            self.move(to, day, **kwargs)
        return caught.exception

    def kinds(self, project=None):
        return list((project or self.project).history.values_list("kind", flat=True))

    def assertUnchanged(self, stage, history_lines):
        project = Project.objects.get(pk=self.project.pk)
        self.assertEqual(project.stage, stage)
        self.assertEqual(project.history.count(), history_lines)
        self.assertIsNone(project.signed_on)
        self.assertIsNone(project.landed_on)
        self.assertEqual(project.signed_amount, 0)
        self.assertEqual(project.landed_amount, 0)

    # --- registering -----------------------------------------------------------------------

    def test_a_lead_starts_in_the_first_stage_with_a_create_line_and_credit_to_its_finder(self):
        project = self.project
        self.assertEqual(project.stage, self.s_lead)
        self.assertEqual(project.reached_order, 1)
        self.assertFalse(project.is_finished)
        self.assertEqual(project.stage_entered_on, date(2027, 4, 1))
        self.assertEqual(project.last_progress_on, date(2027, 4, 1))
        self.assertEqual(project.batch, self.batch)  # 王晓明 was on post then
        line = project.history.get()
        self.assertEqual((line.kind, line.from_stage, line.to_stage), ("create", None, self.s_lead))
        self.assertEqual(
            list(project.credits.values_list("cadre", "role")), [(self.wang.pk, "found")]
        )

    def test_a_lead_found_in_the_future_is_refused(self):
        with self.assertRaises(ProjectError) as caught:
            self.lead("未来线索", day=date(2027, 10, 2))
        self.assertEqual(caught.exception.field, "found_on")
        self.assertFalse(Project.objects.filter(title="未来线索").exists())

    # --- forward ---------------------------------------------------------------------------

    def test_entering_the_task_force_stage_needs_a_lead_member(self):
        error = self.refused(self.s_force, date(2027, 4, 10))
        self.assertEqual(error.errors, {"": "进入专班阶段须先组建工作专班并指定牵头人"})
        self.assertUnchanged(self.s_lead, 1)
        services.member_add(
            project=self.project, by=self.alice, role="liaison", cadre=self.li
        )  # a liaison is not enough
        self.assertEqual(self.refused(self.s_force, date(2027, 4, 10)).field, "")
        self.with_task_force(self.project)
        change = self.move(self.s_force, date(2027, 4, 10))
        self.assertEqual(change.kind, StageChange.Kind.ADVANCE)

    def test_moving_forward_records_the_days_spent_in_the_stage_it_leaves(self):
        self.with_task_force(self.project)
        first = self.move(self.s_force, date(2027, 4, 10))
        second = self.move(self.s_talk, date(2027, 4, 25))
        self.assertEqual((first.from_stage, first.days_in_from), (self.s_lead, 9))
        self.assertEqual((second.from_stage, second.days_in_from), (self.s_force, 15))
        project = Project.objects.get(pk=self.project.pk)
        self.assertEqual(project.stage, self.s_talk)
        self.assertEqual(project.stage_entered_on, date(2027, 4, 25))
        self.assertEqual(project.last_progress_on, TODAY)  # the task force was formed today
        self.assertEqual(project.reached_order, 3)
        self.assertFalse(project.is_finished)

    def test_signing_without_an_amount_is_refused_naming_the_field(self):
        self.to_talks()
        error = self.refused(
            self.s_signed, date(2027, 6, 1), evidence={"signed_on": date(2027, 6, 1)}
        )
        self.assertEqual(error.errors, {"signed_amount": "签约须填写签约金额（万元，大于 0）"})
        self.assertUnchanged(self.s_talk, 3)

    def test_signing_without_a_date_is_refused_naming_the_field(self):
        self.to_talks()
        error = self.refused(self.s_signed, date(2027, 6, 1), evidence={"signed_amount": D(100)})
        self.assertEqual(set(error.errors), {"signed_on"})

    def test_skipping_from_talks_to_landing_still_needs_the_signing_and_landing_evidence(self):
        self.to_talks()
        error = self.refused(self.s_landed, date(2027, 8, 1))
        self.assertEqual(
            set(error.errors),
            {"signed_on", "signed_amount", "landed_on", "landed_amount", "landing_form"},
        )
        self.assertIn("签约须填写签约日期", str(error))
        self.assertIn("落地须选择落地形式", str(error))
        # With only the landing evidence the skipped 签约 is still missing.
        error = self.refused(self.s_landed, date(2027, 8, 1), evidence=LANDING)
        self.assertEqual(set(error.errors), {"signed_on", "signed_amount"})
        self.assertUnchanged(self.s_talk, 3)

    def test_skipping_to_landing_with_all_the_evidence_keeps_both_and_one_history_line(self):
        self.to_talks()
        change = self.move(
            self.s_landed,
            date(2027, 8, 1),
            evidence={**SIGNING, **LANDING, "agreement_number": "HP-1"},
        )
        project = Project.objects.get(pk=self.project.pk)
        self.assertEqual(project.stage, self.s_landed)
        self.assertEqual(project.reached_order, 5)
        self.assertEqual((project.signed_on, project.signed_amount), (date(2027, 6, 1), D(30000)))
        self.assertEqual((project.landed_on, project.landed_amount), (date(2027, 8, 1), D(12000)))
        self.assertEqual((project.landing_form, project.agreement_number), ("registered", "HP-1"))
        self.assertEqual(
            (change.kind, change.from_stage, change.to_stage, change.amount, change.days_in_from),
            ("advance", self.s_talk, self.s_landed, D(12000), 103),
        )
        self.assertEqual(self.kinds(), ["create", "advance", "advance", "advance"])

    def test_a_move_dated_in_the_future_is_refused(self):
        self.with_task_force(self.project)
        error = self.refused(self.s_force, date(2027, 10, 2))
        self.assertEqual(error.errors, {"day": "变更日期不能晚于今天（2027-10-01）"})
        self.assertUnchanged(self.s_lead, 1)

    def test_a_move_dated_before_the_current_stage_was_entered_is_refused(self):
        self.with_task_force(self.project)
        error = self.refused(self.s_force, date(2027, 3, 31))
        self.assertEqual(error.field, "day")
        self.assertIn("2027-04-01", str(error))
        self.move(self.s_force, date(2027, 4, 1))  # the same day is fine
        error = self.refused(self.s_talk, date(2027, 3, 31))
        self.assertEqual(error.field, "day")

    def test_a_move_without_a_date_happens_today(self):
        self.with_task_force(self.project)
        change = services.stage_move(project=self.project, to_stage=self.s_force, by=self.alice)
        self.assertEqual((change.date, change.days_in_from), (TODAY, 183))

    def test_signing_in_the_future_or_before_the_lead_was_found_is_refused(self):
        self.to_talks()
        future = self.refused(
            self.s_signed, TODAY, evidence={"signed_on": date(2027, 10, 5), "signed_amount": D(1)}
        )
        self.assertEqual(set(future.errors), {"signed_on"})
        early = self.refused(
            self.s_signed, TODAY, evidence={"signed_on": date(2027, 3, 1), "signed_amount": D(1)}
        )
        self.assertIn("不能早于发现线索的日期（2027-04-01）", early.errors["signed_on"])

    def test_landing_before_signing_is_refused(self):
        self.to_talks()
        error = self.refused(
            self.s_landed,
            date(2027, 8, 1),
            evidence={**SIGNING, **LANDING, "landed_on": date(2027, 5, 31)},
        )
        self.assertEqual(error.errors, {"landed_on": "落地日期不能早于签约日期（2027-06-01）"})
        self.assertUnchanged(self.s_talk, 3)

    def test_production_before_landing_is_refused_and_production_finishes_the_project(self):
        self.to_talks()
        self.move(self.s_landed, date(2027, 8, 1), evidence={**SIGNING, **LANDING})
        error = self.refused(
            self.s_prod, date(2027, 9, 1), evidence={"production_on": date(2027, 7, 31)}
        )
        self.assertEqual(error.errors, {"production_on": "投产日期不能早于落地日期（2027-08-01）"})
        self.assertFalse(Project.objects.get(pk=self.project.pk).is_finished)
        missing = self.refused(self.s_prod, date(2027, 9, 1))
        self.assertEqual(set(missing.errors), {"production_on"})
        self.move(self.s_prod, date(2027, 9, 1), evidence={"production_on": date(2027, 9, 1)})
        project = Project.objects.get(pk=self.project.pk)
        self.assertTrue(project.is_finished)
        self.assertEqual((project.reached_order, project.production_on), (6, date(2027, 9, 1)))

    # --- events ----------------------------------------------------------------------------

    def event(self, day=date(2027, 6, 18), programme=None):
        return services.event_save(
            by=self.alice,
            programme=programme or self.programme,
            name="京沈合作签约大会",
            kind="signing",
            day=day,
        )

    def test_signing_at_an_event_takes_the_events_date(self):
        self.to_talks()
        summit = self.event()
        change = self.move(
            self.s_signed, date(2027, 6, 18), evidence={"event": summit, "signed_amount": D(500)}
        )
        project = Project.objects.get(pk=self.project.pk)
        self.assertEqual((project.signed_on, project.signed_event), (date(2027, 6, 18), summit))
        self.assertEqual((change.event, change.amount), (summit, D(500)))
        self.assertEqual(list(summit.signed_projects.all()), [project])

    def test_signing_at_an_event_on_another_day_is_refused(self):
        self.to_talks()
        error = self.refused(
            self.s_signed,
            date(2027, 6, 18),
            evidence={
                "event": self.event(),
                "signed_on": date(2027, 6, 17),
                "signed_amount": D(500),
            },
        )
        self.assertEqual(
            error.errors,
            {"signed_on": "在活动“京沈合作签约大会”上签约的，签约日期应为活动日期 2027-06-18"},
        )
        self.assertUnchanged(self.s_talk, 3)

    def test_signing_at_another_programmes_event_is_refused(self):
        self.to_talks()
        other = Programme.objects.create(name="京沈合作（另一项目）", owner_unit=self.city)
        error = self.refused(
            self.s_signed,
            date(2027, 6, 18),
            evidence={"event": self.event(programme=other), "signed_amount": D(500)},
        )
        self.assertEqual(error.errors, {"event": "所选活动不属于该合作项目"})
        self.assertIsNone(Project.objects.get(pk=self.project.pk).signed_event)

    def test_a_stage_of_another_programme_is_refused(self):
        other = Programme.objects.create(name="京沈合作（另一项目）", owner_unit=self.city)
        foreign = services.stages_for(other)[1]
        self.assertEqual(self.refused(foreign, TODAY).field, "to_stage")
        self.assertEqual(self.refused(self.s_lead, TODAY).field, "to_stage")  # already there

    # --- back --------------------------------------------------------------------------------

    def test_moving_back_needs_a_note(self):
        self.to_talks()
        error = self.refused(self.s_force, date(2027, 5, 1))
        self.assertEqual(error.errors, {"note": "从“洽谈”回退到“专班”须说明原因"})
        self.assertUnchanged(self.s_talk, 3)

    def test_moving_back_keeps_the_highest_stage_reached_and_asks_no_evidence(self):
        self.to_talks()
        change = self.move(self.s_lead, date(2027, 5, 1), note="企业负责人更换，需重新接洽")
        self.assertEqual((change.kind, change.days_in_from), ("back", 11))
        project = Project.objects.get(pk=self.project.pk)
        self.assertEqual((project.stage, project.reached_order), (self.s_lead, 3))
        # Moving forward again into 专班 and beyond needs its evidence again (a lead exists).
        self.move(self.s_talk, date(2027, 5, 10))
        self.assertEqual(self.kinds(), ["create", "advance", "advance", "back", "advance"])

    def test_moving_back_from_the_last_stage_unfinishes_the_project(self):
        self.to_talks()
        self.move(
            self.s_prod,
            date(2027, 9, 1),
            evidence={**SIGNING, **LANDING, "production_on": date(2027, 9, 1)},
        )
        self.assertTrue(Project.objects.get(pk=self.project.pk).is_finished)
        self.move(self.s_landed, date(2027, 9, 5), note="投产日期登记有误")
        project = Project.objects.get(pk=self.project.pk)
        self.assertFalse(project.is_finished)
        self.assertEqual(project.reached_order, 6)

    # --- terminate and reopen --------------------------------------------------------------

    def terminate(self, reason="企业投资意向变化", note="企业决定暂缓在东北布局", day=None):
        return services.project_terminate(
            project=self.project, by=self.alice, reason=reason, note=note, day=day
        )

    def test_a_project_may_be_terminated_from_any_stage_with_a_listed_reason_and_a_note(self):
        self.to_talks()
        change = self.terminate(day=date(2027, 5, 20))
        self.assertEqual(
            (change.kind, change.from_stage, change.to_stage, change.days_in_from, change.reason),
            ("terminate", self.s_talk, self.s_talk, 30, "企业投资意向变化"),
        )
        project = Project.objects.get(pk=self.project.pk)
        self.assertEqual(project.status, Project.Status.TERMINATED)
        self.assertEqual(project.terminated_on, date(2027, 5, 20))
        self.assertEqual(project.terminated_reason, "企业投资意向变化")
        self.assertEqual(project.terminated_note, "企业决定暂缓在东北布局")
        self.assertEqual(project.stage, self.s_talk)

    def test_a_first_stage_lead_may_be_terminated_too(self):
        self.terminate(reason="重复线索")
        self.assertEqual(Project.objects.get(pk=self.project.pk).status, "terminated")

    def test_a_reason_not_in_the_policy_list_is_refused_listing_the_allowed_ones(self):
        with self.assertRaises(ProjectError) as caught:
            self.terminate(reason="不想做了")
        self.assertEqual(caught.exception.field, "reason")
        self.assertEqual(
            str(caught.exception),
            "请从列表中选择终止原因：企业投资意向变化、用地、能耗等要素条件不具备、政策条件未谈拢、"
            "被其他地区引走、企业经营困难、重复线索、其他",
        )
        self.assertEqual(Project.objects.get(pk=self.project.pk).status, "active")
        self.assertEqual(self.kinds(), ["create"])

    def test_the_reasons_come_from_the_programmes_policy(self):
        services.policy_save(
            programme=self.programme,
            by=self.alice,
            yellow_days=30,
            red_days=60,
            blocker_days=7,
            termination_reasons="项目落户外省\n其他",
        )
        with self.assertRaises(ProjectError) as caught:
            self.terminate(reason="企业投资意向变化")
        self.assertEqual(str(caught.exception), "请从列表中选择终止原因：项目落户外省、其他")
        self.terminate(reason="项目落户外省")

    def test_terminating_needs_a_note(self):
        with self.assertRaises(ProjectError) as caught:
            self.terminate(note="  ")
        self.assertEqual(caught.exception.errors, {"note": "终止项目须填写说明"})
        self.assertEqual(Project.objects.get(pk=self.project.pk).status, "active")

    def test_terminating_in_the_future_or_before_the_stage_began_is_refused(self):
        with self.assertRaises(ProjectError) as future:
            self.terminate(day=date(2027, 10, 2))
        with self.assertRaises(ProjectError) as early:
            self.terminate(day=date(2027, 3, 31))
        self.assertEqual((future.exception.field, early.exception.field), ("day", "day"))
        self.assertEqual(self.kinds(), ["create"])

    def test_a_terminated_project_cannot_move_or_be_terminated_again(self):
        self.with_task_force(self.project)
        self.terminate()
        error = self.refused(self.s_force, TODAY)
        self.assertEqual(error.errors, {"to_stage": "项目已终止，须先重新启动才能变更阶段"})
        with self.assertRaises(ProjectError):
            self.terminate()
        self.assertEqual(Project.objects.get(pk=self.project.pk).stage, self.s_lead)

    def test_reopening_needs_a_note_and_is_recorded_in_the_history(self):
        self.to_talks()
        self.terminate(day=date(2027, 5, 20))
        with self.assertRaises(ProjectError) as caught:
            services.project_reopen(project=self.project, by=self.alice, note="")
        self.assertEqual(caught.exception.field, "note")
        with self.assertRaises(ProjectError) as early:
            services.project_reopen(
                project=self.project, by=self.alice, note="企业重启投资", day=date(2027, 5, 19)
            )
        self.assertEqual(early.exception.field, "day")
        change = services.project_reopen(
            project=self.project, by=self.alice, note="企业重启投资", day=date(2027, 7, 1)
        )
        self.assertEqual(
            (change.kind, change.to_stage, change.note), ("reopen", self.s_talk, "企业重启投资")
        )
        project = Project.objects.get(pk=self.project.pk)
        self.assertEqual(project.status, Project.Status.ACTIVE)
        self.assertEqual((project.terminated_on, project.terminated_reason), (None, ""))
        self.assertEqual(project.stage_entered_on, date(2027, 7, 1))
        self.assertEqual(project.last_progress_on, TODAY)  # the task force was formed today
        # It moves again, and the history keeps every step.
        self.move(self.s_force, date(2027, 7, 5), note="重新组建专班")
        self.assertEqual(
            self.kinds(), ["create", "advance", "advance", "terminate", "reopen", "back"]
        )

    def test_only_a_terminated_project_can_be_reopened(self):
        with self.assertRaises(ProjectError):
            services.project_reopen(project=self.project, by=self.alice, note="重新启动")
        self.assertEqual(self.kinds(), ["create"])

    # --- the task force ----------------------------------------------------------------------

    def test_the_only_lead_member_cannot_be_removed_once_past_the_task_force_stage(self):
        lead = self.with_task_force(self.project)
        self.move(self.s_force, date(2027, 4, 10))
        lead = TaskForceMember.objects.get(pk=lead.pk)  # as a view loads it
        with self.assertRaises(ProjectError) as caught:
            services.member_remove(member=lead, by=self.alice)
        self.assertIn("工作专班不能没有牵头人", str(caught.exception))
        self.assertTrue(TaskForceMember.objects.filter(pk=lead.pk).exists())
        # A second lead first, then the first may go.
        services.member_add(project=self.project, by=self.alice, role="lead", cadre=self.li)
        services.member_remove(member=lead, by=self.alice)
        self.assertFalse(TaskForceMember.objects.filter(pk=lead.pk).exists())

    def test_the_only_lead_member_may_be_removed_while_still_a_lead(self):
        lead = self.with_task_force(self.project)
        services.member_remove(member=lead, by=self.alice)
        self.assertFalse(self.project.members.exists())

    def test_a_cadre_or_a_unit_joins_the_task_force_once(self):
        self.with_task_force(self.project)
        with self.assertRaises(ProjectError) as twice:
            services.member_add(
                project=self.project, by=self.alice, role="liaison", cadre=self.wang
            )
        with self.assertRaises(ProjectError) as neither:
            services.member_add(project=self.project, by=self.alice, role="liaison")
        self.assertEqual((twice.exception.field, neither.exception.field), ("cadre", "cadre"))
        services.member_add(
            project=self.project,
            by=self.alice,
            role="service",
            unit=self.heping_fgj,
            contact="张三",
        )
        self.assertEqual(self.project.members.count(), 2)


@time_machine.travel(TODAY, tick=False)
class StageListTests(ProjectsTestCase):
    def rows(self, *changes):
        """The current stages as rows, with `changes` = {stage: (name, evidence)} applied."""
        edits = dict(changes)
        return [
            (s.pk, *edits.get(s, (s.name, s.evidence))) for s in services.stages_for(self.programme)
        ]

    def save(self, rows):
        return services.stages_save(programme=self.programme, by=self.alice, rows=rows)

    def refused(self, rows) -> str:
        before = list(
            Stage.objects.filter(programme=self.programme).values_list(
                "pk", "order", "name", "evidence"
            )
        )
        with self.assertRaises(ProjectError) as caught:
            self.save(rows)
        after = list(
            Stage.objects.filter(programme=self.programme).values_list(
                "pk", "order", "name", "evidence"
            )
        )
        self.assertEqual(after, before)
        self.assertEqual(caught.exception.field, "stages")
        return str(caught.exception)

    def test_a_new_programme_gets_the_six_default_stages(self):
        self.assertEqual(
            [(s.order, s.name, s.evidence) for s in self.stages],
            [
                (1, "线索", ""),
                (2, "专班", "task_force"),
                (3, "洽谈", ""),
                (4, "签约", "signing"),
                (5, "落地", "landing"),
                (6, "投产", "production"),
            ],
        )

    def test_renaming_a_stage_keeps_its_projects(self):
        project = self.lead()
        self.save(self.rows((self.s_lead, ("项目线索", ""))))
        project.refresh_from_db()
        self.assertEqual(project.stage.name, "项目线索")

    def test_a_stage_in_use_cannot_be_deleted_but_an_unused_one_can(self):
        self.lead()
        rows = self.rows()
        message = self.refused([r for r in rows if r[0] != self.s_lead.pk])
        self.assertEqual(message, "阶段“线索”已有项目或历史记录，不能删除")
        result = self.save([r for r in rows if r[0] != self.s_talk.pk])
        self.assertEqual([s.name for s in result], ["线索", "专班", "签约", "落地", "投产"])
        self.assertEqual([s.order for s in result], [1, 2, 3, 4, 5])
        self.assertFalse(Stage.objects.filter(pk=self.s_talk.pk).exists())

    def test_a_stage_only_named_by_the_history_cannot_be_deleted(self):
        project = self.lead()
        self.with_task_force(project)
        services.stage_move(
            project=project, to_stage=self.s_force, by=self.alice, day=date(2027, 5, 1)
        )
        services.stage_move(
            project=project, to_stage=self.s_talk, by=self.alice, day=date(2027, 5, 2)
        )
        self.assertIn("专班", self.refused([r for r in self.rows() if r[0] != self.s_force.pk]))

    def test_evidence_stages_must_keep_their_natural_order(self):
        rows = self.rows()
        swapped = [rows[0], rows[1], rows[2], rows[4], rows[3], rows[5]]  # 落地 before 签约
        self.assertEqual(self.refused(swapped), "佐证阶段的顺序应为：专班 → 签约 → 落地 → 投产")
        twice = self.rows((self.s_talk, ("洽谈", "signing")))
        self.assertEqual(self.refused(twice), "同一种佐证只能用于一个阶段")

    def test_names_must_be_given_and_distinct_and_two_stages_at_least(self):
        self.assertEqual(self.refused(self.rows((self.s_talk, ("线索", "")))), "阶段名称有重复")
        self.assertEqual(self.refused(self.rows((self.s_talk, (" ", "")))), "阶段名称不能为空")
        self.assertEqual(self.refused(self.rows()[:1]), "至少需要两个阶段")

    def test_reordering_plain_stages_and_adding_one_keeps_the_projects_figures_true(self):
        project = self.lead()
        self.with_task_force(project)
        services.stage_move(
            project=project,
            to_stage=self.s_prod,
            by=self.alice,
            day=date(2027, 9, 1),
            evidence={**SIGNING, **LANDING, "production_on": date(2027, 9, 1)},
        )
        project.refresh_from_db()
        self.assertEqual((project.reached_order, project.is_finished), (6, True))
        # A new last stage: the project is no longer at the end.
        result = self.save([*self.rows(), (None, "达产", "")])
        self.assertEqual([s.order for s in result], [1, 2, 3, 4, 5, 6, 7])
        project.refresh_from_db()
        self.assertEqual((project.reached_order, project.is_finished), (6, False))
        # 洽谈 before 专班: allowed (no evidence), orders follow the rows.
        rows = self.rows()
        self.save([rows[0], rows[2], rows[1], *rows[3:]])
        orders = dict(Stage.objects.filter(programme=self.programme).values_list("name", "order"))
        self.assertEqual((orders["洽谈"], orders["专班"]), (2, 3))

    def test_two_stages_may_exchange_their_names_in_one_save(self):
        result = self.save(self.rows((self.s_lead, ("洽谈", "")), (self.s_talk, ("线索", ""))))
        self.assertEqual([s.name for s in result][:3], ["洽谈", "专班", "线索"])

    def test_a_new_stage_may_take_the_name_another_stage_gives_up(self):
        rows = self.rows((self.s_talk, ("商务谈判", "")))
        result = self.save([*rows[:2], (None, "洽谈", ""), *rows[2:]])
        self.assertEqual(
            [s.name for s in result], ["线索", "专班", "洽谈", "商务谈判", "签约", "落地", "投产"]
        )
        self.assertEqual(Stage.objects.get(pk=self.s_talk.pk).name, "商务谈判")

    def test_stages_of_another_programme_are_refused(self):
        other = Programme.objects.create(name="京沈合作（另一项目）", owner_unit=self.city)
        foreign = services.stages_for(other)[0]
        self.assertEqual(
            self.refused([(foreign.pk, "线索", ""), *self.rows()[1:]]), "阶段不属于该项目"
        )


class PolicyTests(ProjectsTestCase):
    def save(self, yellow, red, reasons="其他"):
        return services.policy_save(
            programme=self.programme,
            by=self.alice,
            yellow_days=yellow,
            red_days=red,
            blocker_days=5,
            termination_reasons=reasons,
        )

    def test_red_days_must_exceed_yellow_days(self):
        for yellow, red in ((30, 30), (40, 30)):
            with self.subTest(yellow=yellow, red=red), self.assertRaises(ProjectError) as caught:
                self.save(yellow, red)
            self.assertEqual(caught.exception.field, "red_days")
        self.assertEqual(services.policy_for(self.programme).red_days, 60)
        policy = self.save(10, 11)
        self.assertEqual((policy.yellow_days, policy.red_days, policy.blocker_days), (10, 11, 5))

    def test_termination_reasons_are_trimmed_and_must_be_distinct(self):
        policy = self.save(10, 20, " 企业经营困难 \n\n其他\n")
        self.assertEqual(policy.reasons(), ["企业经营困难", "其他"])
        for reasons in ("", "其他\n其他", "长" * 61):
            with self.subTest(reasons=reasons), self.assertRaises(ProjectError) as caught:
                self.save(10, 20, reasons)
            self.assertEqual(caught.exception.field, "termination_reasons")
