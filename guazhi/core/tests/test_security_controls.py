"""Security controls of SPEC §4.9 that no other test file proves (docs/security.md lists them
all with the tests that do)."""

from django.test import Client, SimpleTestCase

from guazhi.core.tests.test_settings import run_settings
from guazhi.testing import BaseTestCase


class AuditRetentionTests(SimpleTestCase):
    def test_an_audit_retention_under_six_months_refuses_to_start(self):
        result = run_settings({"AUDIT_RETENTION_DAYS": "182"})
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("AUDIT_RETENTION_DAYS", result.stderr)

    def test_an_audit_retention_of_six_months_starts(self):
        result = run_settings({"AUDIT_RETENTION_DAYS": "183"})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("started", result.stdout)


class ApiCsrfTests(BaseTestCase):
    def test_an_api_write_on_a_browser_session_needs_the_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.bob)
        refused = client.post("/api/v1/cadres/", {"name": "x"})
        self.assertEqual(refused.status_code, 403)
        self.assertIn("CSRF", refused.json()["detail"])
        # A token-authenticated client (no cookies) is not subject to CSRF.
        from rest_framework.authtoken.models import Token

        token = Token.objects.create(user=self.bob)
        plain = Client(enforce_csrf_checks=True)
        answered = plain.post(
            "/api/v1/cadres/", {"name": "x"}, headers={"Authorization": f"Token {token.key}"}
        )
        self.assertNotEqual(answered.status_code, 403)
