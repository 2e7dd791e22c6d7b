"""The meeting rhythm (三会一课 频次): behind and due at month and quarter boundaries, with the
programme's rules (batch 5 runs 2027-03-01 → 2028-03-01)."""

from __future__ import annotations

from datetime import date

import time_machine

from guazhi.programmes.models import Programme

from .. import services
from ..models import DEFAULT_RHYTHM, RhythmRule
from .helpers import TeamTestCase


class DefaultRulesTests(TeamTestCase):
    def test_a_new_programme_starts_with_the_default_rhythm(self):
        programme = Programme.objects.create(name="新项目", owner_unit=self.city)
        rules = set(programme.rhythm.values_list("meeting_type", "period", "count"))
        self.assertEqual(rules, {(str(k), str(p), c) for k, p, c in DEFAULT_RHYTHM})

    def test_creating_the_defaults_again_adds_nothing(self):
        services.ensure_default_rhythm(self.programme)
        services.ensure_default_rhythm(self.programme)
        self.assertEqual(self.programme.rhythm.count(), len(DEFAULT_RHYTHM))

    def test_saving_the_programme_again_keeps_its_rules(self):
        self.programme.rhythm.filter(meeting_type="committee").delete()
        self.programme.save()
        self.assertFalse(self.programme.rhythm.filter(meeting_type="committee").exists())


class RhythmTests(TeamTestCase):
    def status(self, kind: str, today: date):
        rules = self.programme.rhythm.filter(meeting_type=kind)
        (status,) = services.rhythm_status(self.team, today, rules)
        return status

    def states(self, kind: str, today: date) -> dict[str, str]:
        return {p.period.label: p.state for p in self.status(kind, today).periods}

    def test_month_boundary_the_last_day_is_still_due_the_next_day_is_behind(self):
        self.meeting("group", date(2027, 3, 15))
        with time_machine.travel("2027-04-30 20:00 +0800"):
            self.assertEqual(
                self.states("group", date(2027, 4, 30)), {"2027-03": "ok", "2027-04": "due"}
            )
        with time_machine.travel("2027-05-01 08:00 +0800"):
            status = self.status("group", date(2027, 5, 1))
            self.assertEqual(
                {p.period.label: p.state for p in status.periods},
                {"2027-03": "ok", "2027-04": "behind", "2027-05": "due"},
            )
            self.assertEqual([p.period.label for p in status.behind], ["2027-04"])
            self.assertEqual(status.due.days_left(date(2027, 5, 1)), 31)

    def test_a_meeting_held_in_the_period_settles_it(self):
        self.meeting("group", date(2027, 3, 15))
        self.meeting("group", date(2027, 4, 30))
        self.assertEqual(
            self.states("group", date(2027, 5, 1)),
            {"2027-03": "ok", "2027-04": "ok", "2027-05": "due"},
        )

    def test_quarter_boundary_and_the_partial_first_quarter(self):
        # The batch starts on 1 March: the first quarter is not a whole one, so not required.
        with time_machine.travel("2027-06-30 20:00 +0800"):
            self.assertEqual(self.states("lecture", date(2027, 6, 30)), {"2027Q2": "due"})
        with time_machine.travel("2027-07-01 08:00 +0800"):
            self.assertEqual(
                self.states("lecture", date(2027, 7, 1)), {"2027Q2": "behind", "2027Q3": "due"}
            )
        self.meeting("lecture", date(2027, 5, 5))
        self.assertEqual(
            self.states("lecture", date(2027, 7, 1)), {"2027Q2": "ok", "2027Q3": "due"}
        )

    def test_a_rule_asking_for_two_needs_two(self):
        RhythmRule.objects.filter(programme=self.programme, meeting_type="group").update(count=2)
        self.meeting("group", date(2027, 3, 5))
        self.assertEqual(self.states("group", date(2027, 4, 1))["2027-03"], "behind")
        self.meeting("group", date(2027, 3, 25))
        self.assertEqual(self.states("group", date(2027, 4, 1))["2027-03"], "ok")

    def test_a_planned_meeting_does_not_count_until_its_day(self):
        self.meeting("group", date(2027, 3, 10))
        services.meeting_save(
            team=self.team,
            by=self.tina,
            kind="group",
            date=date(2027, 4, 28),
            place="驻京办",
            topic="计划中的党小组会",
            host="王晓明",
            today=date(2027, 4, 20),
        )
        self.assertEqual(self.states("group", date(2027, 4, 20))["2027-04"], "due")
        self.assertEqual(self.states("group", date(2027, 4, 28))["2027-04"], "ok")

    def test_nothing_is_required_before_the_batch_starts_or_after_it_ends(self):
        self.assertEqual(self.states("group", date(2027, 2, 10)), {})
        states = self.states("group", date(2028, 6, 1))
        self.assertEqual(min(states), "2027-03")
        self.assertEqual(max(states), "2028-02")  # March 2028 is not a whole month of the batch
        self.assertNotIn("due", states.values())

    def test_the_team_page_warns_when_behind(self):
        self.programme.rhythm.exclude(meeting_type="group").delete()
        self.meeting("group", date(2027, 3, 15))
        with time_machine.travel("2027-04-20 09:00 +0800"):
            self.login(self.tina)
            page = self.client.get(f"/teams/{self.team.pk}/")
            self.assertNotContains(page, "会议频次不足")
        with time_machine.travel("2027-05-03 09:00 +0800"):
            self.login(self.tina)
            page = self.client.get(f"/teams/{self.team.pk}/")
            self.assertContains(page, "会议频次不足")
            self.assertContains(page, "2027年4月党小组会应至少召开 1 次，实际 0 次")


@time_machine.travel("2027-05-10 09:00 +0800")
class RhythmRulesPageTests(TeamTestCase):
    def url(self):
        return f"/teams/rhythm/{self.programme.pk}/"

    def formset(self, rows):
        data = {
            "rule-TOTAL_FORMS": str(len(rows)),
            "rule-INITIAL_FORMS": "0",
            "rule-MIN_NUM_FORMS": "0",
            "rule-MAX_NUM_FORMS": "30",
        }
        for i, (kind, period, count) in enumerate(rows):
            data[f"rule-{i}-meeting_type"] = kind
            data[f"rule-{i}-period"] = period
            data[f"rule-{i}-count"] = str(count)
        return data

    def test_the_city_officer_edits_the_rules_and_others_cannot(self):
        for user in (self.tina, self.bob, self.dave):
            with self.subTest(user=user.username):
                self.login(user)
                self.assertEqual(self.client.get(self.url()).status_code, 403)
        self.login(self.alice)
        page = self.client.get(self.url())
        self.assertContains(page, "党小组会")
        kept = self.programme.rhythm.get(meeting_type="group")
        response = self.client.post(
            self.url(),
            self.formset([("group", "month", 2), ("lecture", "quarter", 1), ("study", "month", 1)]),
        )
        self.assertRedirects(response, f"/programmes/{self.programme.pk}/")
        rules = set(self.programme.rhythm.values_list("meeting_type", "period", "count"))
        self.assertEqual(
            rules, {("group", "month", 2), ("lecture", "quarter", 1), ("study", "month", 1)}
        )
        # The unchanged rule keeps its identity (reminder keys use it).
        self.assertTrue(RhythmRule.objects.filter(pk=kept.pk, count=2).exists())

    def test_a_duplicate_rule_is_refused(self):
        self.login(self.alice)
        response = self.client.post(
            self.url(), self.formset([("group", "month", 1), ("group", "month", 2)])
        )
        self.assertContains(response, "重复了")
        self.assertEqual(self.programme.rhythm.count(), len(DEFAULT_RHYTHM))
