"""The records fixture (batch 5 from 2027-03-01, team led by tina; 王晓明 = dave's cadre record
at 和平区发改局 placed at 朝阳区, 李浑南 = lily's at 浑南区科技局 placed at 海淀区; batch 6 led by
tom) plus the programme's default project stages, an enterprise, and `lead()` to register a
project through the service. Time is frozen by the tests that need it; the placements run
2027-03-01 to 2028-03-01."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from stdnum.cn import uscc

from guazhi.records.tests.helpers import RecordsTestCase

from .. import services
from ..models import Enterprise, Project, Sector, Stage, TaskForceMember


def credit_code(n: int) -> str:
    """A valid 统一社会信用代码 (GB 32100) numbered n."""
    body = f"91110105{n:09d}"
    return body + uscc.calc_check_digit(body)


class ProjectsTestCase(RecordsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.stages = services.stages_for(cls.programme)
        cls.s_lead, cls.s_force, cls.s_talk, cls.s_signed, cls.s_landed, cls.s_prod = cls.stages
        cls.enterprise = Enterprise.objects.create(
            name="北京某农业科技有限公司",
            credit_code=credit_code(1),
            sector=Sector.AGRICULTURE,
            city="北京市",
            created_by=cls.alice,
        )

    @classmethod
    def lead(
        cls, title="智慧农业示范园", *, by=None, found_by=None, day=date(2027, 4, 1), **values
    ):
        """A lead found by 王晓明 (dave) for 和平区, owned by dave, registered by alice."""
        values.setdefault("sector", Sector.AGRICULTURE)
        values.setdefault("district", "和平区")
        values.setdefault("unit", cls.heping)
        values.setdefault("owner", cls.dave)
        values.setdefault("channel", Project.Channel.VISIT)
        values.setdefault("enterprise", cls.enterprise)
        values.setdefault("planned_amount", Decimal("30000"))
        return services.project_create(
            by=by or cls.alice,
            programme=cls.programme,
            title=title,
            found_by=cls.wang if found_by is None else found_by,
            found_on=day,
            **values,
        )

    @classmethod
    def with_task_force(cls, project, cadre=None):
        return services.member_add(
            project=project, by=cls.alice, role=TaskForceMember.Role.LEAD, cadre=cadre or cls.wang
        )

    def stage(self, name) -> Stage:
        return next(s for s in self.stages if s.name == name)
