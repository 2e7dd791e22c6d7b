"""The configurable rules: the look-back and rectification times, 基本满意's weight, and the
status workflow (rename, add, reorder; drop only what was never used; the first status open
and at least one done)."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from guazhi.core.models import AuditEntry

from .. import services
from ..models import Deed, Status
from ..services import DeedError
from .helpers import DeedsTestCase


class RuleTests(DeedsTestCase):
    def rows(self):
        return [(s.pk, s.name, s.kind) for s in services.statuses()]

    def test_statuses_can_be_renamed_swapped_and_extended(self):
        rows = self.rows()
        registered, working, done, closed = rows
        services.statuses_save(
            by=self.alice,
            rows=[
                (registered[0], "办理中", "open"),  # takes the name another gives up
                (working[0], "已登记", "open"),
                (None, "待验收", "open"),
                done,
                closed,
            ],
        )
        self.assertEqual(
            [(s.name, s.kind) for s in services.statuses()],
            [
                ("办理中", "open"),
                ("已登记", "open"),
                ("待验收", "open"),
                ("已办结", "done"),
                ("已关闭", "closed"),
            ],
        )

    def test_the_workflow_must_start_open_have_a_done_and_unique_names(self):
        rows = self.rows()
        for bad, words in (
            ([rows[2], rows[0], rows[1], rows[3]], "第一个状态"),
            ([rows[0], rows[1], rows[3]], "已办结"),
            ([rows[0], (rows[1][0], rows[0][1], "open"), rows[2], rows[3]], "重复"),
            ([rows[0], (rows[1][0], " ", "open"), rows[2], rows[3]], "不能为空"),
        ):
            with self.assertRaises(DeedError) as caught:
                services.statuses_save(by=self.alice, rows=bad)
            self.assertIn(words, str(caught.exception))
        self.assertEqual(self.rows(), rows)  # nothing written

    def test_a_used_status_cannot_be_dropped_an_unused_one_can(self):
        rows = self.rows()
        self.deed(day=date(2026, 1, 5))  # uses 已登记
        with self.assertRaises(DeedError) as caught:
            services.statuses_save(by=self.alice, rows=rows[1:])
        self.assertIn("已登记", str(caught.exception))
        services.statuses_save(by=self.alice, rows=[rows[0], rows[2], rows[3]])  # drops 办理中
        self.assertEqual(Status.objects.count(), 3)

    def test_the_lists_follow_the_workflow_order_after_a_move_and_a_reorder(self):
        rows = self.rows()
        registered, working = (Status.objects.get(pk=pk) for pk, _n, _k in rows[:2])
        first = self.deed("甲", day=date(2026, 1, 5))
        second = self.deed("乙", day=date(2026, 1, 6))
        services.status_change(deed=second, to_status=working, by=self.alice, note="开始办理")

        def listed():
            by_join = Deed.objects.order_by("status__order", "promised_on", "pk")
            self.assertEqual(list(Deed.objects.order_by(*Deed.LIST_ORDER)), list(by_join))
            return [d.title for d in Deed.objects.order_by(*Deed.LIST_ORDER)]

        self.assertEqual(listed(), ["甲", "乙"])  # 已登记 before 办理中
        # The copy is not news in the audit log: the status change says it.
        moved = AuditEntry.objects.filter(object_type="deeds.deed", object_id=str(second.pk))
        changes = json.dumps([e.changes for e in moved], ensure_ascii=False)
        self.assertIn(f'"status": [{registered.pk}, {working.pk}]', changes)
        self.assertNotIn("status_order", changes)
        self.assertNotIn("status order", changes)
        services.statuses_save(by=self.alice, rows=[rows[1], rows[0], *rows[2:]])
        self.assertEqual(listed(), ["乙", "甲"])  # 办理中 now first
        self.assertEqual(
            sorted(Deed.objects.values_list("status_order", flat=True)),
            sorted(Status.objects.filter(deeds__isnull=False).values_list("order", flat=True)),
        )
        self.assertEqual(first.pk, Deed.objects.order_by(*Deed.LIST_ORDER).last().pk)

    def test_the_rules_page_for_the_org_department_only(self):
        self.login(self.carol)
        self.assertEqual(self.client.get("/deeds/rules/").status_code, 403)
        self.login(self.alice)
        self.assertEqual(self.client.get("/deeds/rules/").status_code, 200)
        response = self.client.post(
            "/deeds/rules/",
            {
                "part": "policy",
                "p-lookback_days": "14",
                "p-recurrence_days": "90",
                "p-rectify_working_days": "3",
                "p-basic_weight": "0.6",
            },
        )
        self.assertRedirects(response, "/deeds/rules/")
        policy = services.policy()
        self.assertEqual((policy.lookback_days, policy.basic_weight), (14, Decimal("0.6")))
        response = self.client.post(
            "/deeds/rules/",
            {
                "part": "policy",
                "p-lookback_days": "14",
                "p-recurrence_days": "90",
                "p-rectify_working_days": "3",
                "p-basic_weight": "1.5",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.context["policy_form"].errors)
