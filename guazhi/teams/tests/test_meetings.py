"""Recording meetings with attendance, and attendance rates."""

from __future__ import annotations

from datetime import date

import time_machine

from guazhi.programmes.models import Placement

from .. import services
from ..models import Attendance, Meeting, PartyBranch
from .helpers import TeamTestCase


def form_data(kind="study", day="2027-05-08", **extra):
    return {
        "kind": kind,
        "date": day,
        "place": "驻京办会议室",
        "topic": "学习贯彻会议精神",
        "host": "王晓明",
        "minutes": "会议记录正文",
        **extra,
    }


@time_machine.travel("2027-05-10 09:00 +0800")
class MeetingRecordingTests(TeamTestCase):
    def test_party_meetings_expect_the_party_members_and_study_sessions_everyone(self):
        day = date(2027, 5, 8)
        party = set(services.expected_attendees(self.team, "group", day))
        everyone = set(services.expected_attendees(self.team, "study", day))
        self.assertEqual(party, {self.wang, self.li})
        self.assertEqual(everyone, {self.wang, self.li, self.zhou})

    def test_a_cadre_who_left_early_is_not_expected_afterwards(self):
        Placement.objects.filter(pk=self.p_zhou.pk).update(
            status=Placement.Status.ENDED_EARLY, actual_end=date(2027, 4, 30)
        )
        self.assertIn(self.zhou, services.expected_attendees(self.team, "study", date(2027, 4, 30)))
        self.assertNotIn(
            self.zhou, services.expected_attendees(self.team, "study", date(2027, 5, 1))
        )

    def test_the_leader_records_a_meeting_with_everyone_present(self):
        self.login(self.tina)
        page = self.client.get(f"/teams/{self.team.pk}/meetings/new/?kind=study&date=2027-05-08")
        for cadre in (self.wang, self.li, self.zhou):
            self.assertContains(page, cadre.name)
        data = form_data(
            **{
                f"att_{self.wang.pk}": "present",
                f"att_{self.li.pk}": "present",
                f"att_{self.zhou.pk}": "present",
            }
        )
        response = self.client.post(f"/teams/{self.team.pk}/meetings/new/", data)
        meeting = Meeting.objects.get(team=self.team)
        self.assertRedirects(response, f"/teams/meetings/{meeting.pk}/")
        self.assertEqual(meeting.created_by, self.tina)
        self.assertEqual(meeting.attendance.filter(present=True).count(), 3)

    def test_an_absence_needs_a_reason_and_the_error_names_the_cadre(self):
        self.login(self.tina)
        data = form_data(
            **{
                f"att_{self.wang.pk}": "present",
                f"att_{self.li.pk}": "present",
                f"att_{self.zhou.pk}": "absent",
                f"reason_{self.zhou.pk}": "",
            }
        )
        response = self.client.post(f"/teams/{self.team.pk}/meetings/new/", data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "周群众 缺席，请填写缺席原因")
        self.assertFalse(Meeting.objects.exists())
        data[f"reason_{self.zhou.pk}"] = "赴沈阳对接项目"
        response = self.client.post(f"/teams/{self.team.pk}/meetings/new/", data)
        meeting = Meeting.objects.get()
        row = meeting.attendance.get(cadre=self.zhou)
        self.assertFalse(row.present)
        self.assertEqual(row.absence_reason, "赴沈阳对接项目")
        page = self.client.get(f"/teams/meetings/{meeting.pk}/")
        self.assertContains(page, "赴沈阳对接项目")
        self.assertContains(page, "会议记录正文")

    def test_every_expected_attendee_must_be_marked(self):
        self.login(self.tina)
        data = form_data(**{f"att_{self.wang.pk}": "present"})
        response = self.client.post(f"/teams/{self.team.pk}/meetings/new/", data)
        self.assertContains(response, f"请登记 {self.li.name} 的出席情况")
        self.assertFalse(Meeting.objects.exists())

    def test_the_service_refuses_a_missing_reason_too(self):
        marks = {
            self.wang.pk: services.Mark(True),
            self.li.pk: services.Mark(False, "  "),
        }
        with self.assertRaisesMessage(services.TeamError, "李浑南 缺席，请填写缺席原因"):
            services.meeting_save(
                team=self.team,
                by=self.tina,
                kind="group",
                date=date(2027, 5, 8),
                place="驻京办",
                topic="党小组会",
                host="王晓明",
                attendance=marks,
            )
        self.assertFalse(Meeting.objects.exists())

    def test_party_meetings_need_a_branch(self):
        PartyBranch.objects.filter(team=self.team).delete()
        with self.assertRaisesMessage(services.TeamError, "请先成立临时党支部"):
            self.meeting("lecture", date(2027, 5, 8))

    def test_editing_changes_the_attendance(self):
        meeting = self.meeting("study", date(2027, 5, 8))
        self.login(self.tina)
        data = form_data(
            **{
                f"att_{self.wang.pk}": "present",
                f"att_{self.li.pk}": "absent",
                f"reason_{self.li.pk}": "病假",
                f"att_{self.zhou.pk}": "present",
            }
        )
        response = self.client.post(f"/teams/meetings/{meeting.pk}/edit/", data)
        self.assertRedirects(response, f"/teams/meetings/{meeting.pk}/")
        self.assertEqual(meeting.attendance.get(cadre=self.li).absence_reason, "病假")
        # Changing it to a Party meeting drops the non-member's row.
        data["kind"] = "group"
        data.pop(f"att_{self.zhou.pk}")
        self.client.post(f"/teams/meetings/{meeting.pk}/edit/", data)
        self.assertEqual(
            set(meeting.attendance.values_list("cadre__name", flat=True)), {"王晓明", "李浑南"}
        )

    def test_a_planned_meeting_keeps_no_attendance_until_it_is_held(self):
        self.login(self.tina)
        response = self.client.post(
            f"/teams/{self.team.pk}/meetings/new/", form_data("group", "2027-05-20")
        )
        meeting = Meeting.objects.get()
        self.assertRedirects(response, f"/teams/meetings/{meeting.pk}/")
        self.assertFalse(meeting.attendance.exists())
        with time_machine.travel("2027-05-21 09:00 +0800"):
            self.login(self.tina)  # a day later: the idle session has expired
            page = self.client.get(f"/teams/meetings/{meeting.pk}/edit/")
            self.assertContains(page, f'name="att_{self.wang.pk}"')

    def test_changing_the_kind_redraws_the_attendance_rows(self):
        self.login(self.tina)
        url = f"/teams/{self.team.pk}/meetings/new/"
        party = self.client.get(
            url, {"kind": "group", "date": "2027-05-08"}, HTTP_HX_REQUEST="true"
        )
        self.assertContains(party, self.wang.name)
        self.assertNotContains(party, self.zhou.name)
        self.assertNotContains(party, "<html")
        everyone = self.client.get(
            url, {"kind": "study", "date": "2027-05-08"}, HTTP_HX_REQUEST="true"
        )
        self.assertContains(everyone, self.zhou.name)

    def test_deleting_a_meeting_asks_first(self):
        meeting = self.meeting("study", date(2027, 5, 8))
        self.login(self.tina)
        page = self.client.get(f"/teams/meetings/{meeting.pk}/delete/")
        self.assertContains(page, "确定删除")
        self.assertTrue(Meeting.objects.filter(pk=meeting.pk).exists())
        self.client.post(f"/teams/meetings/{meeting.pk}/delete/")
        self.assertFalse(Meeting.objects.filter(pk=meeting.pk).exists())
        self.assertFalse(Attendance.objects.filter(meeting_id=meeting.pk).exists())

    def test_the_meeting_list_and_calendar(self):
        self.meeting("group", date(2027, 5, 3), topic="五月党小组会")
        self.meeting("study", date(2027, 4, 10), topic="四月学习")
        self.login(self.dave)
        listing = self.client.get(f"/teams/{self.team.pk}/meetings/?kind=group")
        self.assertContains(listing, "五月党小组会")
        self.assertNotContains(listing, "四月学习")
        calendar = self.client.get(f"/teams/{self.team.pk}/calendar/?month=2027-05")
        self.assertContains(calendar, "五月党小组会")
        self.assertNotContains(calendar, "四月学习")
        self.assertContains(calendar, "?month=2027-04")
        self.assertContains(calendar, "?month=2027-06")
        bad = self.client.get(f"/teams/{self.team.pk}/calendar/?month=2027-13")
        self.assertEqual(bad.status_code, 200)


@time_machine.travel("2027-06-15 09:00 +0800")
class AttendanceRateTests(TeamTestCase):
    def test_rates_per_cadre_and_per_branch(self):
        # Two Party meetings (wang, li expected) and one study session (all three).
        self.meeting("group", date(2027, 4, 10), absent={self.li: "出差"})
        self.meeting("committee", date(2027, 5, 10))
        self.meeting("study", date(2027, 5, 20), absent={self.zhou: "病假", self.wang: "公务"})
        every = services.attendance_rates(self.team)
        self.assertEqual((every[self.wang.pk].present, every[self.wang.pk].expected), (2, 3))
        self.assertEqual((every[self.li.pk].present, every[self.li.pk].expected), (2, 3))
        self.assertEqual((every[self.zhou.pk].present, every[self.zhou.pk].expected), (0, 1))
        self.assertAlmostEqual(every[self.wang.pk].rate, 2 / 3)
        branch = services.branch_rate(self.team)
        self.assertEqual((branch.present, branch.expected), (3, 4))
        self.assertEqual(branch.percent, "75.0%")
        team = services.total_rate(self.team)
        self.assertEqual((team.present, team.expected), (4, 7))

    def test_rates_in_a_date_range(self):
        self.meeting("group", date(2027, 4, 10), absent={self.li: "出差"})
        self.meeting("group", date(2027, 5, 10))
        may = services.attendance_rates(self.team, start=date(2027, 5, 1), end=date(2027, 5, 31))
        self.assertEqual((may[self.li.pk].present, may[self.li.pk].expected), (1, 1))
        april = services.branch_rate(self.team, start=date(2027, 4, 1), end=date(2027, 4, 30))
        self.assertEqual((april.present, april.expected), (1, 2))

    def test_no_meetings_no_rate(self):
        rate = services.branch_rate(self.team)
        self.assertIsNone(rate.rate)
        self.assertEqual(rate.percent, "—")

    def test_the_team_page_shows_the_rates(self):
        self.meeting("group", date(2027, 4, 10), absent={self.li: "出差"})
        self.login(self.tina)
        page = self.client.get(f"/teams/{self.team.pk}/")
        self.assertContains(page, "出席率")
        self.assertContains(page, "50.0%")  # the branch: 1 of 2
        self.assertContains(page, "合计")
