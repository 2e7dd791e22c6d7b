"""Selection and programme pages use a fixed number of queries whatever the number of
nominations, placements and posts (no N+1)."""

from __future__ import annotations

import itertools
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Post, PostRequirement

from .helpers import SelectionTestCase


class QueryCountTests(SelectionTestCase):
    serial = itertools.count()

    def grow(self, n):
        for _ in range(n):
            i = next(self.serial)
            cadre = make_cadre(self.heping_fgj, f"候选{i}", birth=date(1980 + i % 15, 1, 1))
            cadre.tags.add(self.zhaoshang)
            nomination = self.pass_level(self.nominate(cadre), self.bob)
            post = Post.objects.create(batch=self.batch, title=f"岗位{i}", host_unit=self.chaoyang)
            PostRequirement.objects.create(post=post, tag=self.keji, weight=2)
            if i % 2:
                programme_services.placement_create(cadre=cadre, post=post)
            del nomination

    def count(self, url):
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return len(ctx.captured_queries)

    def test_list_pages_and_the_batch_page(self):
        self.login(self.alice)
        urls = (
            "/selection/",
            f"/selection/?batch={self.batch.pk}&waiting=1",
            "/programmes/placements/",
            f"/programmes/batches/{self.batch.pk}/",
            "/programmes/",
        )
        self.grow(2)
        for url in urls:
            self.count(url)  # warm the session and the per-user permission caches
        small = {url: self.count(url) for url in urls}
        self.grow(12)
        for url in urls:
            with self.subTest(url=url):
                self.assertEqual(self.count(url), small[url])

    def test_the_matching_page(self):
        self.login(self.alice)
        url = f"/selection/batches/{self.batch.pk}/match/"
        self.grow(2)
        self.count(url)
        small = self.count(url)
        self.grow(12)
        self.assertEqual(self.count(url), small)
