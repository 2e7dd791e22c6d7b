"""The ledger and the outcome page use a fixed number of queries whatever the number of
returned cadres, follow-ups and career events (no N+1)."""

from __future__ import annotations

import itertools
from datetime import date

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from guazhi.cadres.tests.factories import make_cadre
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Post

from .helpers import ReturnsTestCase


@time_machine.travel("2028-09-05")
class QueryCountTests(ReturnsTestCase):
    serial = itertools.count()

    def grow(self, n):
        for _ in range(n):
            i = next(self.serial)
            cadre = make_cadre(self.heping_fgj, f"返岗{i}", birth=date(1980 + i % 15, 1, 1))
            post = Post.objects.create(batch=self.batch, title=f"岗位{i}", host_unit=self.chaoyang)
            placement = programme_services.placement_create(cadre=cadre, post=post)
            self.finish(placement)
            if i % 3:
                self.record_return(placement)
                self.event(cadre, "promoted", date(2028, 6, 1))
                self.event(cadre, "honoured", date(2028, 7, 1))

    def count(self, url):
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return len(ctx.captured_queries)

    def test_the_ledger_and_the_outcome_page(self):
        urls = (
            "/returns/",
            "/returns/?returned=yes&follow_up=due",
            f"/returns/?batch={self.batch.pk}",
            "/returns/outcomes/",
        )
        for user in (self.alice, self.bob):
            self.login(user)
            self.grow(2)
            for url in urls:
                self.count(url)  # warm the session and the per-user permission caches
            small = {url: self.count(url) for url in urls}
            self.grow(12)
            for url in urls:
                with self.subTest(user=user.username, url=url):
                    self.assertEqual(self.count(url), small[url])
