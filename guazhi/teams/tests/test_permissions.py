"""Who sees and runs a team: allowed and forbidden side by side."""

from __future__ import annotations

from datetime import date

import time_machine

from guazhi.testing import make_user

from ..models import Meeting, PartyBranch, WorkTeam
from .helpers import TeamTestCase


def meeting_post(team, kind="study", day="2027-05-08", **marks):
    data = {
        "kind": kind,
        "date": day,
        "place": "驻京办",
        "topic": "学习研讨",
        "host": "蒂娜",
        "minutes": "",
    }
    data.update(marks)
    return data


@time_machine.travel("2027-05-10 09:00 +0800")
class TeamVisibilityTests(TeamTestCase):
    def setUp(self):
        self.study = self.meeting("study", date(2027, 4, 20))
        self.other_meeting = self.meeting("study", date(2027, 4, 21), team=self.team6)

    def test_the_leader_manages_his_team_and_another_leader_gets_404(self):
        self.login(self.tina)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/meetings/new/").status_code, 200)
        self.assertEqual(self.client.get(f"/teams/meetings/{self.study.pk}/").status_code, 200)
        self.login(self.tom)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/meetings/").status_code, 404)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/meetings/new/").status_code, 404)
        self.assertEqual(self.client.get(f"/teams/meetings/{self.study.pk}/").status_code, 404)
        self.assertEqual(self.client.get(f"/teams/{self.team6.pk}/").status_code, 200)

    def test_the_team_list_shows_only_teams_in_scope(self):
        self.login(self.tina)
        response = self.client.get("/teams/")
        self.assertContains(response, self.team.name)
        self.assertNotContains(response, self.team6.name)
        self.login(self.alice)
        response = self.client.get("/teams/")
        self.assertContains(response, self.team.name)
        self.assertContains(response, self.team6.name)
        self.login(self.dave)
        response = self.client.get("/teams/")
        self.assertContains(response, self.team.name)
        self.assertNotContains(response, self.team6.name)

    def test_a_member_cadre_sees_his_team_meetings_but_cannot_record_one(self):
        self.login(self.dave)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/meetings/").status_code, 200)
        self.assertEqual(self.client.get(f"/teams/meetings/{self.study.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/meetings/new/").status_code, 403)
        before = Meeting.objects.count()
        response = self.client.post(f"/teams/{self.team.pk}/meetings/new/", meeting_post(self.team))
        self.assertEqual(response.status_code, 403)
        self.assertEqual(Meeting.objects.count(), before)
        self.assertEqual(self.client.get(f"/teams/meetings/{self.study.pk}/edit/").status_code, 403)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/branch/").status_code, 403)
        # Not his team: as if it did not exist.
        self.assertEqual(self.client.get(f"/teams/{self.team6.pk}/").status_code, 404)
        self.assertEqual(
            self.client.get(f"/teams/meetings/{self.other_meeting.pk}/").status_code, 404
        )

    def test_a_district_officer_sees_no_team_minutes(self):
        for user in (self.bob, self.eve, self.carol, self.hank):
            with self.subTest(user=user.username):
                self.login(user)
                self.assertEqual(self.client.get(f"/teams/{self.team.pk}/").status_code, 404)
                self.assertEqual(
                    self.client.get(f"/teams/meetings/{self.study.pk}/").status_code, 404
                )
                self.assertEqual(self.client.get("/teams/").status_code, 403)

    def test_administrators_see_nothing(self):
        for user in (self.sam, self.sid, self.aud):
            with self.subTest(user=user.username):
                self.login(user)
                self.assertEqual(self.client.get("/teams/").status_code, 403)
                self.assertEqual(self.client.get(f"/teams/{self.team.pk}/").status_code, 404)
                self.assertEqual(
                    self.client.get(f"/teams/meetings/{self.study.pk}/").status_code, 404
                )
                self.assertEqual(
                    self.client.get(f"/teams/rhythm/{self.programme.pk}/").status_code, 404
                )

    def test_the_city_officer_sees_every_team_and_runs_them(self):
        self.login(self.alice)
        self.assertEqual(self.client.get(f"/teams/{self.team6.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/edit/").status_code, 200)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/meetings/new/").status_code, 200)

    def test_a_deputy_manages_the_team_like_the_leader(self):
        deputy = make_user("dan", self.team_unit, "team_leader")
        self.team6.deputies.add(deputy)  # deputy of the other team only
        self.login(deputy)
        # His unit makes team 5 visible (the leader's scope), but he does not run it.
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/").status_code, 200)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/meetings/new/").status_code, 403)
        self.assertEqual(self.client.get(f"/teams/{self.team6.pk}/meetings/new/").status_code, 200)


@time_machine.travel("2027-05-10 09:00 +0800")
class TeamSetUpTests(TeamTestCase):
    def test_only_the_city_officer_creates_a_team(self):
        from guazhi.programmes.models import Batch

        batch7 = Batch.objects.create(
            programme=self.programme,
            number=7,
            start=date(2028, 3, 1),
            end=date(2029, 3, 1),
            quota=2,
        )
        data = {
            "batch": batch7.pk,
            "name": "第七批工作队",
            "unit": self.team_unit.pk,
            "leader": self.tina.pk,
        }
        for user in (self.tina, self.bob, self.dave):
            with self.subTest(user=user.username):
                self.login(user)
                self.assertEqual(self.client.post("/teams/new/", data).status_code, 403)
        self.assertFalse(WorkTeam.objects.filter(batch=batch7).exists())
        self.login(self.alice)
        response = self.client.get("/teams/new/")
        self.assertContains(response, "第7批")
        self.assertNotContains(response, "第5批")  # already has a team
        response = self.client.post("/teams/new/", data)
        team = WorkTeam.objects.get(batch=batch7)
        self.assertRedirects(response, f"/teams/{team.pk}/")
        self.assertEqual(team.leader, self.tina)

    def test_the_leader_must_hold_the_team_leader_role(self):
        from guazhi.programmes.models import Batch

        batch7 = Batch.objects.create(
            programme=self.programme,
            number=7,
            start=date(2028, 3, 1),
            end=date(2029, 3, 1),
            quota=1,
        )
        self.login(self.alice)
        response = self.client.post(
            "/teams/new/",
            {
                "batch": batch7.pk,
                "name": "第七批",
                "unit": self.team_unit.pk,
                "leader": self.bob.pk,
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertFalse(WorkTeam.objects.filter(batch=batch7).exists())

    def test_the_leader_cannot_edit_the_team_itself_but_the_city_officer_can(self):
        self.login(self.tina)
        self.assertEqual(self.client.get(f"/teams/{self.team.pk}/edit/").status_code, 403)
        self.login(self.alice)
        response = self.client.post(
            f"/teams/{self.team.pk}/edit/",
            {
                "name": "第五批工作队（改）",
                "unit": self.team_unit.pk,
                "leader": self.tina.pk,
                "deputies": [self.dave.pk],
            },
        )
        self.assertRedirects(response, f"/teams/{self.team.pk}/")
        self.team.refresh_from_db()
        self.assertEqual(self.team.name, "第五批工作队（改）")
        self.assertEqual(list(self.team.deputies.all()), [self.dave])

    def test_the_leader_sets_up_the_branch_from_the_team_party_members(self):
        self.login(self.tina)
        response = self.client.get(f"/teams/{self.team.pk}/branch/")
        self.assertContains(response, self.wang.name)
        self.assertNotContains(response, self.zhou.name)  # not a Party member
        response = self.client.post(
            f"/teams/{self.team.pk}/branch/",
            {
                "name": "临时党支部",
                "founded_on": "2027-03-05",
                "secretary": self.li.pk,
                "committee": [self.wang.pk, self.li.pk],
            },
        )
        self.assertRedirects(response, f"/teams/{self.team.pk}/")
        branch = PartyBranch.objects.get(team=self.team)
        self.assertEqual(branch.secretary, self.li)
        self.assertEqual(set(branch.committee.all()), {self.wang, self.li})
        # A non-member cannot be secretary.
        response = self.client.post(
            f"/teams/{self.team.pk}/branch/",
            {"name": "临时党支部", "secretary": self.zhou.pk},
        )
        self.assertEqual(response.status_code, 200)
        branch.refresh_from_db()
        self.assertEqual(branch.secretary, self.li)

    def test_the_branch_service_refuses_a_non_member_secretary(self):
        from .. import services

        with self.assertRaisesMessage(services.TeamError, "周群众 不是本工作队的党员"):
            services.branch_save(
                team=self.team, by=self.tina, name="支部", founded_on=None, secretary=self.zhou
            )
        with self.assertRaisesMessage(services.TeamError, "只有本工作队的队长、副队长"):
            services.branch_save(
                team=self.team, by=self.tom, name="支部", founded_on=None, secretary=self.wang
            )


class TeamLeaderSeesTeamCadresTests(TeamTestCase):
    def test_the_leader_sees_his_team_members_profiles_but_cannot_edit_them(self):
        self.login(self.tina)
        self.assertEqual(self.client.get(f"/cadres/{self.wang.pk}/").status_code, 200)
        self.assertIn("王晓明", self.client.get("/cadres/").content.decode())
        self.assertEqual(self.client.get(f"/cadres/{self.wang.pk}/edit/").status_code, 403)

    def test_another_teams_leader_does_not_see_them(self):
        self.login(self.tom)
        self.assertEqual(self.client.get(f"/cadres/{self.wang.pk}/").status_code, 404)
        self.assertNotIn("王晓明", self.client.get("/cadres/").content.decode())
