"""平时考核 pages: the team leader proposes each cadre's grade from the quarter's records and
indicator progress; the organisation department confirms the selected ones, with the cap on
“好” refused by name and numbers; a cadre sees his grade only once it is confirmed."""

from __future__ import annotations

from datetime import date

import time_machine
from django.contrib.messages import get_messages

from guazhi.records.models import DailyRecord

from .. import services
from ..models import QuarterResult
from .helpers import AssessmentTestCase

NOW = "2027-12-20 10:00 +0800"


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@time_machine.travel(NOW, tick=False)
class QuarterPageTests(AssessmentTestCase):
    def url(self, year=2027, quarter=4):
        return f"/assessment/batches/{self.batch.pk}/quarters/{year}/{quarter}/"

    def propose(self, placement, grade, note="", user=None):
        self.login(user or self.tina)
        return self.client.post(
            f"{self.url()}propose/{placement.pk}/",
            {f"p{placement.pk}-grade": grade, f"p{placement.pk}-note": note},
        )

    def test_the_default_page_is_the_current_quarter(self):
        self.login(self.tina)
        response = self.client.get(f"/assessment/batches/{self.batch.pk}/quarters/")
        self.assertRedirects(response, self.url())

    def test_the_evidence_shows_the_quarters_records_and_the_indicator_progress(self):
        for day in (date(2027, 10, 8), date(2027, 10, 15), date(2027, 11, 3)):
            DailyRecord.objects.create(
                cadre=self.wang,
                placement=self.p_wang,
                date=day,
                category=DailyRecord.Category.ENTERPRISE_VISIT,
                content="走访企业",
                evidence=DailyRecord.Evidence.POSITIVE,
            )
        self.login(self.tina)
        response = self.client.get(self.url())
        self.assertContains(response, "纪实 3 条（正面实绩 3，负面情况 0，已点评 0）")
        self.assertContains(response, "走访企业次数：3/40 次（7.5%）")
        self.assertContains(response, '工作作风：<span class="text-body-secondary">年度考核时评定')

    def test_the_leader_proposes_and_may_change_until_confirmed(self):
        response = self.propose(self.p_wang, "好", "走访企业数量多")
        self.assertRedirects(response, self.url(), fetch_redirect_response=False)
        self.assertIn(
            "已提出王晓明 2027年第4季度平时考核等次“好”，待组织部门确认。", messages_of(response)
        )
        self.propose(self.p_wang, "较好")
        result = QuarterResult.objects.get(placement=self.p_wang, year=2027, quarter=4)
        self.assertEqual(
            (result.grade, result.status, result.proposed_by), ("较好", "proposed", self.tina)
        )

    def test_a_quarter_not_yet_started_is_refused_with_the_reason(self):
        self.login(self.tina)
        response = self.client.post(
            f"/assessment/batches/{self.batch.pk}/quarters/2028/1/propose/{self.p_wang.pk}/",
            {f"p{self.p_wang.pk}-grade": "好"},
        )
        self.assertIn("王晓明：2028年第1季度尚未开始", messages_of(response))
        self.assertFalse(QuarterResult.objects.exists())

    def test_the_cadre_sees_his_grade_only_once_confirmed(self):
        self.propose(self.p_wang, "较差", "纪实偏少")
        self.login(self.dave)
        response = self.client.get(self.url())
        self.assertContains(response, "待确认")
        self.assertNotContains(response, "较差")
        self.assertNotContains(response, "纪实偏少")
        result = QuarterResult.objects.get()
        services.quarter_confirm(results=[result], by=self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, "较差")
        self.assertContains(response, "纪实偏少")

    def test_the_organisation_department_confirms_the_selected_results(self):
        for placement in (self.p_wang, self.p_li, self.p_zhou):
            self.propose(placement, "较好")
        results = QuarterResult.objects.order_by("pk")
        self.login(self.alice)
        response = self.client.get(self.url())
        self.assertContains(response, 'form="confirm-form"', count=3)
        response = self.client.post(
            f"{self.url()}confirm/", {"result": [results[0].pk, results[1].pk]}
        )
        self.assertIn("已确认 2 人的平时考核等次。", messages_of(response))
        self.assertEqual(
            list(results.values_list("status", flat=True)), ["confirmed", "confirmed", "proposed"]
        )
        response = self.client.get(self.url())
        self.assertContains(response, 'form="confirm-form"', count=1)
        # Confirmed results lose their propose form.
        self.login(self.tina)
        self.assertContains(self.client.get(self.url()), "/propose/", count=1)

    def test_the_cap_on_good_is_refused_with_the_numbers(self):
        self.policy.quarter_good_cap = 40
        self.policy.save()
        for placement in (self.p_wang, self.p_li, self.p_zhou):
            self.propose(placement, "好")
        self.login(self.alice)
        response = self.client.post(
            f"{self.url()}confirm/",
            {"result": list(QuarterResult.objects.values_list("pk", flat=True))},
        )
        self.assertIn(
            "“好”等次不超过 40%：第5批 2027年第4季度 3 人中最多 1 人，本次确认后将有 3 人",
            messages_of(response),
        )
        self.assertFalse(QuarterResult.objects.filter(status="confirmed").exists())

    def test_confirming_nothing_says_so(self):
        self.login(self.alice)
        response = self.client.post(f"{self.url()}confirm/", {})
        self.assertIn("请先勾选要确认的平时考核结果。", messages_of(response))

    def test_a_quarter_out_of_range_is_missing(self):
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url(2027, 5)).status_code, 404)
