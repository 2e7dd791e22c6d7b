"""The figures on a known dataset: the funnel (reached, current, ended here, conversion, median
days per stage) for every project and for a scoped selection, totals by district, sector and
batch, and the board by stage with its lights and the most stalled cards first."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from .. import access, services
from ..models import Light, Project
from .helpers import ProjectsTestCase

D = Decimal
BASE = date(2027, 3, 10)  # every project of the funnel was found that day
TODAY = date(2027, 12, 31)


def day(n: int) -> date:
    return BASE + timedelta(days=n)


class FunnelTests(ProjectsTestCase):
    """Ten projects; P1–P6 are 和平区's (found by 王晓明), P7–P10 浑南区's (found by 李浑南).

    P1  线索
    P2  线索 →专班@10
    P3  线索 →专班@20 →洽谈@30
    P4  线索 →专班@30 →洽谈@42 →签约@72
    P5  线索 →专班@40 ×终止@50
    P6  线索 ×终止@10
    P7  线索 →专班@5 →洽谈@19 →落地@54 (skips 签约, signed @40)
    P8  线索 →专班@2 →洽谈@18 →签约@28 →落地@58 →投产@88
    P9  线索 →专班@10 ←线索@15
    P10 线索 →专班@11 →洽谈@29 ×终止@38 ↺@43
    """

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(TODAY, tick=False):
            cls.build()

    @classmethod
    def build(cls):
        sectors = ["agriculture"] * 3 + ["manufacturing"] * 3 + ["electronics"] * 2
        sectors += ["agriculture"] * 2
        cls.p = {}
        for i in range(1, 11):
            values = {"sector": sectors[i - 1], "planned_amount": D(1000 * i)}
            if i >= 7:
                values.update(found_by=cls.li, unit=cls.hunnan, owner=cls.eve, district="浑南区")
            if i >= 9:
                values["batch"] = cls.batch6
            project = cls.lead(f"P{i}", day=BASE, **values)
            cls.with_task_force(project, cls.li if i >= 7 else cls.wang)
            cls.p[i] = project

        S = dict(
            zip(["lead", "force", "talk", "signed", "landed", "prod"], cls.stages, strict=True)
        )

        def move(i, stage, n, **evidence):
            note = evidence.pop("note", "")
            services.stage_move(
                project=cls.p[i],
                to_stage=S[stage],
                by=cls.alice,
                day=day(n),
                note=note,
                evidence=evidence,
            )

        def terminate(i, n):
            services.project_terminate(
                project=cls.p[i], by=cls.alice, reason="其他", note="企业撤回", day=day(n)
            )

        move(2, "force", 10)
        move(3, "force", 20)
        move(3, "talk", 30)
        move(4, "force", 30)
        move(4, "talk", 42)
        move(4, "signed", 72, signed_on=day(72), signed_amount=D(1000))
        move(5, "force", 40)
        terminate(5, 50)
        terminate(6, 10)
        move(7, "force", 5)
        move(7, "talk", 19)
        move(
            7,
            "landed",
            54,
            signed_on=day(40),
            signed_amount=D(2000),
            landed_on=day(54),
            landed_amount=D(1500),
            landing_form="registered",
        )
        move(8, "force", 2)
        move(8, "talk", 18)
        move(8, "signed", 28, signed_on=day(28), signed_amount=D(3000))
        move(8, "landed", 58, landed_on=day(58), landed_amount=D(2500), landing_form="started")
        move(8, "prod", 88, production_on=day(88))
        move(9, "force", 10)
        move(9, "lead", 15, note="企业暂停对接")
        move(10, "force", 11)
        move(10, "talk", 29)
        terminate(10, 38)
        services.project_reopen(project=cls.p[10], by=cls.alice, note="企业恢复洽谈", day=day(43))

    def rows(self, qs):
        return [
            (
                r.stage.name,
                r.reached,
                r.current,
                r.terminated_here,
                r.conversion,
                r.median_days,
                r.moved_on,
            )
            for r in services.funnel(qs, self.programme)
        ]

    def test_the_dataset_is_what_the_docstring_says(self):
        self.assertEqual(
            {p.title: (p.stage.name, p.status, p.reached_order) for p in Project.objects.all()},
            {
                "P1": ("线索", "active", 1),
                "P2": ("专班", "active", 2),
                "P3": ("洽谈", "active", 3),
                "P4": ("签约", "active", 4),
                "P5": ("专班", "terminated", 2),
                "P6": ("线索", "terminated", 1),
                "P7": ("落地", "active", 5),
                "P8": ("投产", "active", 6),
                "P9": ("线索", "active", 2),
                "P10": ("洽谈", "active", 3),
            },
        )
        self.assertEqual(list(Project.objects.filter(is_finished=True)), [self.p[8]])

    def test_the_funnel_of_every_project(self):
        self.assertEqual(
            self.rows(Project.objects.all()),
            [
                # stage, reached, now, ended here, conversion %, median days, stays moved on
                ("线索", 10, 2, 1, 80.0, 10.5, 8),  # 2 5 10 10 | 11 20 30 40
                ("专班", 8, 1, 1, 62.5, 14.0, 5),  # 10 12 14 16 18
                ("洽谈", 5, 2, 0, 60.0, 30.0, 3),  # 10 30 35
                ("签约", 3, 1, 0, 66.7, 30.0, 1),
                ("落地", 2, 1, 0, 50.0, 30.0, 1),
                ("投产", 1, 1, 0, None, None, 0),
            ],
        )

    def test_a_filter_matching_every_project_gives_the_same_funnel(self):
        self.assertEqual(
            self.rows(Project.objects.filter(programme=self.programme)),
            self.rows(Project.objects.all()),
        )

    def test_the_funnel_of_a_district_officers_scope(self):
        scoped = access.projects_for(self.bob)
        self.assertEqual(
            sorted(scoped.values_list("title", flat=True)), ["P1", "P2", "P3", "P4", "P5", "P6"]
        )
        self.assertEqual(
            self.rows(scoped),
            [
                ("线索", 6, 1, 1, 66.7, 25.0, 4),  # 10 20 | 30 40
                ("专班", 4, 1, 1, 50.0, 11.0, 2),  # 10 12
                ("洽谈", 2, 1, 0, 50.0, 30.0, 1),
                ("签约", 1, 1, 0, 0.0, None, 0),
                ("落地", 0, 0, 0, None, None, 0),
                ("投产", 0, 0, 0, None, None, 0),
            ],
        )

    def test_the_funnel_of_the_other_district(self):
        rows = self.rows(access.projects_for(self.eve))
        self.assertEqual(
            [(r[0], r[1], r[2], r[5]) for r in rows],
            [
                ("线索", 4, 1, 7.5),  # 2 5 | 10 11
                ("专班", 4, 0, 16.0),  # 14 16 18 (P9 went back)
                ("洽谈", 3, 1, 22.5),  # 10 35
                ("签约", 2, 0, 30.0),
                ("落地", 2, 1, 30.0),
                ("投产", 1, 1, None),
            ],
        )

    def totals(self, by, qs=None):
        return [
            (
                t.key,
                t.label,
                t.projects,
                t.active,
                t.signed,
                t.landed,
                t.planned_amount,
                t.signed_amount,
                t.landed_amount,
            )
            for t in services.totals(qs or Project.objects.all(), self.programme, by)
        ]

    def test_totals_by_district(self):
        self.assertEqual(
            self.totals("district"),
            [
                ("浑南区", "浑南区", 4, 4, 2, 2, D(34000), D(5000), D(4000)),
                ("和平区", "和平区", 6, 4, 1, 0, D(21000), D(1000), D(0)),
            ],
        )
        self.assertEqual(
            self.totals("district", access.projects_for(self.bob)),
            [("和平区", "和平区", 6, 4, 1, 0, D(21000), D(1000), D(0))],
        )

    def test_totals_by_sector(self):
        self.assertEqual(
            self.totals("sector"),
            [
                ("electronics", "电子信息", 2, 2, 2, 2, D(15000), D(5000), D(4000)),
                ("agriculture", "现代农业", 5, 5, 0, 0, D(25000), D(0), D(0)),
                ("manufacturing", "装备制造", 3, 1, 1, 0, D(15000), D(1000), D(0)),
            ],
        )

    def test_totals_by_batch_with_the_projects_of_no_batch(self):
        with time_machine.travel(TODAY, tick=False):
            services.project_create(
                by=self.alice,
                programme=self.programme,
                title="上级交办项目",
                sector="services",
                district="和平区",
                unit=self.heping,
                owner=self.alice,
                found_on=BASE,
                channel="assigned",
                planned_amount=D(500),
            )
        self.assertEqual(
            self.totals("batch"),
            [
                (str(self.batch.pk), "第5批", 8, 6, 3, 2, D(36000), D(6000), D(4000)),
                (str(self.batch6.pk), "第6批", 2, 2, 0, 0, D(19000), D(0), D(0)),
                ("", "未关联批次", 1, 1, 0, 0, D(500), D(0), D(0)),
            ],
        )


class BoardData(ProjectsTestCase):
    """On 2027-10-01 with the default 30/60 days: seven leads found on different days, one
    of them terminated, one moved into 专班 today."""

    TODAY = date(2027, 10, 1)

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        with time_machine.travel(cls.TODAY, tick=False):
            for title, found in (
                ("绿灯", date(2027, 9, 25)),
                ("黄灯", date(2027, 8, 25)),
                ("红灯七月", date(2027, 7, 1)),
                ("红灯六月", date(2027, 6, 1)),
                ("红灯五月", date(2027, 5, 1)),
            ):
                cls.lead(title, day=found)
            cls.lead(
                "浑南红灯",
                day=date(2027, 4, 15),
                found_by=cls.li,
                unit=cls.hunnan,
                owner=cls.eve,
                district="浑南区",
            )
            ended = cls.lead("已终止", day=date(2027, 4, 1))
            services.project_terminate(project=ended, by=cls.alice, reason="其他", note="撤回")
            moved = cls.lead("已组建专班", day=date(2027, 4, 1))
            cls.with_task_force(moved)
            services.stage_move(project=moved, to_stage=cls.s_force, by=cls.alice)


class BoardTests(BoardData):
    def board(self, qs=None, per_column=2):
        with time_machine.travel(self.TODAY, tick=False):
            return services.board(qs or Project.objects.all(), self.programme, per_column)

    def test_the_board_counts_each_stage_by_light_and_shows_the_most_stalled_first(self):
        columns = self.board()
        self.assertEqual(
            [c.stage.name for c in columns], ["线索", "专班", "洽谈", "签约", "落地", "投产"]
        )
        lead, force, *rest = columns
        self.assertEqual(lead.count, 6)
        self.assertEqual(lead.lights, {Light.GREEN: 1, Light.YELLOW: 1, Light.RED: 4})
        self.assertEqual([p.title for p in lead.cards], ["浑南红灯", "红灯五月"])
        self.assertEqual(lead.more, 4)
        self.assertEqual((force.count, force.lights), (1, {Light.GREEN: 1}))
        self.assertEqual([p.title for p in force.cards], ["已组建专班"])
        self.assertEqual(force.more, 0)
        for column in rest:
            self.assertEqual((column.count, column.lights, column.cards), (0, {}, []))

    def test_a_card_carries_its_light(self):
        cards = self.board(per_column=12)[0].cards
        self.assertEqual(
            [(p.title, p.light) for p in cards],
            [
                ("浑南红灯", Light.RED),
                ("红灯五月", Light.RED),
                ("红灯六月", Light.RED),
                ("红灯七月", Light.RED),
                ("黄灯", Light.YELLOW),
                ("绿灯", Light.GREEN),
            ],
        )

    def test_the_board_of_a_scope_leaves_the_other_district_out(self):
        lead = self.board(access.projects_for(self.bob))[0]
        self.assertEqual((lead.count, lead.lights[Light.RED]), (5, 3))
        self.assertEqual([p.title for p in lead.cards], ["红灯五月", "红灯六月"])

    def test_the_boards_queries_do_not_grow_with_the_projects(self):
        with CaptureQueriesContext(connection) as before:
            self.board()
        with time_machine.travel(self.TODAY, tick=False):
            for i in range(5):
                self.lead(f"新线索{i}", day=date(2027, 9, 1))
        with CaptureQueriesContext(connection) as after:
            columns = self.board()
        self.assertEqual(len(after.captured_queries), len(before.captured_queries))
        self.assertEqual(columns[0].count, 11)

    def test_the_summary_counts_the_ended_and_lists_the_selections_districts(self):
        with time_machine.travel(self.TODAY, tick=False):
            whole = services.board_summary(Project.objects.all(), self.programme)
            scoped = services.board_summary(access.projects_for(self.bob), self.programme)
        self.assertEqual((whole.terminated, whole.districts), (1, ["和平区", "浑南区"]))
        self.assertEqual((scoped.terminated, scoped.districts), (1, ["和平区"]))
        self.assertEqual(sum(c.count for c in whole.columns), 7)


class BoardPageTests(BoardData):
    """The pages around the board's data, with time frozen on TODAY (sessions included)."""

    def setUp(self):
        traveller = time_machine.travel(self.TODAY, tick=False)
        traveller.start()
        self.addCleanup(traveller.stop)
        self.login(self.alice)

    def test_the_district_choices_stay_all_of_the_scope_when_a_district_is_chosen(self):
        for query in ("", "&district=浑南区", "&mine=1"):
            response = self.client.get(f"/projects/board/?programme={self.programme.pk}{query}")
            self.assertEqual(response.context["districts"], ["和平区", "浑南区"], query)
        response = self.client.get(
            f"/projects/board/?programme={self.programme.pk}&district=浑南区"
        )
        self.assertEqual(response.context["terminated"], 0)
        self.assertEqual(response.context["columns"][0].count, 1)

    def test_the_funnels_district_choices_are_the_scopes_with_or_without_a_filter(self):
        for query in ("", "&district=浑南区"):
            response = self.client.get(f"/projects/funnel/?programme={self.programme.pk}{query}")
            self.assertEqual(response.context["districts"], ["和平区", "浑南区"], query)
