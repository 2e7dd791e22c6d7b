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


class Editor:
    """What the step uses of a schema editor (SQLite's cannot open inside a test's
    transaction)."""

    connection = connection

    def execute(self, sql):
        with connection.cursor() as cursor:
            cursor.execute(sql)


class AnalyzeAfterNewIndexTests(TestCase):
    """The migration step that gives SQLite statistics for a new index."""

    def test_sqlite_gets_statistics_for_the_tables_indexes(self):
        if connection.vendor != "sqlite":
            self.skipTest("SQLite only")
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE scratch_t (a integer)")
            cursor.execute("CREATE INDEX scratch_i ON scratch_t (a)")
            cursor.executemany("INSERT INTO scratch_t VALUES (%s)", [(n % 7,) for n in range(50)])
        dbtuning.analyze_on_sqlite("scratch_t").code(None, Editor())
        with connection.cursor() as cursor:
            cursor.execute("SELECT tbl, idx FROM sqlite_stat1 WHERE tbl = 'scratch_t'")
            self.assertEqual(cursor.fetchall(), [("scratch_t", "scratch_i")])

    def test_postgresql_is_left_to_its_own_statistics(self):
        if connection.vendor != "postgresql":
            self.skipTest("PostgreSQL only")
        with CaptureQueriesContext(connection) as ctx:
            dbtuning.analyze_on_sqlite("deeds_deed").code(None, Editor())
        self.assertEqual([q["sql"] for q in ctx.captured_queries if "ANALYZE" in q["sql"]], [])
