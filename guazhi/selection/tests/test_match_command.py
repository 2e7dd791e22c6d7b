"""`guazhi match`: prints the proposal with its reasons, as JSON too, and confirms only for a
user allowed to match."""

from __future__ import annotations

import io
import json

from django.core.management import CommandError, call_command

from .helpers import SelectionTestCase


class MatchCommandTests(SelectionTestCase):
    def setUp(self):
        self.wang_n = self.pass_level(self.nominate(), self.bob)
        self.li_n = self.pass_level(self.nominate(self.li, by=self.eve), self.eve)

    def run_match(self, *args, **options):
        out = io.StringIO()
        call_command("match", *args, stdout=out, **options)
        return out.getvalue()

    def test_it_prints_the_pairs_with_their_reasons(self):
        text = self.run_match(self.batch.pk)
        self.assertIn("已证明最优", text)
        self.assertIn("投资促进局副局长：王晓明", text)
        self.assertIn("✓ 专长：招商引资", text)

    def test_json_output_and_selection_by_batch_number(self):
        data = json.loads(self.run_match(number=5, as_json=True))
        self.assertEqual(data["status"], "optimal")
        pairs = {(p["cadre"], p["post"]) for p in data["pairs"]}
        self.assertEqual(pairs, {("王晓明", self.post_invest.pk), ("李浑南", self.post_tech.pk)})

    def test_confirming_needs_the_matching_permission(self):
        with self.assertRaisesMessage(CommandError, "没有人岗匹配权限"):
            self.run_match(self.batch.pk, confirm_as="bob")
        self.wang_n.refresh_from_db()
        self.assertIsNone(self.wang_n.post)
        self.run_match(self.batch.pk, confirm_as="alice")
        self.wang_n.refresh_from_db()
        self.assertEqual(self.wang_n.post, self.post_invest)

    def test_an_unknown_batch_is_a_clear_error(self):
        with self.assertRaisesMessage(CommandError, "没有 id 为 999 的批次"):
            self.run_match(999)
        with self.assertRaisesMessage(CommandError, "没有第9批"):
            self.run_match(number=9)
