"""The import as a person does it: upload, read the dry run, import all or only the valid
rows after confirming; and the same through the API."""

import io
import tempfile
from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from guazhi.cadres.models import Cadre
from guazhi.core.models import AuditEntry, OrgUnit
from guazhi.testing import BaseTestCase


def sample_roster(clean: bool) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "messy.xlsx"
        args = ["sample_roster", str(path), "--rows", "12"] + (["--clean"] if clean else [])
        call_command(*args, stdout=io.StringIO())
        return path.read_bytes()


class ImportBase(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        # The sample roster names demo units; give the test tree a unit with such a name.
        OrgUnit.objects.filter(pk=cls.heping_fgj.pk).update(name="和平区发展和改革局")
        OrgUnit.objects.filter(kind="sending").exclude(pk=cls.heping_fgj.pk).update(kind="other")


class ImportPageTests(ImportBase):
    def upload(self, data: bytes, name="messy.xlsx"):
        return self.client.post(
            "/cadres/import/", {"file": SimpleUploadedFile(name, data), "unit": self.heping_fgj.pk}
        )

    def test_messy_roster_with_mistakes_is_reported_and_nothing_is_written(self):
        self.login(self.bob)
        self.assertRedirects(self.upload(sample_roster(clean=False)), "/cadres/import/check/")
        page = self.client.get("/cadres/import/check/").content.decode()
        self.assertIn("校验位错误", page)
        self.assertIn("火星族", page)
        self.assertRegex(page, r"第\d+行 第\d+列\(出生年月\)")
        self.assertFalse(Cadre.objects.exists())

    def test_import_all_is_refused_when_rows_are_bad(self):
        self.login(self.bob)
        self.upload(sample_roster(clean=False))
        response = self.client.post("/cadres/import/check/", {"mode": "all"}, follow=True)
        self.assertContains(response, "未导入任何数据")
        self.assertFalse(Cadre.objects.exists())

    def test_valid_rows_only_need_an_explicit_confirmation(self):
        self.login(self.bob)
        self.upload(sample_roster(clean=False))
        unconfirmed = self.client.post("/cadres/import/check/", {"mode": "valid_only"}, follow=True)
        self.assertContains(unconfirmed, "请勾选确认")
        self.assertFalse(Cadre.objects.exists())
        self.client.post("/cadres/import/check/", {"mode": "valid_only", "confirm": "yes"})
        self.assertEqual(Cadre.objects.count(), 12)

    def test_clean_messy_roster_imports_fully_and_again_changes_nothing(self):
        self.login(self.bob)
        data = sample_roster(clean=True)
        self.upload(data)
        self.client.post("/cadres/import/check/", {"mode": "all"})
        self.assertEqual(Cadre.objects.count(), 12)
        entries = AuditEntry.objects.count()
        self.upload(data)
        response = self.client.post("/cadres/import/check/", {"mode": "all"}, follow=True)
        self.assertContains(response, "无变化 12 人")
        # only the upload's own bookkeeping, no change entries
        self.assertFalse(
            AuditEntry.objects.filter(seq__gt=entries, object_type="cadres.cadre").exists()
        )

    def test_other_file_types_are_refused_with_a_reason(self):
        self.login(self.bob)
        response = self.upload(b"a,b\n1,2\n", name="roster.csv")
        self.assertContains(response, "不支持的文件类型")

    def test_sending_unit_may_import_into_its_own_unit(self):
        self.login(self.carol)
        self.assertRedirects(self.upload(sample_roster(clean=True)), "/cadres/import/check/")

    def test_host_unit_may_not_import(self):
        self.login(self.hank)
        self.assertEqual(self.client.get("/cadres/import/").status_code, 403)

    def test_template_downloads(self):
        self.login(self.bob)
        response = self.client.get("/cadres/import/template.xlsx")
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response.content.startswith(b"PK"))


class ImportApiTests(ImportBase):
    def post(self, user, data, **params):
        token, _ = Token.objects.get_or_create(user=user)
        return self.client.post(
            "/api/v1/cadres/import/",
            {"file": SimpleUploadedFile("r.xlsx", data), "unit": self.heping_fgj.pk, **params},
            headers={"Authorization": f"Token {token.key}"},
        )

    def test_dry_run_is_the_default_and_writes_nothing(self):
        body = self.post(self.bob, sample_roster(clean=False)).json()
        self.assertEqual(body["rows"], 15)
        self.assertEqual(body["valid"], 12)
        self.assertFalse(body["imported"])
        self.assertFalse(Cadre.objects.exists())

    def test_import_of_a_valid_file(self):
        body = self.post(self.bob, sample_roster(clean=True), dry_run="false").json()
        self.assertTrue(body["imported"])
        self.assertEqual(Cadre.objects.count(), 12)

    def test_unit_outside_the_scope_is_refused(self):
        token, _ = Token.objects.get_or_create(user=self.eve)
        response = self.client.post(
            "/api/v1/cadres/import/",
            {
                "file": SimpleUploadedFile("r.xlsx", sample_roster(clean=True)),
                "unit": self.heping_fgj.pk,
            },
            headers={"Authorization": f"Token {token.key}"},
        )
        self.assertEqual(response.status_code, 400)
        self.assertIn("unit", response.json())


class CommandLineTests(BaseTestCase):
    def test_guazhi_import_cadres_dry_run_exits_1_on_errors(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "m.xlsx"
            path.write_bytes(sample_roster(clean=False))
            out = io.StringIO()
            with self.assertRaises(SystemExit) as ctx:
                call_command(
                    "import_cadres",
                    str(path),
                    "--dry-run",
                    "--unit",
                    "T-HP-FGJ",
                    stdout=out,
                    stderr=out,
                )
            self.assertEqual(ctx.exception.code, 1)
            self.assertIn("校验位错误", out.getvalue())
        self.assertFalse(Cadre.objects.exists())
