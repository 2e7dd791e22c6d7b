"""A programme with the default four levels, a batch open for nominations with two posts at
the personas' host unit, and cadres in two districts."""

from __future__ import annotations

from datetime import date

from guazhi.cadres.models import ExpertiseTag
from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes.models import Batch, Post, PostRequirement, Programme
from guazhi.testing import BaseTestCase

from .. import services


class SelectionTestCase(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.programme = Programme.objects.create(name="京沈对口合作（测试）", owner_unit=cls.city)
        cls.levels = list(cls.programme.levels.order_by("order"))
        cls.batch = Batch.objects.create(
            programme=cls.programme,
            number=5,
            start=date(2027, 3, 1),
            end=date(2028, 3, 1),
            quota=2,
            status=Batch.Status.NOMINATING,
        )
        cls.zhaoshang = ExpertiseTag.objects.create(name="招商引资")
        cls.keji = ExpertiseTag.objects.create(name="科技创新")
        cls.post_invest = Post.objects.create(
            batch=cls.batch, title="投资促进局副局长", host_unit=cls.chaoyang
        )
        PostRequirement.objects.create(
            post=cls.post_invest, tag=cls.zhaoshang, weight=3, mandatory=True
        )
        cls.post_tech = Post.objects.create(
            batch=cls.batch, title="科技园区主任助理", host_unit=cls.chaoyang
        )
        PostRequirement.objects.create(post=cls.post_tech, tag=cls.keji, weight=2)
        cls.wang = make_cadre(cls.heping_fgj, "王晓明", birth=date(1986, 5, 1))
        cls.wang.tags.add(cls.zhaoshang)
        cls.li = make_cadre(cls.hunnan_kjj, "李浑南", birth=date(1991, 2, 1), male=False)
        cls.li.tags.add(cls.keji)

    def nominate(self, cadre=None, by=None):
        return services.nominate(
            batch=self.batch,
            cadre=cadre or self.wang,
            reason="熟悉招商引资工作",
            by=by or self.carol,
        )

    def pass_level(self, nomination, by, **extra):
        return services.decide(nomination=nomination, by=by, approve=True, opinion="同意", **extra)
