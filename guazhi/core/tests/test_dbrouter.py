"""The read-replica router (core/dbrouter.py): inside the dashboard's and the reports' views
the business records are read from the replica; writes, the platform's tables and every
other view stay on the primary. The behaviour with a real second database is shown by
test_deploy.py."""

from unittest import mock

from django.test import SimpleTestCase
from django.urls import resolve

from guazhi.cadres.models import Cadre
from guazhi.core import dbrouter
from guazhi.core.models import AuditEntry, User
from guazhi.deeds.models import Rating
from guazhi.projects.models import Project

router = dbrouter.ReplicaRouter()


def with_replica(configured=True):
    return mock.patch.object(dbrouter, "replica_configured", return_value=configured)


class ReplicaRouterTests(SimpleTestCase):
    def test_business_records_are_read_from_the_replica_inside_a_replica_view(self):
        with with_replica(), dbrouter.reading_replica():
            self.assertEqual(router.db_for_read(Cadre), "replica")
            self.assertEqual(router.db_for_read(Project), "replica")
            self.assertEqual(router.db_for_read(Rating), "replica")

    def test_outside_a_replica_view_everything_is_read_from_the_primary(self):
        with with_replica():
            self.assertIsNone(router.db_for_read(Cadre))
            self.assertIsNone(router.db_for_read(Project))

    def test_users_roles_and_the_audit_log_are_always_read_from_the_primary(self):
        with with_replica(), dbrouter.reading_replica():
            self.assertIsNone(router.db_for_read(User))
            self.assertIsNone(router.db_for_read(AuditEntry))

    def test_without_a_replica_configured_the_router_leaves_reads_to_the_default(self):
        with with_replica(configured=False), dbrouter.reading_replica():
            self.assertIsNone(router.db_for_read(Cadre))

    def test_writes_and_migrations_only_ever_go_to_the_primary(self):
        with with_replica(), dbrouter.reading_replica():
            self.assertEqual(router.db_for_write(Cadre), "default")
            self.assertEqual(router.db_for_write(AuditEntry), "default")
        self.assertTrue(router.allow_migrate("default", "cadres"))
        self.assertFalse(router.allow_migrate("replica", "cadres"))

    def test_the_replica_context_ends_with_the_view_even_when_it_fails(self):
        @dbrouter.replica_reads
        def failing_view(request):
            with with_replica():
                self.assertEqual(router.db_for_read(Cadre), "replica")
            raise ValueError("boom")

        with self.assertRaises(ValueError):
            failing_view(None)
        with with_replica():
            self.assertIsNone(router.db_for_read(Cadre))

    def test_a_streamed_body_reads_the_replica_while_each_chunk_is_made_and_not_between(self):
        seen = []

        def chunks():
            for n in range(3):
                with with_replica():
                    seen.append(router.db_for_read(Cadre))
                yield str(n)

        body = dbrouter.replica_iter(chunks())
        for _chunk in body:
            with with_replica():
                seen.append(router.db_for_read(Cadre))
        self.assertEqual(seen, ["replica", None, "replica", None, "replica", None])

    def test_dashboard_and_report_views_read_the_replica_and_editing_views_do_not(self):
        replica = [
            "/dashboard/",
            "/reports/roster/",
            "/reports/roster/export.csv",
            "/reports/print/cadres/1.pdf",
        ]
        primary = ["/cadres/", "/cadres/1/", "/projects/", "/reports/", "/"]
        for path in replica:
            self.assertTrue(getattr(resolve(path).func, "replica_reads", False), path)
        for path in primary:
            self.assertFalse(getattr(resolve(path).func, "replica_reads", False), path)
