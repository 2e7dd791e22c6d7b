"""Two-way pairings (结对帮带): set up by the team's managers, check-ins by either side."""

from __future__ import annotations

from datetime import date

import time_machine

from .. import services
from ..models import CheckIn, Pairing
from .helpers import TeamTestCase


@time_machine.travel("2027-05-10 09:00 +0800")
class PairingTests(TeamTestCase):
    def pair(self, *members):
        return services.pairing_create(
            team=self.team,
            by=self.tina,
            members=members or [self.wang, self.li],
            goals="帮助熟悉北京招商政策",
            started_on=date(2027, 4, 1),
        )

    def test_the_leader_pairs_two_members_of_his_team(self):
        self.login(self.tina)
        response = self.client.post(
            f"/teams/{self.team.pk}/pairings/new/",
            {
                "members": [self.wang.pk, self.li.pk],
                "goals": "结对学习",
                "started_on": "2027-05-01",
            },
        )
        pairing = Pairing.objects.get()
        self.assertRedirects(response, f"/teams/pairings/{pairing.pk}/")
        self.assertEqual(set(pairing.members.all()), {self.wang, self.li})
        self.assertEqual(pairing.created_by, self.tina)

    def test_a_pairing_needs_two_members_of_the_team(self):
        self.login(self.tina)
        response = self.client.post(
            f"/teams/{self.team.pk}/pairings/new/",
            {"members": [self.wang.pk], "goals": "结对学习", "started_on": "2027-05-01"},
        )
        self.assertContains(response, "结对至少需要两名成员")
        from guazhi.cadres.tests.factories import make_cadre

        outsider = make_cadre(self.hunnan_kjj, "局外人", birth=date(1988, 1, 1))
        with self.assertRaisesMessage(services.TeamError, "局外人 不是本工作队的成员"):
            self.pair(self.wang, outsider)
        self.assertFalse(Pairing.objects.exists())

    def test_members_and_other_leaders_cannot_set_up_pairings(self):
        self.login(self.dave)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/pairings/new/").status_code, 403)
        self.login(self.tom)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/pairings/new/").status_code, 404)

    def test_either_member_writes_dated_check_ins(self):
        pairing = self.pair()
        url = f"/teams/pairings/{pairing.pk}/checkins/"
        self.login(self.dave)
        page = self.client.get(f"/teams/pairings/{pairing.pk}/")
        self.assertContains(page, "记录交流")
        self.client.post(url, {"date": "2027-05-09", "content": "一起走访企业"})
        self.login(self.lucy)
        self.client.post(url, {"date": "2027-05-10", "content": "交流项目进展"})
        self.assertEqual(
            list(pairing.checkins.values_list("author__name", flat=True)), ["李浑南", "王晓明"]
        )
        page = self.client.get(f"/teams/pairings/{pairing.pk}/")
        self.assertContains(page, "一起走访企业")
        self.assertContains(page, "交流项目进展")

    def test_a_check_in_cannot_be_dated_in_the_future_or_left_empty(self):
        pairing = self.pair()
        url = f"/teams/pairings/{pairing.pk}/checkins/"
        self.login(self.dave)
        response = self.client.post(url, {"date": "2027-05-11", "content": "明天的事"}, follow=True)
        self.assertContains(response, "交流日期不能晚于今天")
        response = self.client.post(url, {"date": "2027-05-09", "content": "   "}, follow=True)
        self.assertContains(response, "请填写交流内容")
        with self.assertRaisesMessage(services.TeamError, "交流日期不能晚于今天"):
            services.checkin_add(pairing=pairing, by=self.dave, date=date(2027, 5, 11), content="x")
        self.assertFalse(CheckIn.objects.exists())

    def test_only_the_pair_writes_check_ins_but_the_team_reads_them(self):
        pairing = self.pair(self.li, self.zhou)
        url = f"/teams/pairings/{pairing.pk}/"
        # dave (wang) is in the team but not in this pair: he reads, he does not write.
        self.login(self.dave)
        page = self.client.get(url)
        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, "记录交流")
        self.assertEqual(
            self.client.post(url + "checkins/", {"date": "2027-05-09", "content": "x"}).status_code,
            403,
        )
        # The leader runs the pairing but is not one of its sides.
        self.login(self.tina)
        self.assertEqual(
            self.client.post(url + "checkins/", {"date": "2027-05-09", "content": "x"}).status_code,
            403,
        )
        # Another team's leader and a district officer do not see it at all.
        for user in (self.tom, self.bob):
            with self.subTest(user=user.username):
                self.login(user)
                self.assertEqual(self.client.get(url).status_code, 404)
        self.assertFalse(CheckIn.objects.exists())

    def test_the_leader_closes_a_pairing_with_a_note_and_check_ins_stop(self):
        pairing = self.pair()
        self.login(self.dave)
        self.assertEqual(
            self.client.post(f"/teams/pairings/{pairing.pk}/close/", {"note": "x"}).status_code,
            403,
        )
        self.login(self.tina)
        response = self.client.post(
            f"/teams/pairings/{pairing.pk}/close/", {"note": ""}, follow=True
        )
        self.assertContains(response, "结束说明")
        pairing.refresh_from_db()
        self.assertEqual(pairing.status, Pairing.Status.ACTIVE)
        self.client.post(f"/teams/pairings/{pairing.pk}/close/", {"note": "目标已完成"})
        pairing.refresh_from_db()
        self.assertEqual(pairing.status, Pairing.Status.CLOSED)
        self.assertEqual(pairing.closed_note, "目标已完成")
        self.login(self.dave)
        response = self.client.post(
            f"/teams/pairings/{pairing.pk}/checkins/", {"date": "2027-05-09", "content": "x"}
        )
        self.assertEqual(response.status_code, 403)

    def test_the_team_page_lists_the_pairings_for_a_member(self):
        self.pair()
        self.login(self.dave)
        page = self.client.get(f"/teams/{self.team.pk}/")
        self.assertContains(page, "帮助熟悉北京招商政策")
        self.assertContains(page, "超过 30 天未交流")  # started 1 April, nothing since
