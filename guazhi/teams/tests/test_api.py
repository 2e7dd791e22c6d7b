"""/api/v1/teams/, /api/v1/meetings/ and /api/v1/pairings/: a team is seen by its leader,
deputies, member cadres and the scopes covering its unit; meetings and pairings are set up by
the team's leader and deputies only (a member cadre is refused, another team's leader finds
nothing); check-ins are written by the pair's members; refusals are in Chinese."""

from __future__ import annotations

import itertools
from datetime import date

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Post

from .. import services
from ..models import Attachment, CheckIn, Meeting, Pairing, PartyBranch
from .helpers import TeamTestCase


class TeamApiCase(TeamTestCase):
    def api(self, user, method, url, data=None):
        token, _ = Token.objects.get_or_create(user=user)
        return getattr(self.client, method)(
            url,
            data,
            content_type="application/json",
            headers={"Authorization": f"Token {token.key}"},
        )

    def everyone_present(self, kind="study", day=date(2027, 4, 10), team=None):
        return [
            {"cadre": c.pk, "present": True}
            for c in services.expected_attendees(team or self.team, kind, day)
        ]

    def meeting_data(self, **extra):
        data = {
            "team": self.team.pk,
            "kind": "study",
            "date": "2027-04-10",
            "place": "驻京办会议室",
            "topic": "学习招商引资政策",
            "host": "王晓明",
            "minutes": "传达学习有关文件精神",
            "attendance": self.everyone_present(),
        }
        data.update(extra)
        return data


@time_machine.travel("2027-05-10 10:00 +0800", tick=False)
class TeamTests(TeamApiCase):
    def test_a_team_shows_its_leader_deputies_branch_and_members_with_their_posts(self):
        self.team.deputies.add(self.lucy)
        self.branch.committee.add(self.li)
        response = self.api(self.tina, "get", f"/api/v1/teams/{self.team.pk}/")
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(body["leader"], {"id": self.tina.pk, "name": "蒂娜"})
        self.assertEqual([d["name"] for d in body["deputies"]], ["露西"])
        self.assertEqual(body["batch"], self.batch.pk)
        self.assertEqual(body["branch"]["name"], "第五批临时党支部")
        self.assertEqual(body["branch"]["secretary"]["name"], "王晓明")
        self.assertEqual([c["name"] for c in body["branch"]["committee"]], ["李浑南"])
        members = {m["name"]: m for m in body["members"]}
        self.assertEqual(set(members), {"王晓明", "李浑南", "周群众"})
        self.assertEqual(members["王晓明"]["cadre"], self.wang.pk)
        self.assertEqual(members["王晓明"]["post_title"], "投资促进局副局长")
        self.assertFalse(members["周群众"]["party_member"])

    def test_a_team_without_a_branch_shows_null(self):
        response = self.api(self.tom, "get", f"/api/v1/teams/{self.team6.pk}/")
        self.assertEqual(response.status_code, 200)
        self.assertIsNone(response.json()["branch"])
        self.assertEqual(response.json()["members"], [])

    def test_a_member_cadre_sees_his_own_team_and_not_another(self):
        response = self.api(self.dave, "get", "/api/v1/teams/")
        self.assertEqual([t["id"] for t in response.json()["results"]], [self.team.pk])
        self.assertEqual(
            self.api(self.dave, "get", f"/api/v1/teams/{self.team6.pk}/").status_code, 404
        )

    def test_the_city_department_sees_every_team_and_a_district_officer_none(self):
        ids = {t["id"] for t in self.api(self.alice, "get", "/api/v1/teams/").json()["results"]}
        self.assertEqual(ids, {self.team.pk, self.team6.pk})
        self.assertEqual(self.api(self.bob, "get", "/api/v1/teams/").json()["results"], [])
        self.assertEqual(
            self.api(self.bob, "get", f"/api/v1/teams/{self.team.pk}/").status_code, 404
        )

    def test_the_list_query_count_does_not_grow_with_teams_and_members(self):
        def count():
            with CaptureQueriesContext(connection) as ctx:
                response = self.api(self.alice, "get", "/api/v1/teams/")
            self.assertEqual(response.status_code, 200)
            return len(response.json()["results"]), len(ctx)

        count()
        rows, queries = count()
        self.team6.deputies.add(self.lucy)
        post = Post.objects.create(
            batch=self.batch6, title="岗位", host_unit=self.chaoyang, capacity=9
        )
        for i in range(3):
            cadre = make_cadre(self.hunnan_kjj, f"六批{i}", political_status="中共党员")
            programme_services.placement_create(cadre=cadre, post=post)
        PartyBranch.objects.create(team=self.team6, name="第六批临时党支部", secretary=cadre)
        self.assertEqual(count(), (rows, queries))

    def test_teams_are_read_only(self):
        response = self.api(self.alice, "post", "/api/v1/teams/", {"name": "新工作队"})
        self.assertEqual(response.status_code, 405)


@time_machine.travel("2027-05-10 10:00 +0800", tick=False)
class MeetingWriteTests(TeamApiCase):
    def test_the_leader_records_a_meeting_with_everyones_attendance(self):
        data = self.meeting_data()
        data["attendance"] = [
            {"cadre": self.wang.pk, "present": True},
            {"cadre": self.li.pk, "present": False, "absence_reason": "赴沈汇报"},
            {"cadre": self.zhou.pk, "present": True},
        ]
        response = self.api(self.tina, "post", "/api/v1/meetings/", data)
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual((body["kind"], body["kind_display"]), ("study", "学习研讨"))
        self.assertEqual((body["n_expected"], body["n_present"]), (3, 2))
        rows = {a["cadre_name"]: a for a in body["attendance"]}
        self.assertEqual(rows["李浑南"]["absence_reason"], "赴沈汇报")
        self.assertFalse(rows["李浑南"]["present"])
        meeting = Meeting.objects.get()
        self.assertEqual((meeting.team, meeting.created_by), (self.team, self.tina))

    def test_a_member_cadre_cannot_record_a_meeting(self):
        response = self.api(self.dave, "post", "/api/v1/meetings/", self.meeting_data())
        self.assertEqual(response.status_code, 403)
        self.assertIn("队长、副队长", response.json()["detail"])
        self.assertFalse(Meeting.objects.exists())

    def test_a_deputy_records_a_meeting_too(self):
        self.team.deputies.add(self.lucy)
        response = self.api(self.lucy, "post", "/api/v1/meetings/", self.meeting_data())
        self.assertEqual(response.status_code, 201, response.content)

    def test_another_teams_leader_cannot_name_this_team(self):
        response = self.api(self.tom, "post", "/api/v1/meetings/", self.meeting_data())
        self.assertEqual(response.status_code, 400)
        self.assertIn("不在您的范围内", response.json()["team"][0])
        self.assertFalse(Meeting.objects.exists())

    def test_an_absentee_without_a_reason_is_a_field_error_naming_him(self):
        data = self.meeting_data()
        data["attendance"][1] = {"cadre": self.li.pk, "present": False, "absence_reason": " "}
        response = self.api(self.tina, "post", "/api/v1/meetings/", data)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["attendance"], ["李浑南 缺席，请填写缺席原因"])
        self.assertFalse(Meeting.objects.exists())

    def test_a_cadre_outside_the_team_is_a_field_error_without_his_name(self):
        outsider = make_cadre(self.hunnan_kjj, "局外人")
        data = self.meeting_data()
        data["attendance"].append({"cadre": outsider.pk, "present": True})
        response = self.api(self.tina, "post", "/api/v1/meetings/", data)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["attendance"], [f"干部 {outsider.pk} 不是本工作队的成员"])

    def test_a_missing_attendee_is_refused_with_his_name(self):
        data = self.meeting_data(attendance=[{"cadre": self.wang.pk, "present": True}])
        response = self.api(self.tina, "post", "/api/v1/meetings/", data)
        self.assertEqual(response.status_code, 400)
        self.assertIn("出席情况", response.json()["detail"])
        self.assertFalse(Meeting.objects.exists())

    def test_a_party_meeting_expects_only_the_party_members(self):
        data = self.meeting_data(
            kind="group", attendance=self.everyone_present("study")
        )  # zhou is not a Party member
        response = self.api(self.tina, "post", "/api/v1/meetings/", data)
        self.assertEqual(response.status_code, 400)
        self.assertIn("周群众 不是这次会议的应到人员", response.json()["detail"])
        data["attendance"] = self.everyone_present("group")
        response = self.api(self.tina, "post", "/api/v1/meetings/", data)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["n_expected"], 2)

    def test_a_planned_meeting_keeps_no_attendance(self):
        data = self.meeting_data(date="2027-06-01")
        del data["attendance"]
        response = self.api(self.tina, "post", "/api/v1/meetings/", data)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["attendance"], [])

    def test_missing_values_are_chinese_field_errors(self):
        response = self.api(self.tina, "post", "/api/v1/meetings/", {"team": self.team.pk})
        self.assertEqual(response.status_code, 400)
        body = response.json()
        self.assertEqual(body["kind"], ["请选择会议类型"])
        self.assertEqual(body["topic"], ["请填写主题"])

    def test_the_leader_changes_a_meeting_and_keeps_its_attendance(self):
        meeting = self.meeting("study", absent={self.li: "赴沈汇报"})
        response = self.api(
            self.tina, "patch", f"/api/v1/meetings/{meeting.pk}/", {"topic": "学习新政策"}
        )
        self.assertEqual(response.status_code, 200, response.content)
        body = response.json()
        self.assertEqual(body["topic"], "学习新政策")
        self.assertEqual((body["n_expected"], body["n_present"]), (3, 2))

    def test_a_full_update_replaces_the_attendance(self):
        meeting = self.meeting("study", absent={self.li: "赴沈汇报"})
        data = self.meeting_data()
        del data["team"]
        response = self.api(self.tina, "put", f"/api/v1/meetings/{meeting.pk}/", data)
        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["n_present"], 3)

    def test_a_meeting_cannot_move_to_another_team(self):
        meeting = self.meeting("study")
        self.team6.deputies.add(self.tina)
        response = self.api(
            self.tina, "patch", f"/api/v1/meetings/{meeting.pk}/", {"team": self.team6.pk}
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("不能改到其他工作队", response.json()["team"][0])

    def test_a_member_cadre_cannot_change_a_meeting_and_another_leader_finds_nothing(self):
        meeting = self.meeting("study")
        url = f"/api/v1/meetings/{meeting.pk}/"
        self.assertEqual(self.api(self.dave, "patch", url, {"topic": "改"}).status_code, 403)
        self.assertEqual(self.api(self.tom, "patch", url, {"topic": "改"}).status_code, 404)
        meeting.refresh_from_db()
        self.assertNotEqual(meeting.topic, "改")


@time_machine.travel("2027-05-10 10:00 +0800", tick=False)
class MeetingReadTests(TeamApiCase):
    def test_the_detail_lists_attendance_and_attachment_names_with_a_download_address(self):
        meeting = self.meeting("group", absent={self.li: "病假"})
        attachment = Attachment.objects.create(
            meeting=meeting,
            file="meetings/x/abc",
            name="会议记录.pdf",
            content_type="application/pdf",
            size=1024,
            uploaded_by=self.tina,
        )
        response = self.api(self.dave, "get", f"/api/v1/meetings/{meeting.pk}/")
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertEqual(
            {(a["cadre_name"], a["present"]) for a in body["attendance"]},
            {("王晓明", True), ("李浑南", False)},
        )
        [row] = body["attachments"]
        self.assertEqual((row["id"], row["name"]), (attachment.pk, "会议记录.pdf"))
        self.assertTrue(row["download_url"].endswith(f"/teams/attachments/{attachment.pk}/"))
        self.assertNotIn("file", row)

    def test_the_list_filters_by_team_kind_and_dates(self):
        self.meeting("group", date(2027, 4, 10))
        self.meeting("study", date(2027, 4, 20))
        self.meeting("study", date(2027, 3, 15))
        other = self.meeting("study", date(2027, 4, 12), team=self.team6)

        def topics(user, query=""):
            response = self.api(user, "get", f"/api/v1/meetings/{query}")
            self.assertEqual(response.status_code, 200, response.content)
            return [m["topic"] for m in response.json()["results"]]

        self.assertEqual(
            topics(self.tina), ["study 2027-04-20", "group 2027-04-10", "study 2027-03-15"]
        )
        self.assertEqual(
            topics(self.tina, "?kind=study&date_from=2027-04-01&date_to=2027-04-30"),
            ["study 2027-04-20"],
        )
        self.assertEqual(len(topics(self.alice, f"?team={self.team6.pk}")), 1)
        self.assertEqual(topics(self.tom), [other.topic])

    def test_another_teams_meeting_is_404_and_its_team_no_filter_value(self):
        meeting = self.meeting("study")
        self.assertEqual(
            self.api(self.tom, "get", f"/api/v1/meetings/{meeting.pk}/").status_code, 404
        )
        self.assertEqual(
            self.api(self.bob, "get", f"/api/v1/meetings/{meeting.pk}/").status_code, 404
        )
        response = self.api(self.tom, "get", f"/api/v1/meetings/?team={self.team.pk}")
        self.assertEqual(response.status_code, 400)

    def test_the_list_query_count_does_not_grow_with_the_meetings(self):
        serial = itertools.count(1)

        def grow(n):
            for _ in range(n):
                i = next(serial)
                meeting = self.meeting(
                    "group" if i % 2 else "study", date(2027, 3, 1 + i), absent={self.li: "出差"}
                )
                Attachment.objects.create(
                    meeting=meeting,
                    file=f"meetings/{meeting.pk}/f",
                    name=f"附件{i}.pdf",
                    content_type="application/pdf",
                    size=10,
                    uploaded_by=self.tina,
                )

        def count():
            with CaptureQueriesContext(connection) as ctx:
                response = self.api(self.tina, "get", "/api/v1/meetings/")
            self.assertEqual(response.status_code, 200)
            return len(response.json()["results"]), len(ctx)

        grow(2)
        count()  # warm up: the token and the per-user caches
        rows, queries = count()
        self.assertEqual(rows, 2)
        grow(10)
        rows, more = count()
        self.assertEqual((rows, more), (12, queries))


@time_machine.travel("2027-05-10 10:00 +0800", tick=False)
class PairingTests(TeamApiCase):
    def pairing(self, *members, goals="熟悉招商流程", started_on=date(2027, 3, 10)):
        return services.pairing_create(
            team=self.team,
            by=self.tina,
            members=members or (self.wang, self.li),
            goals=goals,
            started_on=started_on,
            today=date(2027, 5, 10),
        )

    def test_the_leader_sets_up_a_pairing_and_a_member_cadre_cannot(self):
        data = {
            "team": self.team.pk,
            "members": [self.wang.pk, self.zhou.pk],
            "goals": "一帮一熟悉北京营商环境",
            "started_on": "2027-04-01",
        }
        response = self.api(self.dave, "post", "/api/v1/pairings/", data)
        self.assertEqual(response.status_code, 403)
        self.assertFalse(Pairing.objects.exists())
        response = self.api(self.tina, "post", "/api/v1/pairings/", data)
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual({m["name"] for m in body["members"]}, {"王晓明", "周群众"})
        self.assertEqual((body["status"], body["checkins"]), ("active", []))
        self.assertEqual(body["last_contact"], "2027-04-01")

    def test_pairing_members_must_be_in_the_team(self):
        outsider = make_cadre(self.hunnan_kjj, "局外人")
        data = {"team": self.team.pk, "members": [self.wang.pk, outsider.pk], "goals": "帮带"}
        response = self.api(self.tina, "post", "/api/v1/pairings/", data)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["members"], [f"干部 {outsider.pk} 不是本工作队的成员"])
        data["members"] = [self.wang.pk]
        response = self.api(self.tina, "post", "/api/v1/pairings/", data)
        self.assertEqual(response.json()["members"], ["结对至少需要两名成员"])

    def test_a_member_cadre_checks_in_to_his_pairing(self):
        pairing = self.pairing()
        response = self.api(
            self.dave,
            "post",
            f"/api/v1/pairings/{pairing.pk}/check-ins/",
            {"date": "2027-05-08", "content": "交流招商项目跟进情况"},
        )
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["author_name"], "王晓明")
        detail = self.api(self.lucy, "get", f"/api/v1/pairings/{pairing.pk}/").json()
        self.assertEqual([c["content"] for c in detail["checkins"]], ["交流招商项目跟进情况"])
        self.assertEqual((detail["n_checkins"], detail["last_contact"]), (1, "2027-05-08"))

    def test_a_team_member_outside_the_pair_is_refused_and_an_outsider_finds_nothing(self):
        pairing = self.pairing(self.wang, self.zhou)
        url = f"/api/v1/pairings/{pairing.pk}/check-ins/"
        data = {"date": "2027-05-08", "content": "交流"}
        response = self.api(self.lucy, "post", url, data)  # li's account: same team, not paired
        self.assertEqual(response.status_code, 403)
        self.assertIn("结对双方", response.json()["detail"])
        self.assertEqual(self.api(self.tom, "post", url, data).status_code, 404)
        self.assertEqual(self.api(self.eve, "post", url, data).status_code, 404)
        self.assertFalse(CheckIn.objects.exists())

    def test_a_check_in_dated_in_the_future_is_refused_in_chinese(self):
        pairing = self.pairing()
        response = self.api(
            self.dave,
            "post",
            f"/api/v1/pairings/{pairing.pk}/check-ins/",
            {"date": "2027-05-11", "content": "交流"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["detail"], "交流日期不能晚于今天")

    def test_a_closed_pairing_takes_no_more_check_ins(self):
        pairing = self.pairing()
        services.pairing_close(pairing=pairing, by=self.tina, note="目标已完成")
        response = self.api(
            self.dave,
            "post",
            f"/api/v1/pairings/{pairing.pk}/check-ins/",
            {"date": "2027-05-08", "content": "交流"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("已结束", response.json()["detail"])

    def test_the_list_filters_by_team_and_marks_overdue_pairings(self):
        self.pairing(started_on=date(2027, 3, 1))
        response = self.api(self.alice, "get", f"/api/v1/pairings/?team={self.team.pk}")
        self.assertEqual(response.status_code, 200)
        [row] = response.json()["results"]
        self.assertTrue(row["overdue"])
        self.assertEqual(
            self.api(self.alice, "get", f"/api/v1/pairings/?team={self.team6.pk}").json()[
                "results"
            ],
            [],
        )
        self.assertEqual(self.api(self.tom, "get", "/api/v1/pairings/").json()["results"], [])

    def test_the_list_query_count_does_not_grow_with_the_pairings(self):
        def count():
            with CaptureQueriesContext(connection) as ctx:
                response = self.api(self.tina, "get", "/api/v1/pairings/")
            self.assertEqual(response.status_code, 200)
            return len(response.json()["results"]), len(ctx)

        self.pairing()
        count()
        rows, queries = count()
        extra = Post.objects.create(
            batch=self.batch, title="岗位", host_unit=self.chaoyang, capacity=9
        )
        for i in range(4):
            cadre = make_cadre(self.heping_fgj, f"队员{i}", political_status="中共党员")
            programme_services.placement_create(cadre=cadre, post=extra)
            self.pairing(self.wang, cadre)
        self.assertEqual(count(), (5, queries))
