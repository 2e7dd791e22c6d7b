"""The selection fixtures (a programme with follow-ups at 6 and 12 months, batch 5 from
2027-03-01 to 2028-03-01, two posts at chaoyang, 王晓明 of heping_fgj and 李浑南 of
hunnan_kjj) with both cadres placed; `finish()` ends a placement, `record_return()` records
the return as of its date."""

from __future__ import annotations

from datetime import date

from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Placement
from guazhi.selection.tests.helpers import SelectionTestCase

from .. import services

END = date(2028, 3, 1)
RETURNED = date(2028, 3, 10)


class ReturnsTestCase(SelectionTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.wang_p = programme_services.placement_create(cadre=cls.wang, post=cls.post_invest)
        cls.li_p = programme_services.placement_create(cadre=cls.li, post=cls.post_tech)

    def finish(self, placement: Placement, end: date = END) -> Placement:
        return programme_services.placement_finish(placement=placement, by=self.alice, end=end)

    def record_return(self, placement: Placement, on: date = RETURNED, by=None):
        return services.return_record(
            placement=placement,
            by=by or self.alice,
            returned_on=on,
            home_post="发改局副局长",
            tasks="牵头京沈合作项目对接",
            platforms="市招商专班",
            today=on,
        )

    def event(self, cadre, kind="promoted", on=date(2028, 6, 1), placement=None, by=None):
        return services.career_event_save(
            by=by or self.alice,
            cadre=cadre,
            kind=kind,
            on=on,
            description="提拔为副局长",
            document_number="沈委组〔2028〕12号",
            placement=placement,
            today=date(2030, 1, 1),
        )
