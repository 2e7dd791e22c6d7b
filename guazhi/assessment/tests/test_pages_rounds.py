"""Round pages: a rater sees only the cadre's name and post and his own rating; the cadre sees
his peers' average, never their names; computing, deciding and confirming with the rule's
refusal shown; a confirmed round is read-only everywhere and changes only through an appeal."""

from __future__ import annotations

from datetime import date

import time_machine
from django.contrib.messages import get_messages

from guazhi.cadres.models import AnnualAssessment, Cadre
from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Post
from guazhi.testing import make_user

from .. import services
from ..models import Appeal, Entry, Rating, Round
from .helpers import AssessmentTestCase

NOW = "2028-01-10 10:00 +0800"
ASPECTS = ("political", "conduct", "performance", "integrity")


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@time_machine.travel(NOW, tick=False)
class RoundPagesTestCase(AssessmentTestCase):
    """A fourth cadre with an account (zoe: 赵同伴) so that wang has two peers, lucy and zoe;
    the 2027 annual round of batch 5 is open."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.zoe = make_user("zoe", cls.hunnan_kjj, "cadre", full_name="佐伊")
        cls.zhao = make_cadre(cls.hunnan_kjj, "赵同伴", birth=date(1988, 3, 1))
        Cadre.objects.filter(pk=cls.zhao.pk).update(user=cls.zoe)
        cls.zhao.refresh_from_db()
        post = Post.objects.create(batch=cls.batch, title="金融办副主任", host_unit=cls.chaoyang)
        cls.p_zhao = programme_services.placement_create(cadre=cls.zhao, post=post)
        cls.plan_zhao = cls.approved_plan(cls.p_zhao)

    def setUp(self):
        super().setUp()
        self.round = self.open_round()
        self.e_wang = self.entry(self.round, self.p_wang)
        self.e_li = self.entry(self.round, self.p_li)

    def give(self, entry, rater, kind, score, comment=""):
        rating = Rating.objects.get(entry=entry, rater=rater, rater_kind=kind)
        return services.rating_submit(
            rating=rating,
            by=rater,
            political=score,
            conduct=score,
            performance=score,
            integrity=score,
            comment=comment,
        )

    def rate_wang(self):
        self.give(self.e_wang, self.hank, "host", 93, "接收单位评语：招商工作扎实")
        self.give(self.e_wang, self.tina, "leader", 87, "队长评语：带头走访")
        self.give(self.e_wang, self.lucy, "peer", 71, "露西写的测评意见")
        self.give(self.e_wang, self.zoe, "peer", 79, "佐伊写的测评意见")


class RaterPageTests(RoundPagesTestCase):
    def test_a_rater_sees_the_cadres_name_and_post_and_only_his_own_rating(self):
        self.rate_wang()
        self.login(self.hank)
        response = self.client.get("/assessment/ratings/")
        self.assertContains(response, "王晓明")
        self.assertContains(response, "投资促进局副局长")
        self.assertContains(response, 'value="93"')
        self.assertContains(response, "接收单位评语：招商工作扎实")
        for other in ('value="87"', 'value="71"', 'value="79"', "队长评语", "测评意见"):
            self.assertNotContains(response, other)
        for name in ("蒂娜", "露西", "佐伊"):
            self.assertNotContains(response, name)
        # Nothing of the cadre's scores either.
        self.assertNotContains(response, "总分")
        self.assertNotContains(response, "指标得分")

    def test_a_peer_sees_his_own_peer_rating_and_not_the_others(self):
        self.rate_wang()
        self.login(self.lucy)
        response = self.client.get("/assessment/ratings/")
        self.assertContains(response, "露西写的测评意见")
        self.assertContains(response, 'value="71"')
        self.assertNotContains(response, "佐伊写的测评意见")
        self.assertNotContains(response, 'value="79"')
        self.assertNotContains(response, 'value="93"')
        self.assertNotContains(response, "队长评语")
        # His own entry's ratings by others are not his tasks.
        self.assertContains(response, "个人自评")

    def test_a_rater_submits_and_changes_his_rating_while_the_round_is_open(self):
        rating = Rating.objects.get(entry=self.e_wang, rater=self.hank)
        self.login(self.hank)
        data = {f"r{rating.pk}-{f}": "88" for f in ASPECTS} | {f"r{rating.pk}-comment": "好"}
        response = self.client.post(
            f"/assessment/ratings/{rating.pk}/", {**data, "next": "/assessment/ratings/?q=王"}
        )
        self.assertRedirects(response, "/assessment/ratings/?q=王", fetch_redirect_response=False)
        self.assertIn("已提交对王晓明的评价。", messages_of(response))
        data[f"r{rating.pk}-political"] = "95"
        self.client.post(f"/assessment/ratings/{rating.pk}/", data)
        rating.refresh_from_db()
        self.assertEqual((rating.political, rating.conduct, rating.comment), (95, 88, "好"))

    def test_a_score_out_of_range_is_refused_with_a_message(self):
        rating = Rating.objects.get(entry=self.e_wang, rater=self.hank)
        self.login(self.hank)
        data = {f"r{rating.pk}-{f}": "90" for f in ASPECTS}
        data[f"r{rating.pk}-integrity"] = "101"
        response = self.client.post(f"/assessment/ratings/{rating.pk}/", data)
        self.assertTrue(any("廉洁自律" in m and "100" in m for m in messages_of(response)))
        rating.refresh_from_db()
        self.assertIsNone(rating.submitted_at)

    def test_the_filter_shows_what_is_still_to_do(self):
        self.give(self.e_wang, self.hank, "host", 90)
        self.login(self.hank)
        response = self.client.get("/assessment/ratings/?status=pending")
        self.assertNotContains(response, "投资促进局副局长")
        self.assertContains(response, "李浑南")
        response = self.client.get("/assessment/ratings/?status=done")
        self.assertContains(response, "王晓明")
        self.assertNotContains(response, "李浑南")


class EntryAnonymityTests(RoundPagesTestCase):
    def test_the_cadre_sees_his_peers_average_and_count_but_not_their_names(self):
        self.rate_wang()
        self.login(self.dave)
        response = self.client.get(f"/assessment/entries/{self.e_wang.pk}/")
        self.assertContains(response, "民主测评")
        self.assertContains(response, "75.00")  # (71 + 79) / 2
        self.assertContains(response, "2/2")
        for hidden in ("露西", "佐伊", "lucy", "zoe", "测评意见", 'value="71"', ">71<", ">79<"):
            self.assertNotContains(response, hidden)
        self.assertContains(response, "民主测评为匿名评价")

    def test_the_organisation_department_sees_who_rated_and_what(self):
        self.rate_wang()
        self.login(self.alice)
        response = self.client.get(f"/assessment/entries/{self.e_wang.pk}/")
        self.assertContains(response, "露西")
        self.assertContains(response, "佐伊")
        self.assertContains(response, "露西写的测评意见")
        self.assertContains(response, "75.00")

    def confirm(self):
        self.rate(self.round, 80, kinds=["org", "self"])
        services.round_compute(round=self.round)
        grades = {e.pk: "称职" for e in self.round.entries.all()}
        services.round_confirm(round=self.round, by=self.alice, grades=grades)

    def test_while_open_others_see_the_progress_but_no_provisional_results(self):
        self.rate_wang()
        services.round_compute(round=self.round)
        self.e_wang.refresh_from_db()
        final = f"{self.e_wang.final_score:.2f}"
        for viewer in (self.hank, self.tina, self.bob):
            self.login(viewer)
            response = self.client.get(f"/assessment/entries/{self.e_wang.pk}/")
            self.assertContains(response, "综合评价得分、总分和等次在考核结果确认后显示")
            self.assertContains(response, "2/2")  # 民主测评 progress
            for hidden in ("75.00", "93.00", "87.00", final, "露西"):
                self.assertNotContains(response, hidden, msg_prefix=viewer.username)
            response = self.client.get(f"/assessment/rounds/{self.round.pk}/")
            self.assertContains(response, "确认后显示结果")
            self.assertNotContains(response, final)
            self.assertNotContains(response, "等次分布")
        # The cadre sees his own provisional result on the round page.
        self.login(self.dave)
        self.assertContains(self.client.get(f"/assessment/rounds/{self.round.pk}/"), final)

    def test_once_confirmed_everyone_in_scope_sees_the_averages_but_never_the_names(self):
        self.rate_wang()
        self.confirm()
        for viewer in (self.hank, self.bob, self.tina):
            self.login(viewer)
            response = self.client.get(f"/assessment/entries/{self.e_wang.pk}/")
            self.assertContains(response, "75.00", msg_prefix=viewer.username)
            self.assertContains(response, "93.00", msg_prefix=viewer.username)
            self.assertContains(response, "称职", msg_prefix=viewer.username)
            self.assertNotContains(response, "露西", msg_prefix=viewer.username)
            self.assertNotContains(response, "测评意见", msg_prefix=viewer.username)


class RoundDecisionTests(RoundPagesTestCase):
    def decide(self, action, rows=None, **extra):
        data = {"action": action, "entry": [], **extra}
        for entry in self.round.entries.all():
            data["entry"].append(entry.pk)
            values = (rows or {}).get(entry.pk, {})
            data[f"grade_{entry.pk}"] = values.get("grade", "")
            if values.get("integrity"):
                data[f"integrity_{entry.pk}"] = "on"
            data[f"integrity_note_{entry.pk}"] = values.get("note", "")
        return self.client.post(f"/assessment/rounds/{self.round.pk}/decide/", data)

    def test_computing_fills_the_scores_shown_on_the_round_page(self):
        self.rate(self.round, 80)
        self.login(self.alice)
        response = self.client.post(f"/assessment/rounds/{self.round.pk}/compute/")
        self.assertRedirects(response, f"/assessment/rounds/{self.round.pk}/")
        self.assertIn("已重新计算 4 人", messages_of(response)[0])
        response = self.client.get(f"/assessment/rounds/{self.round.pk}/")
        self.e_wang.refresh_from_db()
        self.assertIsNotNone(self.e_wang.final_score)
        self.assertContains(response, f"{self.e_wang.final_score:.2f}")
        self.assertContains(response, "等次分布")

    def test_the_quota_refusal_is_shown_and_the_round_stays_open(self):
        self.rate(self.round, 95)
        services.round_compute(round=self.round)
        self.login(self.alice)
        rows = {self.e_wang.pk: {"grade": "优秀"}}
        response = self.decide("confirm", rows)
        self.assertIn(
            "优秀比例不超过 20%：本轮 4 人，最多 0 人优秀，现有", " ".join(messages_of(response))
        )
        self.round.refresh_from_db()
        self.assertEqual(self.round.status, Round.Status.OPEN)
        # The chosen grade is kept for the next attempt.
        self.e_wang.refresh_from_db()
        self.assertEqual(self.e_wang.grade, "优秀")

    def test_confirming_with_chosen_grades_freezes_and_writes_the_annual_result(self):
        self.rate(self.round, 80)
        services.round_compute(round=self.round)
        self.login(self.alice)
        rows = {e.pk: {"grade": "称职"} for e in self.round.entries.all()}
        rows[self.e_li.pk] = {"grade": "基本称职"}
        response = self.decide("confirm", rows)
        self.assertRedirects(response, f"/assessment/rounds/{self.round.pk}/")
        self.round.refresh_from_db()
        self.assertEqual(self.round.status, Round.Status.CONFIRMED)
        self.assertEqual(AnnualAssessment.objects.get(cadre=self.li, year=2027).result, "基本称职")
        self.assertEqual(AnnualAssessment.objects.get(cadre=self.wang, year=2027).result, "称职")

    def test_an_integrity_finding_is_saved_and_bars_excellent(self):
        self.rate(self.round, 80)
        services.round_compute(round=self.round)
        self.login(self.alice)
        response = self.decide("save", {self.e_wang.pk: {"integrity": True}})
        self.assertIn("王晓明：请说明廉洁自律方面的问题", messages_of(response))
        rows = {self.e_wang.pk: {"integrity": True, "note": "违规收受礼品", "grade": "称职"}}
        self.decide("save", rows)
        self.e_wang.refresh_from_db()
        self.assertEqual(
            (self.e_wang.integrity_finding, self.e_wang.integrity_note, self.e_wang.grade),
            (True, "违规收受礼品", "称职"),
        )
        services.policy_for(self.programme)
        self.policy.excellent_quota = 25
        self.policy.quota_approval = "市委组织部〔2027〕1号"
        self.policy.save()
        rows[self.e_wang.pk]["grade"] = "优秀"
        response = self.decide("confirm", rows)
        self.assertIn("王晓明：廉洁自律有问题，不能评为优秀", " ".join(messages_of(response)))
        self.round.refresh_from_db()
        self.assertFalse(self.round.is_frozen)


@time_machine.travel(NOW, tick=False)
class FrozenRoundTests(RoundPagesTestCase):
    def setUp(self):
        super().setUp()
        self.rate_wang()
        self.rate(self.round, 80, kinds=["org", "self"])
        services.round_compute(round=self.round)
        grades = {e.pk: "称职" for e in self.round.entries.all()}
        services.round_confirm(round=self.round, by=self.alice, grades=grades)
        self.e_wang.refresh_from_db()

    def test_the_round_page_has_no_edit_forms(self):
        self.login(self.alice)
        response = self.client.get(f"/assessment/rounds/{self.round.pk}/")
        self.assertContains(response, "考核结果已确认（冻结）")
        for form in ("/compute/", "/decide/", 'name="entry"', "确认并冻结", "重新计算"):
            self.assertNotContains(response, form)
        self.assertContains(response, "称职")

    def test_the_entry_page_has_no_edit_forms_but_an_appeal_link(self):
        item = self.plan_wang.items.get(indicator=self.ind["工作作风"])
        for user in (self.alice, self.dave):
            self.login(user)
            response = self.client.get(f"/assessment/entries/{self.e_wang.pk}/")
            self.assertNotContains(response, f"/items/{item.pk}/score/")
            self.assertNotContains(response, "/summary/")
            self.assertContains(response, f"/assessment/entries/{self.e_wang.pk}/appeal/")
        self.login(self.hank)
        response = self.client.get(f"/assessment/entries/{self.e_wang.pk}/")
        self.assertNotContains(response, "/appeal/")

    def test_the_ratings_page_is_read_only(self):
        self.login(self.hank)
        response = self.client.get("/assessment/ratings/")
        self.assertNotContains(response, 'action="/assessment/ratings/')
        self.assertContains(response, "已确认（冻结）")

    def test_every_change_is_refused(self):
        item = self.plan_wang.items.get(indicator=self.ind["工作作风"])
        rating = Rating.objects.get(entry=self.e_wang, rater=self.hank)
        before = Entry.objects.get(pk=self.e_wang.pk)
        posts = [
            (self.alice, f"/assessment/rounds/{self.round.pk}/compute/", {}),
            (
                self.alice,
                f"/assessment/rounds/{self.round.pk}/decide/",
                {"action": "save", "entry": [self.e_wang.pk], f"grade_{self.e_wang.pk}": "优秀"},
            ),
            (
                self.alice,
                f"/assessment/entries/{self.e_wang.pk}/items/{item.pk}/score/",
                {f"i{item.pk}-score": "10"},
            ),
            (self.dave, f"/assessment/entries/{self.e_wang.pk}/summary/", {"text": "改写"}),
            (
                self.hank,
                f"/assessment/ratings/{rating.pk}/",
                {f"r{rating.pk}-{f}": "10" for f in ASPECTS},
            ),
        ]
        for user, url, data in posts:
            self.login(user)
            response = self.client.post(url, data)
            self.assertContains(
                response, "考核结果已确认（冻结），如有异议请走申诉", status_code=403
            )
        after = Entry.objects.get(pk=self.e_wang.pk)
        self.assertEqual(
            (after.grade, after.final_score, after.self_summary),
            (before.grade, before.final_score, before.self_summary),
        )
        rating.refresh_from_db()
        self.assertEqual(rating.political, 93)

    def test_an_appeal_is_filed_by_the_cadre_and_decided_by_the_organisation_department(self):
        self.login(self.dave)
        response = self.client.post(
            f"/assessment/entries/{self.e_wang.pk}/appeal/", {"reason": "招商实绩未计入"}
        )
        appeal = Appeal.objects.get()
        self.assertRedirects(response, f"/assessment/appeals/{appeal.pk}/")
        self.assertEqual((appeal.old_grade, appeal.filed_by), ("称职", self.dave))
        response = self.client.get(f"/assessment/appeals/{appeal.pk}/")
        self.assertNotContains(response, "/decide/")
        # Others in scope may read it; outside the scope it is missing.
        self.login(self.eve)
        self.assertEqual(self.client.get(f"/assessment/appeals/{appeal.pk}/").status_code, 404)
        self.login(self.alice)
        self.assertEqual(self.client.get("/assessment/").status_code, 200)
        self.assertContains(self.client.get("/assessment/"), f"/assessment/appeals/{appeal.pk}/")
        response = self.client.post(
            f"/assessment/appeals/{appeal.pk}/decide/",
            {"new_grade": "基本称职", "decision": "经复核，维持原意见并下调"},
        )
        self.assertRedirects(response, f"/assessment/appeals/{appeal.pk}/")
        appeal.refresh_from_db()
        self.e_wang.refresh_from_db()
        self.assertEqual((appeal.status, self.e_wang.grade), ("changed", "基本称职"))
        self.assertEqual(
            AnnualAssessment.objects.get(cadre=self.wang, year=2027).result, "基本称职"
        )

    def test_the_filer_does_not_decide_his_own_appeal(self):
        self.login(self.alice)
        self.client.post(f"/assessment/entries/{self.e_wang.pk}/appeal/", {"reason": "复查"})
        appeal = Appeal.objects.get()
        response = self.client.get(f"/assessment/appeals/{appeal.pk}/")
        self.assertNotContains(response, "/decide/")
        response = self.client.post(
            f"/assessment/appeals/{appeal.pk}/decide/", {"new_grade": "优秀", "decision": "改"}
        )
        self.assertContains(response, "申诉须由提出人以外的同志复核", status_code=403)
        amy = make_user("amy", self.city, "org_officer", full_name="艾米")
        self.login(amy)
        self.assertContains(self.client.get(f"/assessment/appeals/{appeal.pk}/"), "/decide/")

    def test_an_appeal_to_excellent_still_respects_the_quota(self):
        self.login(self.dave)
        self.client.post(f"/assessment/entries/{self.e_wang.pk}/appeal/", {"reason": "应为优秀"})
        appeal = Appeal.objects.get()
        self.login(self.alice)
        response = self.client.post(
            f"/assessment/appeals/{appeal.pk}/decide/",
            {"new_grade": "优秀", "decision": "改为优秀"},
        )
        self.assertIn(
            "优秀比例不超过 20%：本轮 4 人，最多 0 人优秀", " ".join(messages_of(response))
        )
        appeal.refresh_from_db()
        self.assertEqual(appeal.status, Appeal.Status.PENDING)

    def test_appeals_are_only_for_the_cadre_and_the_organisation_department(self):
        for user in (self.bob, self.hank, self.tina):
            self.login(user)
            response = self.client.post(
                f"/assessment/entries/{self.e_wang.pk}/appeal/", {"reason": "代为申诉"}
            )
            self.assertEqual(response.status_code, 403, user.username)
        self.assertFalse(Appeal.objects.exists())

    def test_an_open_round_cannot_be_appealed(self):
        other = self.open_round(
            kind=Round.Kind.TERM_END, start=date(2027, 3, 1), end=date(2028, 1, 1)
        )
        entry = other.entries.get(placement=self.p_wang)
        self.login(self.dave)
        response = self.client.get(f"/assessment/entries/{entry.pk}/appeal/")
        self.assertContains(response, "考核结果确认（冻结）后才能申诉", status_code=403)
