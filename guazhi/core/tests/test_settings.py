"""Settings: every variable documented, production refuses to start unconfigured,
deployment checks clean, production hashers are Argon2, migrations complete."""

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.core.management import call_command
from django.test import SimpleTestCase

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = ROOT / "guazhi" / "settings.py"
DOC = ROOT / "docs" / "configuration.md"


FIELD_KEYS = {
    "FIELD_ENCRYPTION_KEYS": "x0HsUeXT4jWz5pSTjJk0qWk7nQeN9q8o0bUOQm3m5gU=",
    "FIELD_HASH_KEY": "another-long-random-value-for-the-blind-index",
}


def run_settings(env: dict, *args: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "ALLOWED_HOSTS", "GUAZHI_MODE", "DEBUG"}
    }
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "guazhi.settings"
    code = args or ("import django; django.setup(); print('started')",)
    return subprocess.run(
        [sys.executable, "-c", *code] if not args else [sys.executable, *args],
        env=clean,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


class ConfigurationDocTests(SimpleTestCase):
    def test_every_variable_read_by_settings_is_documented(self):
        source = SETTINGS.read_text()
        names = set(re.findall(r"env(?:_bool|_int|_list)?\(\s*\"([A-Z][A-Z0-9_]+)\"", source))
        self.assertGreater(len(names), 10)
        documented = set(re.findall(r"`([A-Z][A-Z0-9_]+)`", DOC.read_text()))
        self.assertEqual(names - documented, set(), "missing from docs/configuration.md")

    def test_settings_read_the_environment_only_through_the_helpers(self):
        source = SETTINGS.read_text()
        direct = re.findall(r"os\.(?:environ|getenv)", source)
        # the four helpers themselves
        self.assertLessEqual(len(direct), 4)


class ProductionModeTests(SimpleTestCase):
    def test_production_refuses_to_start_without_secret_key(self):
        result = run_settings(
            {"GUAZHI_MODE": "production", "ALLOWED_HOSTS": "example.org", **FIELD_KEYS}
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY", result.stderr)

    def test_production_refuses_to_start_without_allowed_hosts(self):
        result = run_settings({"GUAZHI_MODE": "production", "SECRET_KEY": "x" * 60, **FIELD_KEYS})
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ALLOWED_HOSTS", result.stderr)

    def test_production_refuses_to_start_without_field_encryption_keys(self):
        result = run_settings(
            {"GUAZHI_MODE": "production", "SECRET_KEY": "k" * 60, "ALLOWED_HOSTS": "x.org"}
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("FIELD_ENCRYPTION_KEYS", result.stderr)

    def test_production_starts_when_configured(self):
        result = run_settings(
            {
                "GUAZHI_MODE": "production",
                "SECRET_KEY": "k" * 60,
                "ALLOWED_HOSTS": "example.org",
                **FIELD_KEYS,
            }
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("started", result.stdout)

    def test_deploy_check_is_clean_in_production(self):
        result = run_settings(
            {
                "GUAZHI_MODE": "production",
                "SECRET_KEY": "a-long-random-production-secret-key-0123456789-abcdefghijklmnop",
                "ALLOWED_HOSTS": "guazhi.example.org",
                **FIELD_KEYS,
            },
            str(ROOT / "manage.py"),
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        )
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("no issues", result.stdout)

    def test_production_hashes_passwords_with_argon2(self):
        result = run_settings(
            {
                "GUAZHI_MODE": "production",
                "SECRET_KEY": "k" * 60,
                "ALLOWED_HOSTS": "x.org",
                **FIELD_KEYS,
            },
            "-c",
            "import django; django.setup(); from django.contrib.auth.hashers import "
            "get_hasher; print(get_hasher().algorithm)",
        )
        self.assertEqual(result.stdout.strip(), "argon2", result.stderr)


class MigrationTests(SimpleTestCase):
    databases = {"default"}

    def test_no_model_change_lacks_a_migration(self):
        out = StringIO()
        try:
            call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
        except SystemExit:
            self.fail("pending migrations:\n" + out.getvalue())
