"""A year of assessment through the pages only, as the people involved would do it: the
organisation department drafts the plans, each cadre agrees to his, the plans are approved;
the team leader proposes the quarter's grades and they are confirmed; the round is created,
every rater rates, the cadre writes his summary, the qualitative items are scored, the round
is computed, the quota refuses too many 优秀, the grades are chosen and the round confirmed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import time_machine
from django.contrib.messages import get_messages

from guazhi.cadres.models import AnnualAssessment
from guazhi.records.models import DailyRecord

from ..models import Entry, Plan, QuarterResult, Rating, Round
from .helpers import AssessmentTestCase

ASPECTS = ("political", "conduct", "performance", "integrity")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


class WalkthroughTests(AssessmentTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # Start from no plans at all.
        Plan.objects.all().delete()

    def ok(self, response, status=302):
        self.assertEqual(response.status_code, status, messages_of(response))
        errors = [m.message for m in get_messages(response.wsgi_request) if m.level_tag == "error"]
        self.assertEqual(errors, [])
        return response

    def plan_rows(self, placement):
        """The plan page's formset as a browser posts it, with the fixture's three items."""
        response = self.client.get(f"/assessment/placements/{placement.pk}/plan/edit/")
        formset = response.context["formset"]
        data = {
            "items-TOTAL_FORMS": str(formset.total_form_count()),
            "items-INITIAL_FORMS": str(formset.initial_form_count()),
            "items-MIN_NUM_FORMS": "0",
            "items-MAX_NUM_FORMS": "40",
            "note": "",
        }
        rows = [("走访企业次数", 40, 20), ("工作纪实", 30, 60), ("工作作风", 30, "")]
        for i, (name, weight, target) in enumerate(rows):
            data[f"items-{i}-indicator"] = self.ind[name].pk
            data[f"items-{i}-weight"] = weight
            data[f"items-{i}-target"] = target
        return data

    def test_from_plans_to_a_confirmed_round(self):
        # Records of the year: 20 visits and 40 other records each (meets the targets).
        for placement in (self.p_wang, self.p_li, self.p_zhou):
            DailyRecord.objects.bulk_create(
                DailyRecord(
                    cadre_id=placement.cadre_id,
                    placement=placement,
                    date=date(2027, 4, 1) + timedelta(days=i),
                    category="visit" if i < 20 else "routine",
                    content=f"纪实 {i}",
                )
                for i in range(60)
            )

        with time_machine.travel("2027-04-06 10:00 +0800", tick=False):
            # 1. The organisation department drafts the three plans and fills them in.
            self.login(self.alice)
            self.assertContains(self.client.get("/assessment/"), "指标方案")
            self.ok(self.client.post(f"/assessment/batches/{self.batch.pk}/plans/start/"))
            self.assertEqual(Plan.objects.filter(status="draft").count(), 3)
            for placement in (self.p_wang, self.p_li, self.p_zhou):
                data = self.plan_rows(placement)
                self.ok(self.client.post(f"/assessment/placements/{placement.pk}/plan/edit/", data))

            # 2. Each cadre agrees to his own (zhou has no account: recorded for him).
            for user, placement in ((self.dave, self.p_wang), (self.lucy, self.p_li)):
                self.login(user)
                self.assertContains(self.client.get("/assessment/"), "查看并确认方案")
                plan = Plan.objects.get(placement=placement)
                self.ok(self.client.post(f"/assessment/plans/{plan.pk}/agree/"))
            self.login(self.alice)
            plan = Plan.objects.get(placement=self.p_zhou)
            self.ok(self.client.post(f"/assessment/plans/{plan.pk}/agree/"))

            # 3. Approval.
            response = self.client.get("/assessment/")
            self.assertContains(response, "3 待审定")
            for plan in Plan.objects.all():
                self.ok(self.client.post(f"/assessment/plans/{plan.pk}/approve/"))
            self.assertEqual(Plan.objects.filter(status="approved").count(), 3)

        with time_machine.travel("2027-12-20 10:00 +0800", tick=False):
            # 4. 平时考核: the leader proposes each quarter, the department confirms.
            self.login(self.tina)
            for quarter in (2, 3, 4):
                url = f"/assessment/batches/{self.batch.pk}/quarters/2027/{quarter}/"
                self.assertEqual(self.client.get(url).status_code, 200)
                for placement in (self.p_wang, self.p_li, self.p_zhou):
                    self.ok(
                        self.client.post(
                            f"{url}propose/{placement.pk}/", {f"p{placement.pk}-grade": "好"}
                        )
                    )
            self.login(self.alice)
            for quarter in (2, 3, 4):
                url = f"/assessment/batches/{self.batch.pk}/quarters/2027/{quarter}/confirm/"
                ids = QuarterResult.objects.filter(quarter=quarter).values_list("pk", flat=True)
                self.ok(self.client.post(url, {"result": list(ids)}))
            self.assertEqual(QuarterResult.objects.filter(status="confirmed").count(), 9)

            # 5. The round.
            response = self.client.get(f"/assessment/batches/{self.batch.pk}/rounds/new/")
            self.assertContains(response, 'value="2027-03-01"')
            self.ok(
                self.client.post(
                    f"/assessment/batches/{self.batch.pk}/rounds/new/",
                    {
                        "kind": "annual",
                        "year": 2027,
                        "period_start": "2027-03-01",
                        "period_end": "2027-12-31",
                    },
                )
            )
            round_ = Round.objects.get()
            self.assertEqual(round_.entries.count(), 3)

            # 6. Every rater rates on 我的评价任务.
            raters = {r.rater for r in Rating.objects.filter(entry__round=round_)}
            self.assertEqual(
                {u.username for u in raters}, {"hank", "tina", "alice", "dave", "lucy"}
            )
            for rater in raters:
                self.login(rater)
                response = self.client.get("/assessment/ratings/?status=pending")
                mine = Rating.objects.filter(rater=rater, entry__round=round_)
                self.assertContains(response, 'action="/assessment/ratings/', count=mine.count())
                for rating in mine:
                    data = {f"r{rating.pk}-{a}": "90" for a in ASPECTS}
                    data[f"r{rating.pk}-comment"] = "表现突出"
                    self.ok(self.client.post(f"/assessment/ratings/{rating.pk}/", data))
            self.assertFalse(Rating.objects.filter(submitted_at__isnull=True).exists())

            # 7. The cadre writes his summary; the department scores 工作作风.
            entry = Entry.objects.get(placement=self.p_wang)
            self.login(self.dave)
            self.ok(
                self.client.post(
                    f"/assessment/entries/{entry.pk}/summary/", {"text": "全年走访企业二十家"}
                )
            )
            self.login(self.alice)
            for e in round_.entries.all():
                item = e.plan.items.get(indicator=self.ind["工作作风"])
                self.ok(
                    self.client.post(
                        f"/assessment/entries/{e.pk}/items/{item.pk}/score/",
                        {f"i{item.pk}-score": "90", f"i{item.pk}-evidence": "作风扎实"},
                    )
                )

            # 8. Compute: targets met and ratings of 90 → 97 points, proposed 优秀 for all.
            self.ok(self.client.post(f"/assessment/rounds/{round_.pk}/compute/"))
            entry.refresh_from_db()
            self.assertEqual((entry.indicator_score, entry.final_score), (D("97"), D("94.20")))
            self.assertEqual(entry.proposed_grade, "优秀")
            response = self.client.get(f"/assessment/rounds/{round_.pk}/")
            self.assertContains(response, "94.20")

            # 9. Three 优秀 of three break the 20% quota: refused with the numbers.
            entries = list(round_.entries.all())
            data = {"action": "confirm", "entry": [e.pk for e in entries]}
            response = self.client.post(f"/assessment/rounds/{round_.pk}/decide/", data)
            self.assertIn(
                "优秀比例不超过 20%：本轮 3 人，最多 0 人优秀，现有 3 人", messages_of(response)
            )
            round_.refresh_from_db()
            self.assertFalse(round_.is_frozen)
            self.assertContains(self.client.get(f"/assessment/rounds/{round_.pk}/"), "优秀比例")

            # 10. The department decides 称职 for all and confirms.
            data.update({f"grade_{e.pk}": "称职" for e in entries})
            self.ok(self.client.post(f"/assessment/rounds/{round_.pk}/decide/", data))
            round_.refresh_from_db()
            self.assertTrue(round_.is_frozen)
            self.assertEqual(
                set(AnnualAssessment.objects.filter(year=2027).values_list("result", flat=True)),
                {"称职"},
            )

            # 11. The cadre sees his result; his form prints.
            self.login(self.dave)
            response = self.client.get(f"/assessment/entries/{entry.pk}/")
            self.assertContains(response, "称职")
            self.assertContains(response, "全年走访企业二十家")
            response = self.client.get(f"/assessment/entries/{entry.pk}/form.xlsx")
            self.assertEqual(response.status_code, 200)
