"""The cadre list filters on 最近考核结果: the result of the cadre's latest year only (an older
优秀 does not count), within the user's scope, in a fixed number of queries."""

from __future__ import annotations

import itertools
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from guazhi.cadres.models import AnnualAssessment
from guazhi.testing import BaseTestCase

from .factories import make_cadre


def results(cadre, **by_year):
    for year, result in by_year.items():
        AnnualAssessment.objects.create(cadre=cadre, year=int(year[1:]), result=result)


class LatestResultFilterTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.wang = make_cadre(cls.heping_fgj, "王晓明", birth=date(1986, 5, 1))
        cls.zhao = make_cadre(cls.heping_fgj, "赵从前", birth=date(1984, 5, 1))
        cls.qian = make_cadre(cls.heping_fgj, "钱未评", birth=date(1983, 5, 1))
        cls.li = make_cadre(cls.hunnan_kjj, "李浑南", birth=date(1991, 2, 1), male=False)
        results(cls.wang, y2025="称职", y2026="优秀")
        results(cls.zhao, y2025="优秀", y2026="称职")  # 优秀 once, but not in the latest year
        results(cls.li, y2026="优秀")

    def names(self, query):
        response = self.client.get(f"/cadres/?{query}")
        self.assertEqual(response.status_code, 200)
        page = response.content.decode()
        return {n for n in ("王晓明", "赵从前", "钱未评", "李浑南") if n in page}

    def test_excellent_in_the_latest_year_lists_only_those_cadres(self):
        self.login(self.alice)
        self.assertEqual(self.names("latest_result=优秀"), {"王晓明", "李浑南"})

    def test_an_older_excellent_does_not_count(self):
        self.login(self.alice)
        self.assertEqual(self.names("latest_result=称职"), {"赵从前"})

    def test_a_cadre_without_results_matches_no_grade_but_is_listed_without_the_filter(self):
        self.login(self.alice)
        for grade in ("优秀", "称职", "基本称职", "不称职"):
            with self.subTest(grade=grade):
                self.assertNotIn("钱未评", self.names(f"latest_result={grade}"))
        self.assertIn("钱未评", self.names(""))

    def test_the_filter_stays_within_the_users_scope(self):
        self.login(self.bob)  # heping only
        self.assertEqual(self.names("latest_result=优秀"), {"王晓明"})
        self.login(self.eve)  # hunnan only
        self.assertEqual(self.names("latest_result=优秀"), {"李浑南"})

    def test_a_grade_outside_the_choices_is_marked_invalid_and_narrows_nothing(self):
        self.login(self.alice)
        response = self.client.get("/cadres/?latest_result=不定等次")
        self.assertContains(response, 'aria-describedby="id_latest_result_error"')
        self.assertEqual(self.names("latest_result=不定等次"), self.names(""))

    def test_the_filter_combines_with_the_others(self):
        self.login(self.alice)
        self.assertEqual(self.names("latest_result=优秀&gender=女"), {"李浑南"})


class LatestResultQueryCountTests(BaseTestCase):
    serial = itertools.count()

    def grow(self, n):
        for _ in range(n):
            i = next(self.serial)
            cadre = make_cadre(self.heping_fgj, f"干部{i}", birth=date(1980 + i % 15, 1, 1))
            results(cadre, y2025="称职", y2026=["优秀", "称职"][i % 2])

    def count(self, url):
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        return len(ctx.captured_queries)

    def test_the_filtered_list_uses_a_fixed_number_of_queries(self):
        self.login(self.alice)
        for url in ("/cadres/?latest_result=优秀", "/cadres/?latest_result=称职&sort=-birth"):
            with self.subTest(url=url):
                self.grow(2)
                self.count(url)
                small = self.count(url)
                self.grow(30)
                self.assertEqual(self.count(url), small)
