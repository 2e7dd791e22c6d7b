"""The record list and the weekly pages use a fixed number of queries whatever the number of
records and cadres (no N+1)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Post

from .helpers import Category, Evidence, RecordsTestCase


@time_machine.travel("2027-05-12 10:00 +0800", tick=False)
class QueryCountTests(RecordsTestCase):
    def setUp(self):
        self.serial = itertools.count()

    def grow(self, n):
        """n more records: half by wang, half by new cadres placed in the team's batch."""
        for _ in range(n):
            i = next(self.serial)
            if i % 2:
                placement = self.p_wang
            else:
                cadre = make_cadre(self.heping_fgj, f"队员{i}", birth=date(1985, 1, 1))
                post = Post.objects.create(
                    batch=self.batch, title=f"岗位{i}", host_unit=self.chaoyang
                )
                placement = programme_services.placement_create(cadre=cadre, post=post)
            self.write(
                placement,
                date(2027, 5, 12) - timedelta(days=i % 5),  # this week and the last
                f"纪实{i}",
                category=Category.values[i % len(Category.values)],
                evidence=[Evidence.NONE, Evidence.POSITIVE][i % 2],
            )

    def count(self, url):
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return len(ctx.captured_queries)

    def check_stable(self, user, urls):
        self.login(user)
        self.grow(3)
        for url in urls:
            self.count(url)  # warm the session and the per-user permission caches
        small = {url: self.count(url) for url in urls}
        self.grow(27)
        for url in urls:
            with self.subTest(user=user.username, url=url):
                self.assertEqual(self.count(url), small[url])

    def test_the_leaders_pages(self):
        self.check_stable(
            self.tina,
            (
                "/records/",
                "/records/?uncommented=true&week=2027-W19",
                "/records/weekly/",
                "/records/weekly/?week=2027-W18&missing=true",
                f"/records/weekly/?cadre={self.wang.pk}",
            ),
        )

    def test_the_cadres_pages(self):
        self.check_stable(self.dave, ("/records/", "/records/weekly/"))

    def test_the_district_officers_pages(self):
        self.check_stable(self.bob, ("/records/", "/records/weekly/"))
