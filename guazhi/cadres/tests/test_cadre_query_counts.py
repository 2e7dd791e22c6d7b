"""The cadre list, the pool and the API list use a fixed number of queries, whatever the
number of cadres (no N+1)."""

import itertools
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from guazhi.cadres.models import ExpertiseTag, PoolMembership
from guazhi.testing import BaseTestCase

from .factories import make_cadre


class CadreQueryCountTests(BaseTestCase):
    serial = itertools.count()

    def grow(self, n):
        tag = ExpertiseTag.objects.get_or_create(name="招商引资")[0]
        for _ in range(n):
            i = next(self.serial)
            cadre = make_cadre(
                self.heping_fgj,
                f"干部{i}",
                birth=date(1980 + i % 15, 1 + i % 12, 1),
                resume=[(date(2005, 7, 1), None, "科员")],
            )
            cadre.tags.add(tag)
            PoolMembership.objects.create(
                cadre=cadre, level="city", joined_on=date(2024, 1, 1), recommending_unit=self.heping
            )

    def count(self, url, headers=None):
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url, headers=headers or {})
        self.assertEqual(response.status_code, 200)
        return len(ctx.captured_queries)

    def assert_stable(self, url, headers=None):
        self.grow(2)
        self.count(url, headers)
        small = self.count(url, headers)
        self.grow(30)
        self.assertEqual(self.count(url, headers), small, url)

    def test_pages(self):
        self.login(self.alice)
        for url in ("/cadres/", "/cadres/?cohort=1980&sort=-birth", "/cadres/pool/"):
            with self.subTest(url=url):
                self.assert_stable(url)

    def test_api_list(self):
        token = Token.objects.create(user=self.alice)
        self.assert_stable("/api/v1/cadres/", {"Authorization": f"Token {token.key}"})
