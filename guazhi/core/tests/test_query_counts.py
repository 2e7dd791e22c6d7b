"""List pages and API lists use a fixed number of queries, whatever the number of rows."""

import itertools

from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from guazhi.testing import BaseTestCase, make_unit, make_user


class QueryCountTests(BaseTestCase):
    batches = itertools.count()

    def count(self, url, headers=None):
        with CaptureQueriesContext(connection) as ctx:
            response = self.client.get(url, headers=headers or {})
        self.assertEqual(response.status_code, 200)
        return len(ctx.captured_queries)

    def grow(self, n):
        batch = next(self.batches)
        for i in range(n):
            unit = make_unit(f"G{batch}-{i}", f"新增单位{batch}-{i}", parent=self.heping)
            make_user(f"g{batch}u{i}", unit, "sending_unit", "cadre")

    def assert_stable(self, url, headers=None):
        self.grow(2)
        self.count(url, headers)  # warm the per-process settings cache
        small = self.count(url, headers)
        self.grow(15)
        with CaptureQueriesContext(connection) as ctx:
            self.client.get(url, headers=headers or {})
        self.assertEqual(
            len(ctx.captured_queries), small, "\n".join(q["sql"] for q in ctx.captured_queries)
        )

    def test_pages(self):
        self.login(self.alice)
        for url in ("/users/", "/units/", f"/units/{self.heping.pk}/"):
            with self.subTest(url=url):
                self.assert_stable(url)

    def test_api_lists(self):
        token = Token.objects.create(user=self.alice)
        headers = {"Authorization": f"Token {token.key}"}
        for url in ("/api/v1/users/", "/api/v1/org-units/"):
            with self.subTest(url=url):
                self.assert_stable(url, headers)
