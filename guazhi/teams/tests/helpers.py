"""A work team for batch 5 of the selection fixtures, with its leader tina, its Party branch
and three placed cadres — wang (Party member, dave's account), li (Party member, lucy's
account) and zhou (not a Party member) — and a second team for batch 6 led by tom."""

from __future__ import annotations

from datetime import date

from guazhi.cadres.models import Cadre
from guazhi.cadres.tests.factories import make_cadre
from guazhi.core.models import OrgUnit
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Batch, Post
from guazhi.selection.tests.helpers import SelectionTestCase
from guazhi.testing import make_unit, make_user

from .. import services
from ..models import PartyBranch, WorkTeam


class TeamTestCase(SelectionTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        K = OrgUnit.Kind
        cls.team_unit = make_unit("T-TEAM5", "第五批赴京工作队", K.OTHER, cls.city)
        cls.team6_unit = make_unit("T-TEAM6", "第六批赴京工作队", K.OTHER, cls.city)
        cls.tina = make_user("tina", cls.team_unit, "team_leader", full_name="蒂娜")
        cls.tom = make_user("tom", cls.team6_unit, "team_leader", full_name="汤姆")
        cls.lucy = make_user("lucy", cls.hunnan_kjj, "cadre", full_name="露西")
        cls.post_extra = Post.objects.create(
            batch=cls.batch, title="商务局副局长", host_unit=cls.chaoyang
        )
        cls.zhou = make_cadre(
            cls.heping_fgj, "周群众", birth=date(1990, 1, 1), political_status="群众"
        )
        cls.p_wang = programme_services.placement_create(cadre=cls.wang, post=cls.post_invest)
        cls.p_li = programme_services.placement_create(cadre=cls.li, post=cls.post_tech)
        cls.p_zhou = programme_services.placement_create(cadre=cls.zhou, post=cls.post_extra)
        Cadre.objects.filter(pk=cls.wang.pk).update(user=cls.dave)
        Cadre.objects.filter(pk=cls.li.pk).update(user=cls.lucy)
        cls.wang.refresh_from_db()
        cls.li.refresh_from_db()
        cls.team = WorkTeam.objects.create(
            batch=cls.batch, name="第五批赴京挂职干部工作队", unit=cls.team_unit, leader=cls.tina
        )
        cls.branch = PartyBranch.objects.create(
            team=cls.team, name="第五批临时党支部", secretary=cls.wang
        )
        cls.batch6 = Batch.objects.create(
            programme=cls.programme,
            number=6,
            start=date(2027, 3, 1),
            end=date(2028, 3, 1),
            quota=2,
        )
        cls.team6 = WorkTeam.objects.create(
            batch=cls.batch6, name="第六批赴京挂职干部工作队", unit=cls.team6_unit, leader=cls.tom
        )

    def meeting(self, kind="group", day=date(2027, 4, 10), absent=(), team=None, **extra):
        """Record a meeting through the service: everyone expected present except `absent`
        (cadre → reason)."""
        team = team or self.team
        absent = dict(absent)
        marks = {
            c.pk: services.Mark(c.pk not in {a.pk for a in absent}, "")
            for c in services.expected_attendees(team, kind, day)
        }
        for cadre, reason in absent.items():
            marks[cadre.pk] = services.Mark(False, reason)
        values = {"place": "驻京办会议室", "topic": f"{kind} {day}", "host": "王晓明", **extra}
        return services.meeting_save(
            team=team,
            by=team.leader,
            kind=kind,
            date=day,
            attendance=marks,
            today=max(day, date(2027, 12, 31)),
            **values,
        )
