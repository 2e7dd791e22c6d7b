"""Audit log: an entry for each kind of event, append-only, chained, verifiable."""

import io
from unittest import skipUnless

from django.core.management import call_command
from django.db import OperationalError, connection, transaction
from django.test import TransactionTestCase

from guazhi.core import audit
from guazhi.core.models import AppendOnlyError, AuditEntry, AuditHead, AuditPending, OrgUnit, User
from guazhi.testing import BaseTestCase


def last(action, **filters):
    return AuditEntry.objects.filter(action=action, **filters).order_by("-seq").first()


class AuditEventTests(BaseTestCase):
    def test_create_is_recorded_with_actor_and_client_address(self):
        self.login(self.sam)
        self.client.post(
            "/units/new/",
            {
                "name": "新单位",
                "code": "NEW-1",
                "kind": "sending",
                "parent": self.heping.pk,
                "sort_order": 0,
                "is_active": "on",
            },
            REMOTE_ADDR="10.1.2.3",
        )
        entry = last("create", object_type="core.orgunit")
        self.assertEqual(entry.actor_username, "sam")
        self.assertEqual(entry.ip, "10.1.2.3")
        self.assertEqual(entry.changes["name"], [None, "新单位"])

    def test_update_records_before_and_after(self):
        self.login(self.sam)
        self.client.post(
            f"/users/{self.bob.pk}/edit/",
            {
                "full_name": "鲍勃二",
                "unit": self.heping.pk,
                "email": "",
                "mobile": "",
                "is_active": "on",
            },
        )
        entry = last("update", object_type="core.user", object_id=str(self.bob.pk))
        self.assertEqual(entry.changes["full_name"], ["鲍勃", "鲍勃二"])

    def test_role_assignment_is_recorded(self):
        self.login(self.sid)
        from guazhi.core.models import Role

        self.client.post(
            f"/users/{self.bob.pk}/roles/", {"roles": [Role.objects.get(code="leader").pk]}
        )
        entry = last("update", object_type="core.user", object_id=str(self.bob.pk))
        self.assertIn("roles", entry.changes)

    def test_delete_is_recorded_with_the_values_before(self):
        unit = OrgUnit.objects.create(code="DEL", name="待删除", kind="other")
        unit.delete()
        entry = last("delete", object_type="core.orgunit")
        self.assertEqual(entry.changes["name"], ["待删除", None])

    def test_password_values_are_never_written(self):
        self.bob.set_password("Another-Pass-1")
        self.bob.save()
        entry = last("update", object_type="core.user", object_id=str(self.bob.pk))
        self.assertEqual(entry.changes["password"], ["******", "******"])

    def test_login_success_failure_and_logout_are_recorded(self):
        self.client.post("/login/", {"username": "bob", "password": "nope"})
        self.assertEqual(last("login_failed").object_repr, "bob")
        self.login(self.bob)
        self.assertEqual(last("login").actor_username, "bob")
        self.client.post("/logout/")
        self.assertEqual(last("logout").actor_username, "bob")

    def test_failed_login_for_an_unknown_name_is_recorded(self):
        self.client.post("/login/", {"username": "nobody", "password": "x"})
        self.assertEqual(last("login_failed").object_repr, "nobody")

    def test_lockout_is_recorded(self):
        for _ in range(5):
            self.client.post("/login/", {"username": "bob", "password": "nope"})
        self.assertEqual(last("lockout").object_id, str(self.bob.pk))

    def test_export_is_recorded(self):
        self.login(self.aud)
        response = self.client.get("/audit/export/", {"action": "login"})
        body = b"".join(response.streaming_content).decode()
        self.assertIn("操作账号", body)
        self.assertIn("导出审计日志", last("export").message)

    def test_reveal_of_a_mobile_number_is_recorded_and_needs_permission(self):
        User.objects.filter(pk=self.dave.pk).update(mobile="13912345678")
        self.login(self.bob)
        page = self.client.get(f"/users/{self.dave.pk}/").content.decode()
        self.assertIn("139****5678", page)
        self.assertNotIn("13912345678", page)
        response = self.client.post(
            f"/users/{self.dave.pk}/reveal-mobile/", headers={"HX-Request": "true"}
        )
        self.assertEqual(response.content.decode(), "13912345678")
        self.assertEqual(last("reveal").actor_username, "bob")

    def test_reveal_is_refused_without_the_permission(self):
        User.objects.filter(pk=self.dave.pk).update(mobile="13912345678")
        self.login(self.carol)
        self.assertEqual(self.client.post(f"/users/{self.dave.pk}/reveal-mobile/").status_code, 403)
        self.assertIsNone(last("reveal"))

    def test_reveal_is_refused_outside_the_scope(self):
        User.objects.filter(pk=self.dave.pk).update(mobile="13912345678")
        self.login(self.eve)
        self.assertEqual(self.client.post(f"/users/{self.dave.pk}/reveal-mobile/").status_code, 404)


class AuditViewerTests(BaseTestCase):
    def test_auditor_filters_by_action_and_user(self):
        self.client.post("/login/", {"username": "bob", "password": "nope"})
        self.login(self.aud)
        page = self.client.get("/audit/", {"action": "login_failed"}).content.decode()
        self.assertIn("bob", page)
        self.assertIn("登录失败", page)

    def test_export_neutralises_spreadsheet_formulas(self):
        OrgUnit.objects.create(code="F1", name='=HYPERLINK("x")', kind="other")
        self.login(self.aud)
        response = self.client.get("/audit/export/")
        body = b"".join(response.streaming_content).decode()
        self.assertIn("'=HYPERLINK", body)

    def test_auditor_without_export_permission_cannot_export(self):
        self.login(self.alice)
        self.assertEqual(self.client.get("/audit/export/").status_code, 403)

    def test_viewer_is_paginated(self):
        for i in range(60):
            audit.record("security", object_repr=f"事件{i}")
        self.login(self.aud)
        page = self.client.get("/audit/").content.decode()
        self.assertIn("下一页", page)


class AppendOnlyTests(BaseTestCase):
    def test_the_application_cannot_change_an_entry(self):
        entry = audit.record("security", message="x")
        entry.message = "y"
        with self.assertRaises(AppendOnlyError):
            entry.save()
        with self.assertRaises(AppendOnlyError):
            entry.delete()
        with self.assertRaises(AppendOnlyError):
            AuditEntry.objects.filter(pk=entry.pk).update(message="y")
        with self.assertRaises(AppendOnlyError):
            AuditEntry.objects.all().delete()

    def test_the_database_refuses_update_and_delete(self):
        entry = audit.record("security", message="x")
        for sql in (
            f"UPDATE core_auditentry SET message='y' WHERE id={entry.pk}",
            f"DELETE FROM core_auditentry WHERE id={entry.pk}",
        ):
            with self.assertRaises(Exception), transaction.atomic(), connection.cursor() as c:
                c.execute(sql)
        self.assertEqual(AuditEntry.objects.get(pk=entry.pk).message, "x")


class VerifyTests(BaseTestCase):
    def setUp(self):
        for i in range(5):
            audit.record("security", message=f"事件 {i}")

    def run_verify(self):
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("audit", "verify", stdout=out, stderr=err)
        except SystemExit as exc:
            return exc.code, out.getvalue() + err.getvalue()
        return 0, out.getvalue() + err.getvalue()

    def tamper(self, sql):
        with connection.cursor() as c:
            if connection.vendor == "postgresql":
                c.execute("ALTER TABLE core_auditentry DISABLE TRIGGER USER")
                c.execute(sql)
                c.execute("ALTER TABLE core_auditentry ENABLE TRIGGER USER")
            else:
                c.execute("DROP TRIGGER core_auditentry_no_update")
                c.execute("DROP TRIGGER core_auditentry_no_delete")
                c.execute(sql)

    def test_an_intact_chain_verifies(self):
        code, output = self.run_verify()
        self.assertEqual(code, 0)
        self.assertIn("审计链完整", output)

    def test_an_altered_row_is_reported_by_its_number(self):
        target = AuditEntry.objects.order_by("seq")[2]
        self.tamper(f"UPDATE core_auditentry SET message='改过' WHERE id={target.pk}")
        code, output = self.run_verify()
        self.assertEqual(code, 1)
        self.assertIn(f"第 {target.seq} 条审计记录的内容被篡改", output)

    def test_a_removed_row_is_reported(self):
        target = AuditEntry.objects.order_by("seq")[2]
        self.tamper(f"DELETE FROM core_auditentry WHERE id={target.pk}")
        code, output = self.run_verify()
        self.assertEqual(code, 1)
        self.assertIn(f"第 {target.seq} 条审计记录缺失", output)

    def test_removing_the_newest_rows_is_reported(self):
        newest = AuditEntry.objects.order_by("-seq").first()
        self.tamper(f"DELETE FROM core_auditentry WHERE id={newest.pk}")
        code, output = self.run_verify()
        self.assertEqual(code, 1)
        self.assertIn("最后 1 条审计记录缺失", output)

    def test_a_rehashed_row_breaks_the_next_link(self):
        rows = list(AuditEntry.objects.order_by("seq"))
        target = rows[1]
        self.tamper(
            f"UPDATE core_auditentry SET message='改过', hash='{'f' * 64}' WHERE id={target.pk}"
        )
        code, output = self.run_verify()
        self.assertEqual(code, 1)
        self.assertIn(f"第 {target.seq} 条", output)

    def test_the_auditor_runs_the_check_from_the_viewer(self):
        self.login(self.aud)
        response = self.client.post("/audit/verify/", follow=True)
        self.assertContains(response, "审计链完整")

    def test_an_entry_is_written_for_each_model_change_in_order(self):
        before = AuditEntry.objects.count()
        OrgUnit.objects.create(code="Q1", name="甲", kind="other")
        User.objects.filter(pk=self.bob.pk)  # reading writes nothing
        self.assertEqual(AuditEntry.objects.count(), before + 1)
        self.assertEqual(
            list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True)),
            list(range(1, AuditEntry.objects.count() + 1)),
        )


class PendingEntryTests(BaseTestCase):
    """audit.deferred: an entry that found the head taken waits as pending and is chained,
    before anything newer, by the next append, the audit page or the verification."""

    def pend(self, message):
        audit._defer(connection, audit._build_entry("security", message=message))

    def test_pending_entries_are_chained_in_order_before_the_next_entry(self):
        before = audit.record("security", message="之前")
        self.pend("待入链一")
        self.pend("待入链二")
        self.assertEqual(AuditEntry.objects.filter(seq__gt=before.seq).count(), 0)
        entry = audit.record("security", message="之后")
        messages = list(
            AuditEntry.objects.filter(seq__gte=before.seq)
            .order_by("seq")
            .values_list("message", flat=True)
        )
        self.assertEqual(messages, ["之前", "待入链一", "待入链二", "之后"])
        self.assertEqual(entry.seq, before.seq + 3)
        self.assertFalse(AuditPending.objects.exists())
        self.assertTrue(audit.verify().ok)

    def test_verification_and_the_audit_page_chain_pending_entries_first(self):
        chained = AuditEntry.objects.count()
        self.pend("核验前")
        result = audit.verify()
        self.assertTrue(result.ok)
        self.assertEqual(result.checked, chained + 1)
        self.pend("查看前")
        self.login(self.aud)
        response = self.client.get("/audit/")
        self.assertContains(response, "查看前")
        self.assertFalse(AuditPending.objects.exists())


@skipUnless(connection.vendor == "postgresql", "row locks that other sessions wait for")
class DeferredUnderAHeldHeadTests(TransactionTestCase):
    """Committed rows, so that a second session can hold the head."""

    def setUp(self):
        self.head = AuditHead.objects.filter(pk=1).values_list("seq", "hash").first()
        self.start = audit.record("security", message="链头").seq
        self.other = connection.copy()
        self.other.connect()
        self.other.set_autocommit(False)
        with self.other.cursor() as cursor:  # another transaction appending, not yet committed
            cursor.execute("SELECT seq FROM core_audithead WHERE id = 1 FOR UPDATE")

    def tearDown(self):
        self.other.rollback()
        self.other.close()

    def _fixture_teardown(self):
        # Not Django's flush, which would empty every table (and which the append-only
        # trigger refuses): the audit rows these tests committed are removed, the head put
        # back.
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE core_auditentry DISABLE TRIGGER USER")
            cursor.execute("DELETE FROM core_auditentry WHERE seq >= %s", [self.start])
            cursor.execute("ALTER TABLE core_auditentry ENABLE TRIGGER USER")
            cursor.execute("DELETE FROM core_auditpending")
        if self.head is None:
            AuditHead.objects.filter(pk=1).delete()
        else:
            AuditHead.objects.filter(pk=1).update(seq=self.head[0], hash=self.head[1])

    def messages(self):
        entries = AuditEntry.objects.filter(seq__gte=self.start).order_by("seq")
        return list(entries.values_list("message", flat=True))

    def record(self, message, *, lock_timeout):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
            audit.record("security", message=message)

    def test_inside_deferred_an_entry_does_not_wait_and_is_chained_next(self):
        with audit.deferred():
            self.record("未等待", lock_timeout="2s")  # a wait would fail the test, not hang it
        self.assertEqual(AuditPending.objects.count(), 1)
        self.other.rollback()
        audit.record("security", message="下一条")
        self.assertEqual(self.messages(), ["链头", "未等待", "下一条"])
        self.assertTrue(audit.verify().ok)

    def test_outside_deferred_an_entry_waits_for_the_head(self):
        with self.assertRaises(OperationalError):
            self.record("等待", lock_timeout="200ms")
        self.assertFalse(AuditPending.objects.exists())
        self.assertEqual(self.messages(), ["链头"])
