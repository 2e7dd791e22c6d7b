"""Programme outcome statistics: distinct cadres per batch and per programme, only events on or
after the placement's start, scoped to the viewer's cadres (and the page says so); the Excel
export has Chinese headers, a frozen header row, and is audited."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import time_machine
from openpyxl import load_workbook

from guazhi.cadres.tests.factories import make_cadre
from guazhi.core.models import AuditEntry
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Batch, Post

from .. import access, services
from .helpers import ReturnsTestCase


class OutcomeTestCase(ReturnsTestCase):
    def setUp(self):
        self.finish(self.wang_p)
        self.finish(self.li_p)
        self.record_return(self.wang_p)
        # 王晓明 promoted twice after the placement, and once before it (does not count).
        self.event(self.wang, "promoted", date(2028, 6, 1))
        self.event(self.wang, "promoted", date(2029, 6, 1))
        self.event(self.wang, "reused", date(2028, 9, 1))
        self.event(self.wang, "honoured", date(2028, 12, 1))
        # 李浑南: promoted before the placement started only; transferred after.
        self.event(self.li, "promoted", date(2026, 5, 1))
        self.event(self.li, "transferred", date(2028, 8, 1), placement=self.li_p)

    def stats(self, user):
        return services.outcome_statistics(access.placements_for(user), access.events_for(user))


class OutcomeStatisticsTests(OutcomeTestCase):
    def test_cadres_are_counted_once_and_only_for_events_after_the_start(self):
        [outcome] = self.stats(self.alice)
        [row] = outcome.rows
        self.assertEqual(row.label, "第5批")
        self.assertEqual(
            row.values(), [2, 1, 1, 1, 1, "50.0%", 1, 1]
        )  # sent, returned, promoted, reused, promoted or reused, share, transferred, honoured

    def test_the_programme_total_counts_a_cadre_of_two_batches_once(self):
        later = Batch.objects.create(
            programme=self.programme,
            number=6,
            start=date(2028, 4, 1),
            end=date(2029, 4, 1),
            quota=2,
        )
        post = Post.objects.create(batch=later, title="园区副主任", host_unit=self.chaoyang)
        second = programme_services.placement_create(cadre=self.wang, post=post)
        newcomer = make_cadre(self.heping_fgj, "赵新来", birth=date(1990, 1, 1))
        programme_services.placement_create(
            cadre=newcomer,
            post=Post.objects.create(batch=later, title="助理", host_unit=self.chaoyang),
        )
        self.finish(second, end=date(2029, 4, 1))
        # Linked to the second placement: counts for batch 6 only.
        self.event(self.wang, "reused", date(2029, 8, 1), placement=second)
        [outcome] = self.stats(self.alice)
        by_batch = {row.label: row for row in outcome.rows}
        self.assertEqual(list(by_batch), ["第5批", "第6批"])
        self.assertEqual((len(by_batch["第6批"].sent), by_batch["第6批"].reused), (2, 1))
        # The 2029 promotion was recorded while batch 5's placement was the last ended one:
        # it follows that placement, not batch 6's.
        self.assertEqual((by_batch["第5批"].promoted, by_batch["第6批"].promoted), (1, 0))
        self.assertEqual(len(outcome.total.sent), 3)
        self.assertEqual(outcome.total.promoted_or_reused, 1)
        self.assertEqual(outcome.total.share, "33.3%")

    def test_a_district_officer_counts_only_his_district(self):
        [outcome] = self.stats(self.eve)
        self.assertEqual(outcome.total.values(), [1, 0, 0, 0, 0, "0.0%", 1, 0])
        [outcome] = self.stats(self.bob)
        self.assertEqual(outcome.total.values()[:5], [1, 1, 1, 1, 1])


class OutcomePageTests(OutcomeTestCase):
    def test_the_page_shows_the_figures_and_says_when_they_are_limited(self):
        self.login(self.alice)
        page = self.client.get("/returns/outcomes/").content.decode()
        self.assertIn("2 名干部中 1 人提拔或重用", page)
        self.assertIn("全部干部", page)
        self.login(self.bob)
        page = self.client.get("/returns/outcomes/").content.decode()
        self.assertIn("仅和平区委组织部及下级单位的干部", page)
        self.assertIn("1 名干部中 1 人提拔或重用", page)
        self.login(self.carol)
        self.assertIn(
            "仅和平区发改局的干部", self.client.get("/returns/outcomes/").content.decode()
        )

    def test_those_without_the_ledger_or_with_only_self_get_403(self):
        for user in (self.dave, self.hank, self.sam):
            self.login(user)
            self.assertEqual(self.client.get("/returns/outcomes/").status_code, 403, user.username)
            self.assertEqual(
                self.client.get("/returns/outcomes.xlsx").status_code, 403, user.username
            )

    @time_machine.travel("2030-01-01")
    def test_the_excel_export_has_chinese_headers_a_frozen_header_and_is_audited(self):
        self.login(self.bob)
        response = self.client.get("/returns/outcomes.xlsx")
        self.assertEqual(response.status_code, 200)
        ws = load_workbook(BytesIO(response.content)).active
        self.assertEqual(
            [c.value for c in ws[1]],
            [
                "选派项目",
                "批次",
                "选派人数",
                "已返岗",
                "提拔",
                "重用",
                "提拔或重用",
                "提拔或重用占比",
                "交流",
                "评先评优",
            ],
        )
        self.assertEqual(ws.freeze_panes, "A2")
        self.assertEqual(
            [c.value for c in ws[2]][:7], [self.programme.name, "第5批", 1, 1, 1, 1, 1]
        )
        self.assertEqual(ws[3][1].value, "合计")
        self.assertIn(
            "仅和平区委组织部及下级单位的干部", "".join(str(c.value) for c in ws["A"] if c.value)
        )
        self.assertGreater(ws.column_dimensions["A"].width, 20)
        entry = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT).get()
        self.assertEqual(entry.actor, self.bob)
        self.assertIn("返岗成效", entry.message)
