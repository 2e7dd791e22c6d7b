"""The app's PostgreSQL connections plan joins four tables at a time (core/dbtuning.py)."""

from __future__ import annotations

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext

from guazhi.core import dbtuning


class JoinCollapseLimitTests(TestCase):
    def show(self) -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW join_collapse_limit")
            return cursor.fetchone()[0]

    def test_the_apps_connection_plans_at_most_four_joins_at_once(self):
        if connection.vendor != "postgresql":
            self.skipTest("PostgreSQL only")
        self.assertEqual(self.show(), "4")

    def test_the_setting_chooses_the_limit_and_zero_leaves_the_servers(self):
        if connection.vendor != "postgresql":
            self.skipTest("PostgreSQL only")
        with connection.cursor() as cursor:
            cursor.execute("SET join_collapse_limit = 8")  # undone with the test's transaction
        with self.settings(PG_JOIN_COLLAPSE_LIMIT=0):
            dbtuning.tune(None, connection)
        self.assertEqual(self.show(), "8")
        with self.settings(PG_JOIN_COLLAPSE_LIMIT=3):
            dbtuning.tune(None, connection)
        self.assertEqual(self.show(), "3")

    def test_sqlite_is_left_alone(self):
        if connection.vendor != "sqlite":
            self.skipTest("SQLite only")
        with CaptureQueriesContext(connection) as ctx:
            dbtuning.tune(None, connection)
        self.assertEqual(ctx.captured_queries, [])
