"""Selection pages: the nomination list and profile obey the data scope; decisions through the
page; the matching page for the city officer only, with explanations, the comparison of a
manual choice with the optimum, pins and exclusions, and confirmation."""

from __future__ import annotations

from datetime import date

from guazhi.cadres.tests.factories import make_cadre

from .. import services
from ..models import Nomination, PairRule
from .helpers import SelectionTestCase


class NominationPageTests(SelectionTestCase):
    def setUp(self):
        self.wang_n = self.nominate()
        self.li_n = self.nominate(self.li, by=self.eve)

    def test_a_district_officer_lists_only_his_district(self):
        self.login(self.bob)
        page = self.client.get("/selection/").content.decode()
        self.assertIn("王晓明", page)
        self.assertNotIn("李浑南", page)

    def test_the_city_officer_lists_all(self):
        self.login(self.alice)
        page = self.client.get("/selection/").content.decode()
        self.assertIn("王晓明", page)
        self.assertIn("李浑南", page)

    def test_another_district_gets_404_for_the_nomination(self):
        self.login(self.eve)
        self.assertEqual(self.client.get(f"/selection/{self.wang_n.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/selection/{self.li_n.pk}/").status_code, 200)

    def test_the_host_unit_and_administrators_see_no_nominations(self):
        for user in (self.hank, self.sam):
            self.login(user)
            self.assertEqual(self.client.get("/selection/").status_code, 403, user.username)
            self.assertEqual(self.client.get(f"/selection/{self.wang_n.pk}/").status_code, 404)

    def test_the_reviewer_sees_the_decision_form_and_decides_through_the_page(self):
        self.login(self.bob)
        page = self.client.get(f"/selection/{self.wang_n.pk}/").content.decode()
        self.assertIn("提交审核意见", page)
        response = self.client.post(
            f"/selection/{self.wang_n.pk}/decide/", {"approve": "1", "opinion": "同意推荐"}
        )
        self.assertEqual(response.status_code, 302)
        self.wang_n.refresh_from_db()
        self.assertEqual(self.wang_n.level, self.levels[1])

    def test_a_rejection_without_reason_is_refused_in_chinese_and_changes_nothing(self):
        self.login(self.bob)
        response = self.client.post(
            f"/selection/{self.wang_n.pk}/decide/", {"approve": "0", "opinion": ""}, follow=True
        )
        self.assertContains(response, "不通过时须填写理由")
        self.wang_n.refresh_from_db()
        self.assertEqual(self.wang_n.status, Nomination.Status.PENDING)

    def test_a_sending_unit_sees_no_decision_form_and_its_post_is_refused(self):
        self.login(self.carol)
        page = self.client.get(f"/selection/{self.wang_n.pk}/").content.decode()
        self.assertNotIn("提交审核意见", page)
        self.client.post(f"/selection/{self.wang_n.pk}/decide/", {"approve": "1"})
        self.wang_n.refresh_from_db()
        self.assertEqual(self.wang_n.level, self.levels[0])

    def test_nominating_through_the_page(self):
        self.wang_n.status = Nomination.Status.WITHDRAWN
        self.wang_n.save()
        self.login(self.carol)
        response = self.client.post(
            "/selection/new/",
            {"batch": self.batch.pk, "cadre": self.wang.pk, "reason": "熟悉园区招商"},
        )
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.batch.nominations.active().filter(cadre=self.wang).count(), 1)

    def test_the_nominate_form_offers_only_cadres_in_scope(self):
        self.login(self.carol)
        page = self.client.get(f"/selection/new/?batch={self.batch.pk}").content.decode()
        self.assertNotIn("李浑南", page)

    def test_with_one_open_batch_the_form_offers_only_cadres_who_can_be_nominated_to_it(self):
        # Found in the browser: without ?batch= the list offered cadres already nominated
        # or serving, and picking one ended in Django's bare "选择一个有效的选项".
        self.login(self.carol)
        page = self.client.get("/selection/new/").content.decode()
        self.assertIn(f'<option value="{self.batch.pk}" selected>', page)
        self.assertNotIn("王晓明", page)  # already nominated to the batch
        self.wang_n.status = Nomination.Status.WITHDRAWN
        self.wang_n.save()
        self.assertIn("王晓明", self.client.get("/selection/new/").content.decode())

    def test_a_cadre_who_cannot_be_nominated_to_the_batch_is_refused_with_the_reason(self):
        self.login(self.carol)
        response = self.client.post(
            "/selection/new/",
            {"batch": self.batch.pk, "cadre": self.wang.pk, "reason": "熟悉园区招商"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(
            response, "该干部不能推荐到所选批次：不在您的推荐范围内、正在挂职或已被推荐"
        )
        self.assertEqual(self.batch.nominations.active().filter(cadre=self.wang).count(), 1)


class MatchPageTests(SelectionTestCase):
    def setUp(self):
        self.wang_n = self.pass_level(self.nominate(), self.bob)
        self.li_n = self.pass_level(self.nominate(self.li, by=self.eve), self.eve)
        self.url = f"/selection/batches/{self.batch.pk}/match/"

    def test_only_the_city_officer_may_match(self):
        for user in (self.bob, self.carol, self.hank):
            self.login(user)
            self.assertIn(self.client.get(self.url).status_code, (403, 404), user.username)
        self.login(self.alice)
        self.assertEqual(self.client.get(self.url).status_code, 200)

    def test_the_proposal_explains_each_pair(self):
        self.login(self.alice)
        page = self.client.get(self.url).content.decode()
        # 王晓明 has the mandatory 招商引资 and goes to the investment post; 李浑南 to tech.
        self.assertIn("专长：招商引资", page)
        self.assertIn("已证明最优", page)
        self.assertIn("王晓明", page)
        self.assertIn("李浑南", page)

    def test_a_manual_choice_is_compared_with_the_optimum(self):
        self.login(self.alice)
        response = self.client.post(
            self.url,
            {
                "action": "compare",
                f"seat-{self.post_invest.pk}-0": "",
                f"seat-{self.post_tech.pk}-0": str(self.wang_n.pk),
            },
        )
        page = response.content.decode()
        self.assertIn("您的方案", page)
        self.assertIn("最优方案", page)

    def test_an_ineligible_manual_choice_is_refused(self):
        self.login(self.alice)
        response = self.client.post(
            self.url,
            {"action": "confirm", f"seat-{self.post_invest.pk}-0": str(self.li_n.pk)},
            follow=True,
        )
        self.assertContains(response, "未保存")
        self.assertFalse(Nomination.objects.filter(post__isnull=False).exists())

    def test_confirming_the_proposal_assigns_posts(self):
        self.login(self.alice)
        self.client.post(self.url, {"action": "confirm_proposal", "opinion": "择优确定"})
        self.wang_n.refresh_from_db()
        self.li_n.refresh_from_db()
        self.assertEqual(self.wang_n.post, self.post_invest)
        self.assertEqual(self.li_n.post, self.post_tech)
        self.assertIsNotNone(self.wang_n.fit_score)

    def test_a_forbidden_pair_is_left_out_on_the_rerun(self):
        self.login(self.alice)
        self.client.post(f"{self.url}rule/", {"pair": f"{self.li_n.pk}-{self.post_tech.pk}-forbid"})
        self.assertTrue(PairRule.objects.filter(kind="forbid", nomination=self.li_n).exists())
        self.client.post(self.url, {"action": "confirm_proposal"})
        self.li_n.refresh_from_db()
        self.assertIsNone(self.li_n.post)

    def test_an_impossible_pin_is_explained_with_names(self):
        self.login(self.alice)
        self.client.post(f"{self.url}rule/", {"pair": f"{self.li_n.pk}-{self.post_invest.pk}-pin"})
        page = self.client.get(self.url).content.decode()
        self.assertIn("固定安排的李浑南不符合“朝阳区政府 · 投资促进局副局长”的任职条件", page)
        self.assertNotIn("干部#", page)

    def test_the_district_officer_cannot_set_rules(self):
        self.login(self.bob)
        self.client.post(f"{self.url}rule/", {"pair": f"{self.li_n.pk}-{self.post_tech.pk}-pin"})
        self.assertFalse(PairRule.objects.exists())

    def test_bulk_decision_passes_those_with_posts_and_declines_the_rest(self):
        self.login(self.alice)
        self.client.post(f"{self.url}rule/", {"pair": f"{self.li_n.pk}-{self.post_tech.pk}-forbid"})
        self.client.post(self.url, {"action": "confirm_proposal"})
        self.client.post(f"{self.url}decide/", {"decline_unassigned": "1"})
        self.wang_n.refresh_from_db()
        self.li_n.refresh_from_db()
        self.assertEqual(self.wang_n.level, self.levels[2])
        self.assertEqual(self.li_n.status, Nomination.Status.REJECTED)
        self.assertEqual(self.li_n.steps.last().opinion, "经综合比选，本批次未入选")


class HomeCardTests(SelectionTestCase):
    def test_the_home_page_counts_what_waits_for_the_reviewer_only(self):
        self.nominate()
        self.login(self.bob)
        page = self.client.get("/").content.decode()
        self.assertIn("待我审核的推荐人选", page)
        self.assertIn('href="/selection/?waiting=1"', page)
        waiting = self.client.get("/selection/?waiting=1").content.decode()
        self.assertIn("王晓明", waiting)
        self.assertIn("待我审核", waiting)
        self.assertIn('<option value="1" selected>', waiting)  # the filter shows what it applies
        self.login(self.eve)
        self.assertNotIn("王晓明", self.client.get("/selection/?waiting=1").content.decode())
        self.login(self.carol)
        self.assertNotIn("待我审核的推荐人选", self.client.get("/").content.decode())


class BulkApproveTests(SelectionTestCase):
    def setUp(self):
        self.a = self.nominate()
        self.b = self.nominate(make_cadre(self.heping_fgj, "赵二", birth=date(1990, 1, 1)))
        self.c = self.nominate(self.li, by=self.eve)

    def test_the_reviewer_passes_several_at_once_each_with_its_own_step(self):
        self.login(self.bob)
        page = self.client.get("/selection/").content.decode()
        self.assertEqual(page.count('name="ids"'), 2)
        self.client.post("/selection/approve/", {"ids": [self.a.pk, self.b.pk], "opinion": "同意"})
        for n in (self.a, self.b):
            n.refresh_from_db()
            self.assertEqual(n.level, self.levels[1])
            self.assertEqual(n.steps.last().user, self.bob)

    def test_one_that_is_not_his_refuses_the_whole_bulk(self):
        self.login(self.bob)
        self.client.post("/selection/approve/", {"ids": [self.a.pk, self.c.pk]})
        self.a.refresh_from_db()
        self.assertEqual(self.a.level, self.levels[0])  # c is out of bob's scope: unchanged

    def test_a_user_who_does_not_review_is_refused(self):
        self.login(self.carol)
        response = self.client.post("/selection/approve/", {"ids": [self.a.pk]})
        self.assertEqual(response.status_code, 403)
        self.a.refresh_from_db()
        self.assertEqual(self.a.level, self.levels[0])

    def test_the_filing_level_needs_the_document_for_everyone(self):
        for n in (self.a, self.b):
            self.pass_level(n, self.bob)
        for n in (self.a, self.b):
            n.refresh_from_db()
        services.assign_posts(
            batch=self.batch,
            pairs=[(self.a.pk, self.post_invest.pk), (self.b.pk, self.post_tech.pk)],
            scores={},
            by=self.alice,
        )
        self.login(self.alice)
        ids = {"ids": [self.a.pk, self.b.pk]}
        self.client.post("/selection/approve/", ids)  # 综合比选
        self.client.post("/selection/approve/", ids)  # 市委审批
        response = self.client.post("/selection/approve/", ids, follow=True)
        self.assertContains(response, "文号")
        self.client.post(
            "/selection/approve/",
            {**ids, "document_number": "组厅字〔2027〕9号", "document_date": "2027-02-01"},
        )
        for n in (self.a, self.b):
            n.refresh_from_db()
            self.assertEqual(n.status, Nomination.Status.APPROVED)
            self.assertIsNotNone(n.placement_id)


class LevelsPageTests(SelectionTestCase):
    def formset(self, rows):
        data = {
            "level-TOTAL_FORMS": len(rows),
            "level-INITIAL_FORMS": sum(1 for r in rows if r.get("id")),
            "level-MIN_NUM_FORMS": 0,
            "level-MAX_NUM_FORMS": 8,
        }
        for i, row in enumerate(rows):
            for key, value in row.items():
                data[f"level-{i}-{key}"] = value
        return data

    def test_the_city_officer_changes_the_levels_to_two(self):
        from guazhi.core.models import Role

        district = Role.objects.get(code="district_officer").pk
        org = Role.objects.get(code="org_officer").pk
        first, second, third, fourth = self.levels
        rows = [
            {"id": first.pk, "name": "区级审核", "role": district},
            {
                "id": second.pk,
                "name": "市级审定",
                "role": org,
                "assigns_post": "on",
                "needs_document": "on",
            },
            {"id": third.pk, "name": third.name, "role": org, "DELETE": "on"},
            {"id": fourth.pk, "name": fourth.name, "role": org, "DELETE": "on"},
        ]
        url = f"/selection/programmes/{self.programme.pk}/levels/"
        self.login(self.bob)
        self.assertEqual(self.client.post(url, self.formset(rows)).status_code, 403)
        self.assertEqual(self.programme.levels.count(), 4)
        self.login(self.alice)
        response = self.client.post(url, self.formset(rows))
        self.assertEqual(response.status_code, 302)
        self.assertEqual(
            list(self.programme.levels.values_list("name", "assigns_post", "needs_document")),
            [("区级审核", False, False), ("市级审定", True, True)],
        )
