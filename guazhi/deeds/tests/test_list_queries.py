"""The deed list's district choices, now asked of the units (guazhi explain found the
DISTINCT over every deed in scope among the slowest queries): the same districts as before,
each user's own."""

from datetime import date

from guazhi.core.models import OrgUnit

from ..views import _districts
from .helpers import DeedsTestCase


class DistrictChoicesTests(DeedsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        OrgUnit.objects.filter(pk=cls.heping_fgj.pk).update(region="和平区")
        OrgUnit.objects.filter(pk=cls.hunnan_kjj.pk).update(region="浑南区")
        day = date(2026, 3, 1)
        cls.deed(day=day)
        cls.deed("浑南区实事", unit=cls.hunnan_kjj, by=cls.eve, day=day)
        cls.deed("和平区第二件实事", day=day)

    def test_the_city_officer_is_offered_every_district_with_deeds_once(self):
        self.assertEqual(_districts(self.alice), ["和平区", "浑南区"])

    def test_a_district_officer_is_offered_only_his_district_and_not_another(self):
        self.assertEqual(_districts(self.eve), ["浑南区"])
        self.assertNotIn("和平区", _districts(self.eve))
