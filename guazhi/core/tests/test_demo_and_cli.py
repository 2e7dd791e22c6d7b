"""The demo dataset and the `guazhi` command: every login in the README works."""

import io
import re
from pathlib import Path

from django.core.management import call_command
from django.test import TestCase

from guazhi.cli import main
from guazhi.core import demo
from guazhi.core.models import OrgUnit, Role, User

README = Path(__file__).resolve().parents[3] / "README.md"


class DemoDataTests(TestCase):
    def test_there_is_one_login_per_role(self):
        demo.load()
        for role in Role.objects.filter(is_builtin=True):
            self.assertTrue(User.objects.filter(roles=role).exists(), role.code)

    def test_loading_twice_changes_nothing(self):
        demo.load()
        counts = (OrgUnit.objects.count(), User.objects.count())
        demo.load()
        self.assertEqual((OrgUnit.objects.count(), User.objects.count()), counts)

    def test_the_org_tree_has_districts_sending_and_host_units(self):
        demo.load()
        kinds = set(OrgUnit.objects.values_list("kind", flat=True))
        self.assertTrue({"org_dept", "sending", "host"} <= kinds)
        self.assertTrue(OrgUnit.objects.filter(name="和平区委组织部", parent__code="SY").exists())

    def test_every_login_in_the_readme_signs_in(self):
        demo.load()
        rows = re.findall(r"^\| [^|]+ \| `([a-z]+)` \| `([^`]+)` \|", README.read_text(), re.M)
        self.assertEqual(len(rows), len(demo.LOGINS))
        for username, password in rows:
            self.client.logout()
            response = self.client.post("/login/", {"username": username, "password": password})
            self.assertEqual(response.status_code, 302, username)
            user = User.objects.get(username=username)
            if user.is_platform_admin:
                self.assertEqual(response["Location"], "/login/otp/")
                out = io.StringIO()
                call_command("demo_otp", username, stdout=out)
                response = self.client.post("/login/otp/", {"token": out.getvalue().strip()})
                self.assertEqual(response["Location"], "/", username)
            self.assertEqual(self.client.get("/").status_code, 200, username)


class CommandTests(TestCase):
    # `guazhi` hands its arguments to Django's command line; run in-process that would close
    # the test's database connection, so the hand-over is checked with a stand-in and the
    # commands themselves through call_command.
    def test_guazhi_passes_commands_to_django_with_dashes_as_underscores(self):
        from unittest import mock

        with mock.patch("django.core.management.execute_from_command_line") as run:
            main(["demo-otp", "sysadmin"])
        run.assert_called_once_with(["guazhi", "demo_otp", "sysadmin"])

    def test_audit_verify_reports_an_intact_chain(self):
        out = io.StringIO()
        call_command("audit", "verify", stdout=out)
        self.assertIn("审计链完整", out.getvalue())

    def test_demo_otp_refuses_accounts_that_are_not_demo_administrators(self):
        from django.core.management import CommandError

        demo.load()
        with self.assertRaises(CommandError):
            call_command("demo_otp", "zzb")

    def test_audit_export_writes_csv_and_is_itself_audited(self):
        demo.load()
        out = io.StringIO()
        call_command("audit", "export", stdout=out)
        self.assertIn("序号,时间,操作账号", out.getvalue())
        from guazhi.core.models import AuditEntry

        self.assertTrue(AuditEntry.objects.filter(action="export", actor_username="cli").exists())
