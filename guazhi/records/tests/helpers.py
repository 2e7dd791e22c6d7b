"""Batch 5 (from 2027-03-01) with its work team led by tina: 王晓明 (heping, dave's cadre record)
on post at 朝阳区, 李浑南 (hunnan, lily's) at 海淀区; batch 6 with another team led by tom.
Records are written straight into the table; the service is tested through the pages."""

from __future__ import annotations

from datetime import date

from guazhi.cadres.models import Cadre
from guazhi.core.models import OrgUnit
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Batch, Post
from guazhi.selection.tests.helpers import SelectionTestCase
from guazhi.teams.models import WorkTeam
from guazhi.testing import make_unit, make_user

from ..models import DailyRecord

Category = DailyRecord.Category
Evidence = DailyRecord.Evidence


class RecordsTestCase(SelectionTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        K = OrgUnit.Kind
        cls.haidian = make_unit("T-BJ-HD", "海淀区政府", K.HOST, cls.beijing)
        cls.hugh = make_user("hugh", cls.haidian, "host_unit", full_name="休")
        cls.team_unit = make_unit("T-TEAM5", "第五批赴京挂职干部工作队", K.OTHER, cls.city)
        cls.tina = make_user("tina", cls.team_unit, "team_leader", full_name="蒂娜")
        cls.team = WorkTeam.objects.create(
            batch=cls.batch, name="第五批工作队", unit=cls.team_unit, leader=cls.tina
        )
        cls.lily = make_user("lily", cls.hunnan_kjj, "cadre", full_name="莉莉")
        Cadre.objects.filter(pk=cls.wang.pk).update(user=cls.dave)
        Cadre.objects.filter(pk=cls.li.pk).update(user=cls.lily)
        cls.wang.refresh_from_db()
        cls.li.refresh_from_db()
        cls.post_haidian = Post.objects.create(
            batch=cls.batch, title="中关村管委会处长助理", host_unit=cls.haidian
        )
        cls.p_wang = programme_services.placement_create(cadre=cls.wang, post=cls.post_invest)
        cls.p_li = programme_services.placement_create(cadre=cls.li, post=cls.post_haidian)

        cls.batch6 = Batch.objects.create(
            programme=cls.programme,
            number=6,
            start=date(2028, 3, 1),
            end=date(2029, 3, 1),
            quota=2,
        )
        cls.team6_unit = make_unit("T-TEAM6", "第六批赴京挂职干部工作队", K.OTHER, cls.city)
        cls.tom = make_user("tom", cls.team6_unit, "team_leader", full_name="汤姆")
        cls.team6 = WorkTeam.objects.create(
            batch=cls.batch6, name="第六批工作队", unit=cls.team6_unit, leader=cls.tom
        )

    @staticmethod
    def write(placement, day, content="走访北京某科技公司，了解对沈投资意向", **values):
        values.setdefault("category", Category.ENTERPRISE_VISIT)
        return DailyRecord.objects.create(
            cadre=placement.cadre, placement=placement, date=day, content=content, **values
        )
