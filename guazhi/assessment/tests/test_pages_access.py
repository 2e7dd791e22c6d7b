"""Who reaches which assessment page, side by side: the organisation department (alice, all),
the district of the cadre (bob, heping: wang and zhou), another district (eve, hunnan: li),
the sending unit (carol), the host unit (hank, chaoyang: all three), the team leader (tina,
batch 5), the team leader of another batch (tom), and the cadres (dave = wang, lucy = li).
Outside the scope → 404; inside but not allowed → 403."""

from __future__ import annotations

import time_machine

from ..models import Rating, Round
from .helpers import AssessmentTestCase

NOW = "2027-12-20 10:00 +0800"


@time_machine.travel(NOW, tick=False)
class PagesTestCase(AssessmentTestCase):
    """The helpers' fixture with the 2027 annual round of batch 5 open."""

    def setUp(self):
        super().setUp()
        self.round = self.open_round()
        self.e_wang = self.entry(self.round, self.p_wang)
        self.e_li = self.entry(self.round, self.p_li)
        self.e_zhou = self.entry(self.round, self.p_zhou)

    def status(self, user, url, method="get", data=None):
        self.login(user)
        response = getattr(self.client, method)(url, data or {})
        return response.status_code

    def statuses(self, url, users, method="get", data=None):
        return {u.username: self.status(u, url, method, data) for u in users}


class OverviewTests(PagesTestCase):
    def test_everyone_with_an_assessment_role_opens_the_overview(self):
        users = [self.alice, self.bob, self.carol, self.eve, self.hank, self.tina, self.dave]
        self.assertEqual(self.statuses("/assessment/", users), {u.username: 200 for u in users})

    def test_the_administrators_have_no_assessment_pages(self):
        self.assertEqual(
            self.statuses("/assessment/", [self.sam, self.aud]), {"sam": 403, "aud": 403}
        )

    def test_a_manager_sees_the_programme_with_its_batch_links(self):
        self.login(self.alice)
        response = self.client.get("/assessment/")
        self.assertContains(response, f"/assessment/programmes/{self.programme.pk}/policy/")
        self.assertContains(response, f"/assessment/batches/{self.batch.pk}/plans/")
        self.assertContains(response, f"/assessment/batches/{self.batch.pk}/quarters/")
        self.assertContains(response, f"/assessment/batches/{self.batch.pk}/rounds/new/")
        self.assertContains(response, f"/assessment/rounds/{self.round.pk}/")
        self.assertContains(response, "/assessment/indicators/")

    def test_a_team_leader_sees_his_team_with_the_quarter_to_propose(self):
        self.login(self.tina)
        response = self.client.get("/assessment/")
        self.assertContains(response, f"/assessment/batches/{self.batch.pk}/quarters/")
        self.assertContains(response, "本季度 3 人待提出")
        self.assertNotContains(response, "/policy/")
        self.assertNotContains(response, "/rounds/new/")
        # His own ratings to give: the leader's rating of each of the three.
        self.assertContains(response, "还有 3 份评价未提交")

    def test_a_cadre_sees_his_plan_his_quarters_his_round_and_his_ratings(self):
        self.quarter(self.p_wang, 2, "好")
        self.login(self.dave)
        response = self.client.get("/assessment/")
        self.assertContains(response, "我的考核")
        self.assertContains(response, f"/assessment/placements/{self.p_wang.pk}/plan/")
        self.assertContains(response, f"/assessment/entries/{self.e_wang.pk}/")
        self.assertContains(response, "2027年第2季度")
        # His self-rating and the peer ratings (民主测评) of li and zhou.
        self.assertContains(response, "还有 3 份评价未提交")
        self.assertNotContains(response, f"/assessment/entries/{self.e_li.pk}/")
        self.assertNotContains(response, "/policy/")

    def test_a_host_unit_sees_its_ratings_to_give(self):
        self.login(self.hank)
        response = self.client.get("/assessment/")
        self.assertContains(response, "还有 3 份评价未提交")
        self.assertNotContains(response, "/quarters/")


class IndicatorAndPolicyAccessTests(PagesTestCase):
    def test_only_the_organisation_department_opens_the_library_and_edits_it(self):
        users = [self.alice, self.bob, self.tina, self.dave, self.hank]
        self.assertEqual(
            self.statuses("/assessment/indicators/", users),
            {"alice": 200, "bob": 403, "tina": 403, "dave": 403, "hank": 403},
        )
        url = f"/assessment/indicators/{self.ind['工作作风'].pk}/edit/"
        self.assertEqual(self.statuses(url, [self.alice, self.bob]), {"alice": 200, "bob": 403})

    def test_only_the_organisation_department_edits_the_policy(self):
        url = f"/assessment/programmes/{self.programme.pk}/policy/"
        self.assertEqual(
            self.statuses(url, [self.alice, self.bob, self.tina, self.hank]),
            {"alice": 200, "bob": 403, "tina": 403, "hank": 403},
        )


class PlanAccessTests(PagesTestCase):
    def test_a_plan_is_seen_within_the_placements_scope(self):
        url = f"/assessment/placements/{self.p_wang.pk}/plan/"
        users = [self.alice, self.bob, self.carol, self.eve, self.hank, self.tina, self.tom]
        users += [self.dave, self.lucy]
        self.assertEqual(
            self.statuses(url, users),
            {
                "alice": 200,
                "bob": 200,
                "carol": 200,
                "eve": 404,
                "hank": 200,
                "tina": 200,
                "tom": 404,
                "dave": 200,
                "lucy": 404,
            },
        )

    def test_the_batch_plan_list_shows_only_the_placements_in_scope(self):
        url = f"/assessment/batches/{self.batch.pk}/plans/"
        self.login(self.eve)
        response = self.client.get(url)
        self.assertContains(response, "李浑南")
        self.assertNotContains(response, "王晓明")
        self.login(self.bob)
        response = self.client.get(url)
        self.assertContains(response, "王晓明")
        self.assertContains(response, "周群众")
        self.assertNotContains(response, "李浑南")

    def test_editing_a_plan_is_for_the_organisation_department_and_the_cadre_himself(self):
        url = f"/assessment/placements/{self.p_wang.pk}/plan/edit/"
        self.assertEqual(
            self.statuses(url, [self.alice, self.dave, self.bob, self.hank, self.tina, self.eve]),
            {"alice": 200, "dave": 200, "bob": 403, "hank": 403, "tina": 403, "eve": 404},
        )

    def test_approving_is_for_the_organisation_department(self):
        url = f"/assessment/plans/{self.plan_wang.pk}/approve/"
        self.assertEqual(
            self.statuses(url, [self.bob, self.dave, self.tina], "post"),
            {"bob": 403, "dave": 403, "tina": 403},
        )


class QuarterAccessTests(PagesTestCase):
    def url(self):
        return f"/assessment/batches/{self.batch.pk}/quarters/2027/4/"

    def test_the_quarter_page_is_for_those_who_see_quarterly_results(self):
        users = [self.alice, self.bob, self.tina, self.dave, self.hank, self.carol]
        self.assertEqual(
            self.statuses(self.url(), users),
            {"alice": 200, "bob": 200, "tina": 200, "dave": 200, "hank": 403, "carol": 403},
        )

    def test_the_leader_gets_propose_forms_and_the_others_do_not(self):
        self.login(self.tina)
        self.assertContains(self.client.get(self.url()), "/propose/", count=3)
        self.login(self.bob)
        response = self.client.get(self.url())
        self.assertNotContains(response, "/propose/")
        self.assertContains(response, "王晓明")
        self.assertNotContains(response, "李浑南")
        self.login(self.dave)
        response = self.client.get(self.url())
        self.assertNotContains(response, "/propose/")
        self.assertContains(response, "王晓明")
        self.assertNotContains(response, "周群众")

    def test_only_the_teams_leaders_and_the_organisation_department_propose(self):
        url = f"{self.url()}propose/{self.p_wang.pk}/"
        data = {f"p{self.p_wang.pk}-grade": "好"}
        self.assertEqual(
            self.statuses(url, [self.tom, self.bob, self.dave, self.eve], "post", data),
            {"tom": 404, "bob": 403, "dave": 403, "eve": 404},
        )
        self.assertFalse(self.p_wang.quarter_results.exists())
        self.assertEqual(self.status(self.alice, url, "post", data), 302)
        self.assertTrue(self.p_wang.quarter_results.exists())

    def test_confirming_is_for_the_organisation_department(self):
        url = f"{self.url()}confirm/"
        self.assertEqual(
            self.statuses(url, [self.tina, self.bob, self.dave], "post"),
            {"tina": 403, "bob": 403, "dave": 403},
        )


class RoundAccessTests(PagesTestCase):
    def test_the_round_page_within_scope(self):
        url = f"/assessment/rounds/{self.round.pk}/"
        users = [self.alice, self.bob, self.eve, self.hank, self.tina, self.tom, self.dave]
        self.assertEqual(
            self.statuses(url, users),
            {
                "alice": 200,
                "bob": 200,
                "eve": 200,
                "hank": 200,
                "tina": 200,
                "tom": 404,
                "dave": 200,
            },
        )

    def test_the_round_page_lists_only_the_entries_in_scope(self):
        url = f"/assessment/rounds/{self.round.pk}/"
        self.login(self.eve)
        response = self.client.get(url)
        self.assertContains(response, "李浑南")
        self.assertNotContains(response, "王晓明")
        # A cadre sees his own line, not his peers' (whom he rates).
        self.login(self.dave)
        response = self.client.get(url)
        self.assertContains(response, "王晓明")
        self.assertNotContains(response, "李浑南")
        self.assertNotContains(response, "周群众")

    def test_only_managers_get_the_decision_form(self):
        url = f"/assessment/rounds/{self.round.pk}/"
        self.login(self.alice)
        response = self.client.get(url)
        self.assertContains(response, "确认并冻结")
        self.assertContains(response, "重新计算")
        for user in (self.bob, self.hank, self.tina, self.dave):
            self.login(user)
            response = self.client.get(url)
            self.assertNotContains(response, "确认并冻结")
            self.assertNotContains(response, "重新计算")

    def test_computing_and_confirming_are_refused_to_others(self):
        for action in ("compute", "decide"):
            url = f"/assessment/rounds/{self.round.pk}/{action}/"
            self.assertEqual(
                self.statuses(url, [self.bob, self.hank, self.tina, self.dave], "post"),
                {"bob": 403, "hank": 403, "tina": 403, "dave": 403},
                action,
            )
            self.assertEqual(self.status(self.tom, url, "post"), 404)
        self.round.refresh_from_db()
        self.assertEqual(self.round.status, Round.Status.OPEN)

    def test_the_entry_page_within_scope(self):
        url = f"/assessment/entries/{self.e_wang.pk}/"
        users = [self.alice, self.bob, self.carol, self.eve, self.hank, self.tina, self.tom]
        users += [self.dave, self.lucy]
        self.assertEqual(
            self.statuses(url, users),
            {
                "alice": 200,
                "bob": 200,
                "carol": 200,
                "eve": 404,
                "hank": 200,
                "tina": 200,
                "tom": 404,
                "dave": 200,
                # lucy rates wang as a peer, but sees nothing of his assessment.
                "lucy": 404,
            },
        )

    def test_scoring_an_item_is_for_the_organisation_department(self):
        item = self.plan_wang.items.get(indicator=self.ind["工作作风"])
        url = f"/assessment/entries/{self.e_wang.pk}/items/{item.pk}/score/"
        data = {f"i{item.pk}-score": "90"}
        self.assertEqual(
            self.statuses(url, [self.bob, self.hank, self.tina, self.dave], "post", data),
            {"bob": 403, "hank": 403, "tina": 403, "dave": 403},
        )
        self.assertEqual(self.status(self.eve, url, "post", data), 404)
        self.assertFalse(self.e_wang.indicator_scores.filter(item=item).exists())
        self.assertEqual(self.status(self.alice, url, "post", data), 302)
        self.assertEqual(self.e_wang.indicator_scores.get(item=item).score, 90)

    def test_the_self_summary_is_written_by_the_cadre_himself(self):
        url = f"/assessment/entries/{self.e_wang.pk}/summary/"
        data = {"text": "一年来走访企业 40 家"}
        self.assertEqual(
            self.statuses(url, [self.alice, self.bob, self.hank], "post", data),
            {"alice": 403, "bob": 403, "hank": 403},
        )
        self.assertEqual(self.status(self.lucy, url, "post", data), 404)
        self.assertEqual(self.status(self.dave, url, "post", data), 302)
        self.e_wang.refresh_from_db()
        self.assertEqual(self.e_wang.self_summary, "一年来走访企业 40 家")

    def test_a_rating_is_submitted_only_by_its_rater(self):
        rating = Rating.objects.get(entry=self.e_wang, rater_kind="host", rater=self.hank)
        url = f"/assessment/ratings/{rating.pk}/"
        data = {
            f"r{rating.pk}-{f}": "90" for f in ("political", "conduct", "performance", "integrity")
        }
        self.assertEqual(
            self.statuses(url, [self.alice, self.dave, self.tina], "post", data),
            {"alice": 404, "dave": 404, "tina": 404},
        )
        rating.refresh_from_db()
        self.assertIsNone(rating.submitted_at)
        self.assertEqual(self.status(self.hank, url, "post", data), 302)
        rating.refresh_from_db()
        self.assertEqual(rating.political, 90)

    def test_exports_follow_the_entry_and_round_scope(self):
        url = f"/assessment/entries/{self.e_wang.pk}/form.xlsx"
        self.assertEqual(
            self.statuses(url, [self.alice, self.bob, self.hank, self.dave, self.eve, self.lucy]),
            {"alice": 200, "bob": 200, "hank": 200, "dave": 200, "eve": 404, "lucy": 404},
        )
        url = f"/assessment/rounds/{self.round.pk}/results.xlsx"
        self.assertEqual(
            self.statuses(url, [self.alice, self.eve, self.dave, self.tom]),
            {"alice": 200, "eve": 200, "dave": 200, "tom": 404},
        )
