"""/api/v1/assessment/…: data scope (404 outside it, 403 when visible but not allowed), raters
reach only their own rating tasks and see the assessed cadre's name and post only, a cadre
sees the averages of his reviews (民主测评 included) but never who rated him, the
organisation department's rules refuse with the numbers, a frozen round refuses every change,
and the lists use a fixed number of queries."""

from __future__ import annotations

import itertools
import json
from datetime import date

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token

from guazhi.cadres.models import AnnualAssessment, Cadre
from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Post
from guazhi.testing import make_user

from .. import services
from ..models import Appeal, Indicator, Plan, QuarterResult, Rating, Round
from .helpers import AssessmentTestCase

API = "/api/v1/assessment/"


def keys(value) -> set[str]:
    """Every key anywhere in a JSON document."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


@time_machine.travel("2028-01-10 10:00 +0800", tick=False)
class AssessmentApiCase(AssessmentTestCase):
    def api(self, user, method, url, data=None):
        token, _ = Token.objects.get_or_create(user=user)
        return getattr(self.client, method)(
            url,
            data,
            content_type="application/json",
            headers={"Authorization": f"Token {token.key}"},
        )

    def ok(self, user, method, url, data=None, code=200):
        response = self.api(user, method, url, data)
        self.assertEqual(response.status_code, code, response.content.decode())
        return response.json()

    def results(self, user, url):
        return self.ok(user, "get", url)["results"]

    def refused(self, response, *parts):
        self.assertEqual(response.status_code, 400, response.content.decode())
        detail = response.json()["detail"]
        for part in parts:
            self.assertIn(part, detail)
        return detail

    def compute(self, round_):
        return self.ok(self.alice, "post", f"{API}rounds/{round_.pk}/compute/")

    def relax(self, **rules):
        """Switch off the rules a test is not about."""
        values = {"veto_poor_quarter": False, "excellent_needs_good_quarters": False, **rules}
        for name, value in values.items():
            setattr(self.policy, name, value)
        self.policy.save()


# --- entries: data scope and who sees which review ---------------------------------------


class EntryScopeTests(AssessmentApiCase):
    def setUp(self):
        self.round = self.open_round()
        self.e_wang = self.entry(self.round, self.p_wang)
        self.e_li = self.entry(self.round, self.p_li)

    def test_a_district_officer_of_another_district_gets_404_on_an_entry(self):
        self.assertEqual(
            self.api(self.eve, "get", f"{API}entries/{self.e_wang.pk}/").status_code, 404
        )
        self.assertEqual(
            self.api(self.eve, "get", f"{API}entries/{self.e_li.pk}/").status_code, 200
        )
        self.assertEqual(
            self.api(self.bob, "get", f"{API}entries/{self.e_wang.pk}/").status_code, 200
        )
        self.assertEqual(
            self.api(self.bob, "get", f"{API}entries/{self.e_li.pk}/").status_code, 404
        )

    def names(self, user):
        return {e["cadre_name"] for e in self.results(user, f"{API}entries/")}

    def test_each_officer_lists_the_entries_of_his_own_district(self):
        self.assertEqual(self.names(self.alice), {"王晓明", "李浑南", "周群众"})
        self.assertEqual(self.names(self.bob), {"王晓明", "周群众"})
        self.assertEqual(self.names(self.eve), {"李浑南"})
        self.assertEqual(self.names(self.carol), {"王晓明", "周群众"})
        self.assertEqual(self.names(self.hank), {"王晓明", "李浑南", "周群众"})  # hosted here
        self.assertEqual(self.names(self.tina), {"王晓明", "李浑南", "周群众"})  # her team
        self.assertEqual(self.names(self.tom), set())

    def test_a_cadre_sees_only_his_own_entry_though_he_rates_his_peers(self):
        self.assertEqual(
            [e["cadre_name"] for e in self.results(self.dave, f"{API}entries/")], ["王晓明"]
        )
        self.assertEqual(
            self.api(self.dave, "get", f"{API}entries/{self.e_li.pk}/").status_code, 404
        )
        tasks = self.results(self.dave, f"{API}my-ratings/")
        self.assertIn(("李浑南", "peer"), {(t["cadre_name"], t["rater_kind"]) for t in tasks})

    def test_a_cadres_entry_has_the_peer_average_but_no_rater_ids(self):
        self.rate(self.round, 80)
        Rating.objects.filter(entry=self.e_wang, rater_kind="peer").update(political=60)
        body = self.ok(self.dave, "get", f"{API}entries/{self.e_wang.pk}/")
        reviews = {r["rater_kind"]: r for r in body["reviews"]}
        self.assertEqual(reviews["peer"]["raters"], 1)
        self.assertEqual(reviews["peer"]["political"], 60)
        self.assertEqual(reviews["peer"]["average"], 75)
        self.assertIsNone(body["ratings"])
        self.assertFalse({"rater", "rater_name"} & keys(body))
        self.assertNotIn(self.lucy.full_name, json.dumps(body, ensure_ascii=False))

    def test_the_organisation_department_sees_each_rating_with_its_rater(self):
        self.rate(self.round, 80)
        body = self.ok(self.alice, "get", f"{API}entries/{self.e_wang.pk}/")
        raters = {(r["rater_kind"], r["rater"]) for r in body["ratings"]}
        self.assertIn(("peer", self.lucy.pk), raters)
        self.assertIn(("host", self.hank.pk), raters)
        self.assertIn(("self", self.dave.pk), raters)

    def test_the_sending_side_and_the_host_unit_see_scores_but_no_ratings(self):
        self.rate(self.round, 80)
        for user in (self.bob, self.carol, self.hank, self.tina):
            with self.subTest(user=user.username):
                body = self.ok(user, "get", f"{API}entries/{self.e_wang.pk}/")
                self.assertIsNone(body["reviews"])
                self.assertIsNone(body["ratings"])
                self.assertIn("indicator_scores", body)

    def test_the_entry_lists_its_indicator_scores_with_the_evidence(self):
        self.compute(self.round)
        body = self.ok(self.dave, "get", f"{API}entries/{self.e_wang.pk}/")
        names = {s["indicator_name"] for s in body["indicator_scores"]}
        self.assertEqual(names, {"走访企业次数", "工作纪实", "工作作风"})
        visits = next(s for s in body["indicator_scores"] if s["indicator_name"] == "走访企业次数")
        self.assertEqual((visits["weight"], visits["target"]), ("40.00", "40.00"))
        self.assertIn("evidence", visits)

    def test_only_the_cadre_writes_his_self_summary(self):
        url = f"{API}entries/{self.e_wang.pk}/summary/"
        body = self.ok(self.dave, "post", url, {"text": "一年来走访企业四十余家"})
        self.assertEqual(body["self_summary"], "一年来走访企业四十余家")
        response = self.api(self.alice, "post", url, {"text": "代写"})
        self.assertEqual(response.status_code, 403)
        self.assertIn("本人", response.json()["detail"])
        self.assertEqual(self.api(self.lucy, "post", url, {"text": "x"}).status_code, 404)

    def test_the_organisation_department_scores_a_qualitative_item(self):
        item = self.plan_wang.items.get(indicator=self.ind["工作作风"])
        url = f"{API}entries/{self.e_wang.pk}/scores/"
        data = {"item": item.pk, "score": "88", "evidence": "作风扎实"}
        body = self.ok(self.alice, "post", url, data)
        row = next(s for s in body["indicator_scores"] if s["item"] == item.pk)
        self.assertEqual((row["score"], row["evidence"]), ("88.00", "作风扎实"))
        self.assertEqual(self.api(self.bob, "post", url, data).status_code, 403)
        other = self.plan_li.items.first()
        response = self.api(self.alice, "post", url, {**data, "item": other.pk})
        self.assertEqual(response.status_code, 400)
        self.assertIn("不在该干部的方案中", response.json()["item"][0])
        response = self.api(self.alice, "post", url, {**data, "score": "101"})
        self.assertIn("0–100", response.json()["score"][0])


# --- my ratings ---------------------------------------------------------------------------


class MyRatingTests(AssessmentApiCase):
    SCORES = {"political": 90, "conduct": 85, "performance": 80, "integrity": 95}

    def setUp(self):
        self.round = self.open_round()
        self.e_wang = self.entry(self.round, self.p_wang)

    def task(self, user, entry, kind):
        return Rating.objects.get(rater=user, entry=entry, rater_kind=kind)

    def test_a_host_unit_user_lists_only_his_own_rating_tasks(self):
        tasks = self.results(self.hank, f"{API}my-ratings/")
        self.assertEqual(len(tasks), 3)
        self.assertEqual({t["rater_kind"] for t in tasks}, {"host"})
        self.assertEqual({t["cadre_name"] for t in tasks}, {"王晓明", "李浑南", "周群众"})
        self.assertEqual(
            {t["post_title"] for t in tasks},
            {"投资促进局副局长", "科技园区主任助理", "商务局副局长"},
        )
        # the cadre's name and post only: nothing of the entry's scores or other raters
        self.assertFalse(
            {"entry", "final_score", "indicator_score", "rater", "placement", "cadre"} & keys(tasks)
        )

    def test_a_host_unit_user_submits_his_rating(self):
        task = self.task(self.hank, self.e_wang, "host")
        body = self.ok(self.hank, "post", f"{API}my-ratings/{task.pk}/submit/", self.SCORES)
        self.assertEqual((body["political"], body["average"]), (90, 87.5))
        self.assertIsNotNone(body["submitted_at"])
        task.refresh_from_db()
        self.assertEqual(task.integrity, 95)

    def test_a_patch_changes_only_the_given_scores(self):
        task = self.task(self.hank, self.e_wang, "host")
        self.ok(self.hank, "post", f"{API}my-ratings/{task.pk}/submit/", self.SCORES)
        body = self.ok(self.hank, "patch", f"{API}my-ratings/{task.pk}/", {"conduct": 70})
        self.assertEqual((body["conduct"], body["political"]), (70, 90))

    def test_a_host_unit_user_cannot_read_or_submit_another_raters_rating(self):
        for other in (
            self.task(self.tina, self.e_wang, "leader"),
            self.task(self.lucy, self.e_wang, "peer"),
        ):
            with self.subTest(kind=other.rater_kind):
                self.assertEqual(
                    self.api(self.hank, "get", f"{API}my-ratings/{other.pk}/").status_code, 404
                )
                url = f"{API}my-ratings/{other.pk}/submit/"
                self.assertEqual(self.api(self.hank, "post", url, self.SCORES).status_code, 404)
                other.refresh_from_db()
                self.assertIsNone(other.submitted_at)
        body = self.ok(self.hank, "get", f"{API}entries/{self.e_wang.pk}/")
        self.assertIsNone(body["ratings"])
        self.assertIsNone(body["reviews"])

    def test_the_leader_submits_his_own_task_but_not_the_host_units(self):
        mine = self.task(self.tina, self.e_wang, "leader")
        self.ok(self.tina, "post", f"{API}my-ratings/{mine.pk}/submit/", self.SCORES)
        host = self.task(self.hank, self.e_wang, "host")
        self.assertEqual(
            self.api(
                self.tina, "post", f"{API}my-ratings/{host.pk}/submit/", self.SCORES
            ).status_code,
            404,
        )

    def test_missing_or_out_of_range_scores_are_chinese_field_errors(self):
        task = self.task(self.hank, self.e_wang, "host")
        url = f"{API}my-ratings/{task.pk}/submit/"
        response = self.api(self.hank, "post", url, {**self.SCORES, "conduct": 120})
        self.assertEqual(response.status_code, 400)
        self.assertIn("能力作风得分须在 0–100 之间", response.json()["conduct"][0])
        response = self.api(self.hank, "post", url, {"political": 90})
        self.assertIn("请填写工作实绩得分", response.json()["performance"][0])
        response = self.api(self.hank, "patch", f"{API}my-ratings/{task.pk}/", {"political": 90})
        self.assertIn("请填写廉洁自律得分", response.json()["integrity"][0])

    def test_the_unsubmitted_filter(self):
        task = self.task(self.hank, self.e_wang, "host")
        self.ok(self.hank, "post", f"{API}my-ratings/{task.pk}/submit/", self.SCORES)
        self.assertEqual(len(self.results(self.hank, f"{API}my-ratings/?submitted=false")), 2)
        self.assertEqual(len(self.results(self.hank, f"{API}my-ratings/?submitted=true")), 1)


# --- rounds: create, compute, confirm, freeze ----------------------------------------------


class RoundTests(AssessmentApiCase):
    def test_the_organisation_department_opens_a_round_and_a_district_officer_cannot(self):
        data = {
            "batch": self.batch.pk,
            "kind": "annual",
            "year": 2027,
            "period_start": "2027-03-01",
            "period_end": "2027-12-31",
        }
        response = self.api(self.bob, "post", f"{API}rounds/", data)
        self.assertEqual(response.status_code, 403)
        self.assertIn("市委组织部", response.json()["detail"])
        body = self.ok(self.alice, "post", f"{API}rounds/", data, code=201)
        self.assertEqual((body["n_entries"], body["status"], body["frozen"]), (3, "open", False))
        self.assertTrue(Rating.objects.filter(entry__round_id=body["id"], rater=self.hank).exists())

    def test_a_period_ending_before_it_starts_is_a_field_error(self):
        data = {
            "batch": self.batch.pk,
            "kind": "annual",
            "year": 2027,
            "period_start": "2027-12-31",
            "period_end": "2027-03-01",
        }
        response = self.api(self.alice, "post", f"{API}rounds/", data)
        self.assertEqual(response.status_code, 400)
        self.assertIn("不能早于", response.json()["period_end"][0])

    def test_compute_gives_scores_and_proposed_grades(self):
        round_ = self.open_round()
        self.rate(round_, 85)
        body = self.compute(round_)
        self.assertEqual(sum(row["count"] for row in body["grade_distribution"]), 3)
        entries = self.results(self.alice, f"{API}entries/?round={round_.pk}")
        self.assertTrue(all(e["final_score"] is not None and e["proposed_grade"] for e in entries))

    def test_only_the_organisation_department_computes(self):
        round_ = self.open_round()
        response = self.api(self.bob, "post", f"{API}rounds/{round_.pk}/compute/")
        self.assertEqual(response.status_code, 403)
        # lucy rates in this round but is not its manager; tom sees nothing of batch 5
        self.assertEqual(
            self.api(self.lucy, "post", f"{API}rounds/{round_.pk}/compute/").status_code, 403
        )
        self.assertEqual(
            self.api(self.tom, "post", f"{API}rounds/{round_.pk}/compute/").status_code, 404
        )

    def test_confirming_over_the_quota_is_refused_with_the_numbers(self):
        self.relax()
        round_ = self.open_round()
        self.rate(round_, 85)
        self.compute(round_)
        grades = {
            str(self.entry(round_, self.p_wang).pk): "优秀",
            str(self.entry(round_, self.p_li).pk): "称职",
            str(self.entry(round_, self.p_zhou).pk): "称职",
        }
        response = self.api(
            self.alice, "post", f"{API}rounds/{round_.pk}/confirm/", {"grades": grades}
        )
        self.refused(response, "优秀", "20%", "3 人", "最多 0 人", "1 人")
        round_.refresh_from_db()
        self.assertEqual(round_.status, Round.Status.OPEN)
        self.assertFalse(AnnualAssessment.objects.filter(source="挂职考核").exists())

    def test_confirming_within_the_rules_freezes_and_writes_the_cadres_record(self):
        self.relax()
        round_ = self.open_round()
        self.rate(round_, 80)
        self.compute(round_)
        grades = {str(e.pk): "称职" for e in round_.entries.all()}
        response = self.api(
            self.bob, "post", f"{API}rounds/{round_.pk}/confirm/", {"grades": grades}
        )
        self.assertEqual(response.status_code, 403)
        body = self.ok(self.alice, "post", f"{API}rounds/{round_.pk}/confirm/", {"grades": grades})
        self.assertEqual((body["status"], body["frozen"]), ("confirmed", True))
        self.assertEqual(
            {r["grade"]: r["count"] for r in body["grade_distribution"]}.get("称职"), 3
        )
        result = AnnualAssessment.objects.get(cadre=self.wang, year=2027)
        self.assertEqual((result.result, result.source), ("称职", "挂职考核"))

    def test_a_confirmed_result_feeds_the_cadre_lists_latest_result_filter(self):
        self.relax()
        round_ = self.open_round()
        self.rate(round_, 80)
        self.compute(round_)
        grades = {str(e.pk): "称职" for e in round_.entries.all()}
        self.ok(self.alice, "post", f"{API}rounds/{round_.pk}/confirm/", {"grades": grades})
        self.login(self.alice)
        page = self.client.get("/cadres/?latest_result=称职").content.decode()
        self.assertIn("王晓明", page)
        self.assertNotIn("王晓明", self.client.get("/cadres/?latest_result=优秀").content.decode())

    def test_grades_for_entries_of_another_round_are_field_errors(self):
        round_ = self.open_round()
        response = self.api(
            self.alice,
            "post",
            f"{API}rounds/{round_.pk}/confirm/",
            {"grades": {"999999": "称职", "abc": "称职"}},
        )
        self.assertEqual(response.status_code, 400)
        errors = response.json()["grades"]
        self.assertIn("考核对象 999999 不在本轮", errors)
        self.assertIn("“abc”不是考核对象 id", errors)
        response = self.api(
            self.alice, "post", f"{API}rounds/{round_.pk}/confirm/", {"grades": {"1": "良好"}}
        )
        self.assertEqual(response.status_code, 400)

    def test_a_frozen_round_refuses_compute_and_ratings(self):
        self.relax()
        round_ = self.open_round()
        self.rate(round_, 80)
        self.compute(round_)
        grades = {str(e.pk): "称职" for e in round_.entries.all()}
        self.ok(self.alice, "post", f"{API}rounds/{round_.pk}/confirm/", {"grades": grades})
        response = self.api(self.alice, "post", f"{API}rounds/{round_.pk}/compute/")
        self.refused(response, "考核结果已确认（冻结）", "申诉")
        task = Rating.objects.get(rater=self.hank, entry__placement=self.p_wang)
        response = self.api(
            self.hank,
            "post",
            f"{API}my-ratings/{task.pk}/submit/",
            {"political": 60, "conduct": 60, "performance": 60, "integrity": 60},
        )
        self.refused(response, "冻结")
        self.assertFalse(self.results(self.hank, f"{API}my-ratings/")[0]["round_open"])

    def test_round_detail_gives_the_quota(self):
        round_ = self.open_round()
        body = self.ok(self.alice, "get", f"{API}rounds/{round_.pk}/")
        self.assertEqual((body["excellent_quota"], body["excellent_max"]), (20, 0))

    def test_rounds_are_listed_to_those_who_see_one_of_their_entries(self):
        round_ = self.open_round()
        self.assertEqual([r["id"] for r in self.results(self.bob, f"{API}rounds/")], [round_.pk])
        self.assertEqual(self.results(self.tom, f"{API}rounds/"), [])
        self.assertEqual(self.api(self.tom, "get", f"{API}rounds/{round_.pk}/").status_code, 404)


# --- appeals ------------------------------------------------------------------------------


class AppealTests(AssessmentApiCase):
    def setUp(self):
        self.relax()
        self.round = self.open_round()
        self.rate(self.round, 80)
        self.compute(self.round)
        self.e_wang = self.entry(self.round, self.p_wang)

    def confirm(self):
        grades = {str(e.pk): "称职" for e in self.round.entries.all()}
        self.ok(self.alice, "post", f"{API}rounds/{self.round.pk}/confirm/", {"grades": grades})

    def test_an_appeal_waits_for_the_confirmed_round(self):
        response = self.api(
            self.dave,
            "post",
            f"{API}appeals/",
            {"entry": self.e_wang.pk, "reason": "走访实绩未计入"},
        )
        self.assertEqual(response.status_code, 400)

    def test_the_cadre_files_and_the_organisation_department_decides(self):
        self.confirm()
        body = self.ok(
            self.dave,
            "post",
            f"{API}appeals/",
            {"entry": self.e_wang.pk, "reason": "走访实绩未计入"},
            code=201,
        )
        self.assertEqual(
            (body["status"], body["old_grade"], body["cadre_name"]), ("pending", "称职", "王晓明")
        )
        url = f"{API}appeals/{body['id']}/decide/"
        data = {"new_grade": "称职", "decision": "经复核，维持原等次"}
        self.assertEqual(self.api(self.bob, "post", url, data).status_code, 403)
        self.assertEqual(self.api(self.dave, "post", url, data).status_code, 403)
        decided = self.ok(self.alice, "post", url, data)
        self.assertEqual(decided["status"], "upheld")
        self.assertEqual([a["id"] for a in self.results(self.dave, f"{API}appeals/")], [body["id"]])

    def test_another_cadre_cannot_appeal_or_see_the_appeal(self):
        self.confirm()
        response = self.api(
            self.lucy, "post", f"{API}appeals/", {"entry": self.e_wang.pk, "reason": "代为申诉"}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("不存在或不在您的范围内", response.json()["entry"][0])
        response = self.api(
            self.bob, "post", f"{API}appeals/", {"entry": self.e_wang.pk, "reason": "代为申诉"}
        )
        self.assertEqual(response.status_code, 403)
        appeal = services.appeal_file(entry=self.e_wang, by=self.dave, reason="走访实绩未计入")
        self.assertEqual(self.results(self.lucy, f"{API}appeals/"), [])
        self.assertEqual(self.api(self.lucy, "get", f"{API}appeals/{appeal.pk}/").status_code, 404)
        self.assertEqual(self.api(self.bob, "get", f"{API}appeals/{appeal.pk}/").status_code, 200)

    def test_a_blank_reason_is_a_chinese_field_error(self):
        self.confirm()
        response = self.api(
            self.dave, "post", f"{API}appeals/", {"entry": self.e_wang.pk, "reason": " "}
        )
        self.assertEqual(response.json()["reason"], ["请填写申诉理由"])


# --- quarterly results --------------------------------------------------------------------


class QuarterResultTests(AssessmentApiCase):
    def propose(self, user, placement, grade="好", quarter=3):
        data = {
            "placement": placement.pk,
            "year": 2027,
            "quarter": quarter,
            "grade": grade,
            "note": "表现突出",
        }
        return self.api(user, "post", f"{API}quarter-results/", data)

    def test_the_team_leader_proposes_and_others_cannot(self):
        response = self.propose(self.tina, self.p_wang)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual((response.json()["grade"], response.json()["status"]), ("好", "proposed"))
        response = self.propose(self.dave, self.p_wang, quarter=2)
        self.assertEqual(response.status_code, 403)
        self.assertIn("队长", response.json()["detail"])
        response = self.propose(self.tom, self.p_wang, quarter=2)
        self.assertEqual(response.status_code, 400)
        self.assertIn("不存在或不在您的范围内", response.json()["placement"][0])

    def test_a_wrong_quarter_or_grade_is_a_chinese_field_error(self):
        data = {"placement": self.p_wang.pk, "year": 2027, "quarter": 5, "grade": "优秀"}
        body = self.api(self.tina, "post", f"{API}quarter-results/", data).json()
        self.assertEqual(body["quarter"], ["季度须为 1–4"])
        self.assertIn("好、较好、一般、较差", body["grade"][0])

    def test_the_organisation_department_confirms_and_the_leader_cannot(self):
        ids = [self.propose(self.tina, p, "较好").json()["id"] for p in (self.p_wang, self.p_li)]
        response = self.api(self.tina, "post", f"{API}quarter-results/confirm/", {"ids": ids})
        self.assertEqual(response.status_code, 403)
        rows = self.ok(self.alice, "post", f"{API}quarter-results/confirm/", {"ids": ids})
        self.assertEqual({r["status"] for r in rows}, {"confirmed"})

    def test_confirming_over_the_good_cap_is_refused_with_the_numbers(self):
        self.policy.quarter_good_cap = 40
        self.policy.save()
        grades = [(self.p_wang, "好"), (self.p_li, "好"), (self.p_zhou, "较好")]
        ids = [self.propose(self.tina, p, grade).json()["id"] for p, grade in grades]
        response = self.api(self.alice, "post", f"{API}quarter-results/confirm/", {"ids": ids})
        self.refused(
            response, "“好”等次不超过 40%", "第5批 2027年第3季度 3 人中最多 1 人", "将有 2 人"
        )
        self.ok(self.alice, "post", f"{API}quarter-results/confirm/", {"ids": ids[2:]})
        self.assertEqual(QuarterResult.objects.filter(status="confirmed").count(), 1)

    def test_unknown_ids_are_named(self):
        response = self.api(self.alice, "post", f"{API}quarter-results/confirm/", {"ids": [424242]})
        self.assertEqual(response.json()["ids"], ["平时考核 424242 不存在"])

    def test_lists_filter_by_batch_year_and_quarter(self):
        self.quarter(self.p_wang, 1, "好")
        self.quarter(self.p_li, 2, "较好")
        self.quarter(self.p_wang, 1, "一般", year=2028)
        rows = self.results(
            self.alice, f"{API}quarter-results/?batch={self.batch.pk}&year=2027&quarter=1"
        )
        self.assertEqual([(r["cadre_name"], r["grade"]) for r in rows], [("王晓明", "好")])
        self.assertEqual(len(self.results(self.dave, f"{API}quarter-results/")), 2)
        self.assertEqual(len(self.results(self.eve, f"{API}quarter-results/")), 1)
        self.assertEqual(self.results(self.tom, f"{API}quarter-results/"), [])

    def test_the_quarters_evidence(self):
        body = self.ok(
            self.tina,
            "get",
            f"{API}quarter-results/evidence/?placement={self.p_wang.pk}&year=2027&quarter=3",
        )
        self.assertEqual((body["plan"], body["result"]), (self.plan_wang.pk, None))
        self.assertIn("total", body["records"])
        progress = {row["indicator"]: row for row in body["progress"]}
        self.assertEqual(set(progress), {"走访企业次数", "工作纪实", "工作作风"})
        self.assertIsNone(progress["工作作风"]["value"])  # qualitative: not computed
        self.assertIsInstance(progress["走访企业次数"]["item"], int)
        response = self.api(
            self.tom,
            "get",
            f"{API}quarter-results/evidence/?placement={self.p_wang.pk}&year=2027&quarter=3",
        )
        self.assertEqual(response.status_code, 400)


# --- plans --------------------------------------------------------------------------------


class PlanTests(AssessmentApiCase):
    def items(self, *rows):
        return [
            {
                "indicator": self.ind[name].pk,
                "weight": str(w),
                "target": None if t is None else str(t),
            }
            for name, w, t in rows
        ]

    def test_plans_are_listed_in_scope_with_their_items(self):
        rows = self.results(self.bob, f"{API}plans/")
        self.assertEqual({r["cadre_name"] for r in rows}, {"王晓明", "周群众"})
        self.assertEqual(rows[0]["weight_total"], 100)
        rows = self.results(self.alice, f"{API}plans/?placement={self.p_li.pk}&status=approved")
        self.assertEqual([r["id"] for r in rows], [self.plan_li.pk])
        self.assertEqual(
            self.api(self.eve, "get", f"{API}plans/{self.plan_wang.pk}/").status_code, 404
        )

    def test_changing_an_approved_plan_makes_a_new_version_to_agree_and_approve(self):
        new = self.items(("走访企业次数", 50, 50), ("工作纪实", 20, 80), ("工作作风", 30, None))
        body = self.ok(
            self.dave,
            "post",
            f"{API}plans/{self.plan_wang.pk}/items/",
            {"items": new, "note": "加大走访"},
        )
        self.assertEqual((body["version"], body["status"]), (2, "draft"))
        self.assertEqual([v["version"] for v in body["versions"]], [2, 1])
        self.plan_wang.refresh_from_db()
        self.assertEqual(self.plan_wang.status, Plan.Status.APPROVED)
        url = f"{API}plans/{body['id']}/"
        self.assertEqual(self.api(self.alice, "post", url + "agree/").status_code, 403)
        self.assertEqual(self.ok(self.dave, "post", url + "agree/")["status"], "agreed")
        response = self.api(self.bob, "post", url + "approve/")
        self.assertEqual(response.status_code, 403)
        self.assertIn("市委组织部", response.json()["detail"])
        approved = self.ok(self.alice, "post", url + "approve/")
        self.assertEqual(approved["status"], "approved")
        self.assertEqual(
            {v["version"]: v["status"] for v in approved["versions"]},
            {2: "approved", 1: "superseded"},
        )

    def test_agreeing_needs_weights_totalling_100(self):
        body = self.ok(
            self.dave,
            "post",
            f"{API}plans/{self.plan_wang.pk}/items/",
            {"items": self.items(("走访企业次数", 50, 50), ("工作作风", 30, None))},
        )
        self.refused(self.api(self.dave, "post", f"{API}plans/{body['id']}/agree/"), "100", "80")

    def test_another_cadre_or_a_district_officer_cannot_edit(self):
        rows = {"items": self.items(("工作作风", 100, None))}
        self.assertEqual(
            self.api(self.lucy, "post", f"{API}plans/{self.plan_wang.pk}/items/", rows).status_code,
            404,
        )
        response = self.api(self.bob, "post", f"{API}plans/{self.plan_wang.pk}/items/", rows)
        self.assertEqual(response.status_code, 403)
        self.assertIn("干部本人或市委组织部", response.json()["detail"])

    def test_item_values_are_chinese_field_errors(self):
        rows = {"items": [{"indicator": 999999, "weight": "120"}]}
        response = self.api(self.dave, "post", f"{API}plans/{self.plan_wang.pk}/items/", rows)
        self.assertEqual(response.status_code, 400)
        errors = response.json()["items"]["0"]
        self.assertIn("不存在或已停用", errors["indicator"][0])
        self.assertEqual(errors["weight"], ["权重须在 0–100 之间"])

    def test_starting_a_plan_returns_the_current_one(self):
        body = self.ok(self.dave, "post", f"{API}plans/", {"placement": self.p_wang.pk}, code=200)
        self.assertEqual(body["id"], self.plan_wang.pk)
        response = self.api(self.lucy, "post", f"{API}plans/", {"placement": self.p_wang.pk})
        self.assertEqual(response.status_code, 400)


# --- indicators ---------------------------------------------------------------------------


class IndicatorTests(AssessmentApiCase):
    def test_anyone_with_plans_reads_the_library_and_only_managers_change_it(self):
        for user in (self.alice, self.dave, self.hank, self.tina):
            with self.subTest(user=user.username):
                self.assertEqual(
                    self.ok(user, "get", f"{API}indicators/?page_size=100")["count"], len(self.ind)
                )
        data = {
            "name": "引进人才",
            "dimension": "investment",
            "kind": "quantitative",
            "unit": "人",
            "default_target": "5",
        }
        self.assertEqual(self.api(self.bob, "post", f"{API}indicators/", data).status_code, 403)
        self.assertEqual(self.api(self.dave, "post", f"{API}indicators/", data).status_code, 403)
        body = self.ok(self.alice, "post", f"{API}indicators/", data, code=201)
        self.assertEqual(body["dimension_display"], "推进招商引资")
        url = f"{API}indicators/{body['id']}/"
        self.assertEqual(self.api(self.dave, "patch", url, {"is_active": False}).status_code, 403)
        self.assertFalse(self.ok(self.alice, "patch", url, {"is_active": False})["is_active"])
        self.assertFalse(Indicator.objects.get(pk=body["id"]).is_active)

    def test_administrators_do_not_read_the_library(self):
        self.assertEqual(self.ok(self.sam, "get", f"{API}indicators/")["count"], 0)

    def test_a_duplicate_name_an_unknown_source_and_a_qualitative_target_are_refused(self):
        data = {
            "name": "走访企业次数",
            "dimension": "investment",
            "kind": "quantitative",
            "source": "nowhere",
        }
        errors = self.api(self.alice, "post", f"{API}indicators/", data).json()
        self.assertIn("已在指标库中", errors["name"][0])
        self.assertIn("未知的数据来源“nowhere”", errors["source"][0])
        data = {
            "name": "新定性",
            "dimension": "ability",
            "kind": "qualitative",
            "default_target": "3",
        }
        errors = self.api(self.alice, "post", f"{API}indicators/", data).json()
        self.assertEqual(errors["default_target"], ["定性指标没有目标值"])


# --- query counts -------------------------------------------------------------------------


class QueryCountTests(AssessmentApiCase):
    serial = itertools.count()

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.round = services.round_create(
            batch=cls.batch,
            kind=Round.Kind.ANNUAL,
            year=2027,
            period_start=date(2027, 3, 1),
            period_end=date(2027, 12, 31),
            by=cls.alice,
        )

    def setUp(self):
        self.rounds = iter(
            [
                (Round.Kind.TERM_END, 2027, date(2027, 3, 1), date(2027, 12, 31)),
                (Round.Kind.ANNUAL, 2028, date(2028, 1, 1), date(2028, 1, 10)),
            ]
        )

    def grow(self, n):
        """n more placed cadres with accounts, plans, quarterly results and appeals, then
        another round over all of them."""
        for _ in range(n):
            i = next(self.serial)
            account = make_user(f"cadre{i}", self.heping_fgj, "cadre", full_name=f"干部{i}")
            cadre = make_cadre(self.heping_fgj, f"队员{i}", birth=date(1985, 1, 1))
            Cadre.objects.filter(pk=cadre.pk).update(user=account)
            post = Post.objects.create(batch=self.batch, title=f"岗位{i}", host_unit=self.chaoyang)
            placement = programme_services.placement_create(cadre=cadre, post=post)
            self.approved_plan(placement)
            self.quarter(placement, 1, ["好", "较好"][i % 2])
            self.quarter(placement, 2 + i % 3, "一般")
        kind, year, start, end = next(self.rounds)
        round_ = self.open_round(kind=kind, year=year, start=start, end=end)
        self.rate(round_, 80)
        for entry in round_.entries.all():
            Appeal.objects.create(entry=entry, reason="申诉", filed_by=self.alice, old_grade="称职")
        Rating.objects.filter(entry__round=round_).update(submitted_at=timezone.now())

    def count(self, user, url):
        token, _ = Token.objects.get_or_create(user=user)
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url, headers={"Authorization": f"Token {token.key}"})
        self.assertEqual(response.status_code, 200, url)
        return len(ctx.captured_queries)

    URLS = (
        "indicators/",
        "plans/",
        "plans/?status=approved",
        "quarter-results/",
        "quarter-results/?year=2027&quarter=1",
        "rounds/",
        "entries/",
        "my-ratings/",
        "my-ratings/?submitted=true",
        "appeals/",
    )

    def check_stable(self, user):
        self.grow(1)
        urls = [API + u for u in self.URLS]
        for url in urls:
            self.count(user, url)
        small = {url: self.count(user, url) for url in urls}
        self.grow(6)
        for url in urls:
            with self.subTest(user=user.username, url=url):
                self.assertEqual(self.count(user, url), small[url])

    def test_the_organisation_departments_lists(self):
        self.check_stable(self.alice)

    def test_the_team_leaders_lists(self):
        self.check_stable(self.tina)

    def test_the_district_officers_lists(self):
        self.check_stable(self.bob)

    def test_the_host_units_lists(self):
        self.check_stable(self.hank)

    def test_a_cadres_lists(self):
        self.check_stable(self.dave)
