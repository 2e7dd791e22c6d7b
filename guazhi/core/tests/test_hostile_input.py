"""Hostile input everywhere (issue 11, part 4), on the demo data.

- Stored text that looks like a spreadsheet formula (starting with = + - @, tab or CR) stays
  text in every Excel and CSV export; stored HTML and script are shown escaped on every page.
  Both are planted in every free-text field of the business records (all rows), then every
  export and page the city officer can open is read.
- Every form the city officer can open refuses malformed dates and numbers and oversize text,
  field by field, with a Chinese message on that field, and writes nothing.
- Uploaded file names with path tricks never reach the disk as given.

The .lrmx zip limits (uncompressed size, member count, paths, bombs, DTDs) are tested in
guazhi/cadres/tests/test_lrmx.py, the roster import's "nothing partial" in
test_import_views.py, wrong JSON types on every API operation in test_api_fuzz.py.
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Concat, Left
from django.forms.formsets import ManagementForm
from django.test import TestCase, override_settings
from django.urls import reverse
from openpyxl import load_workbook

from guazhi.core.models import AuditEntry, User
from guazhi.core.tests.test_scope_sweep import (
    NOT_FETCHED,
    OWNED,
    SHARED,
    Fixture,
    add_other_district_records,
    walk,
)

PREFIXES = ["=", "+", "-", "@", "\t", "\r"]
DANGEROUS = tuple(PREFIXES)
SCRIPT = "<script>alert("
ESCAPED = "&lt;script&gt;alert("
WRITES = (AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE, AuditEntry.Action.DELETE)

# Models whose text is configuration read by code (stage, status and rank names looked up by
# name, policies) rather than what users type about people and projects.
CONFIG = {
    "projects.Stage",
    "projects.ProjectPolicy",
    "deeds.Status",
    "deeds.Policy",
    "deeds.PhoneCode",
    "deeds.Throttle",
    "deeds.RatingTally",
    "cadres.Rank",
    "cadres.ExpertiseTag",
    "assessment.Policy",
}
NOT_FREE_TEXT = re.compile(
    r"encrypted|hash|masked|initials|code|key|token|path|file|photo|content_type|mobile"
    r"|username|password|email|url|number|version|lock|channel|gender|ethnicity|political"
    r"|health|education|degree|^kind$|^status$|^grade|_grade$|color|icon|weekday|period"
)
APPS = ("cadres", "programmes", "selection", "teams", "records", "returns", "assessment")
APPS += ("projects", "deeds")


def payload(n: int) -> str:
    return f"{PREFIXES[n % len(PREFIXES)]}1+1{SCRIPT}{n})</script>"


def plant_hostile_text() -> list[str]:
    """Prefix every free-text field of every business record with a formula-looking and
    script-bearing text; returns the fields planted."""
    from django.apps import apps

    planted = []
    n = 0
    for model in apps.get_models():
        label = model._meta.label
        if model._meta.app_label not in APPS or label in CONFIG or not model._meta.managed:
            continue
        for field in model._meta.concrete_fields:
            if not isinstance(field, models.CharField | models.TextField):
                continue
            if (
                field.choices
                or field.unique
                or field.primary_key
                or NOT_FREE_TEXT.search(field.name)
            ):
                continue
            text = payload(n)
            if field.max_length and field.max_length < len(text) + 4:
                continue
            value = Concat(Value(text), F(field.name), output_field=type(field)())
            if field.max_length:
                value = Left(value, field.max_length)
            model.objects.update(**{field.name: value})
            planted.append(f"{label}.{field.name}")
            n += 1
    return planted


def read(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def formula_cells(data: bytes, kind: str) -> list[str]:
    """Cells of an .xlsx or .csv that a spreadsheet would take for a formula."""
    found = []
    if "spreadsheetml" in kind or data[:2] == b"PK":
        workbook = load_workbook(io.BytesIO(data))
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    value = cell.value
                    if cell.data_type == "f" or (
                        isinstance(value, str) and value.startswith(DANGEROUS)
                    ):
                        found.append(f"{sheet.title}!{cell.coordinate}={value!r}")
    else:
        text = data.decode("utf-8-sig")
        for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
            for column, value in enumerate(row, start=1):
                if value.startswith(DANGEROUS):
                    found.append(f"row {number} col {column}={value!r}")
    return found


class HostileTextTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("demo", "--no-serve", stdout=open("/dev/null", "w"))  # noqa: SIM115
        add_other_district_records()
        cls.planted = plant_hostile_text()

    def setUp(self):
        self.client.force_login(User.objects.get(username="zzb"))

    def exports(self):
        from guazhi.assessment.models import Entry, Round
        from guazhi.programmes.models import Batch
        from guazhi.reports.reports import REPORTS

        urls = [reverse("cadres:export", kwargs={"fmt": fmt}) for fmt in ("xlsx", "csv")]
        urls += [
            reverse("reports:export", kwargs={"slug": slug, "fmt": fmt})
            for slug in REPORTS
            for fmt in ("xlsx", "csv")
        ]
        urls += [reverse(n) for n in ("projects:export", "deeds:export", "returns:outcomes_export")]
        urls += [
            reverse("programmes:batch_composition_export", kwargs={"pk": b.pk})
            for b in Batch.objects.all()
        ]
        urls += [
            reverse("assessment:round_results_xlsx", kwargs={"pk": r.pk})
            for r in Round.objects.all()
        ]
        urls += [
            reverse("assessment:entry_form_xlsx", kwargs={"pk": e.pk})
            for e in Entry.objects.order_by("pk")[:3]
        ]
        return urls

    def test_the_exports_listed_here_are_every_export_of_the_site(self):
        exported = {
            name
            for name, route, _k in walk()
            if route.endswith((".xlsx", ".csv", ".<str:fmt>", "export/"))
        }
        listed = {
            "cadres:export",
            "cadres:import_template",  # headers and option lists only: no stored text
            "reports:export",
            "projects:export",
            "deeds:export",
            "returns:outcomes_export",
            "programmes:batch_composition_export",
            "assessment:round_results_xlsx",
            "assessment:entry_form_xlsx",
            "core:audit_export",  # the auditor's; csv_safe on every cell (core/audit.py)
        }
        self.assertEqual(exported, listed)

    def test_formula_looking_text_stays_text_in_every_excel_and_csv_export(self):
        self.assertGreater(len(self.planted), 60, self.planted)
        failures, cells = [], 0
        for url in self.exports():
            response = self.client.get(url)
            if response.status_code != 200:
                failures.append(f"{url} → {response.status_code}")
                continue
            data = read(response)
            found = formula_cells(data, response.get("Content-Type", ""))
            failures += [f"{url}: {cell}" for cell in found[:5]]
            cells += 1
        self.maxDiff = None
        self.assertEqual(
            failures,
            [],
            f"{len(self.exports())} exports read after planting hostile text in "
            f"{len(self.planted)} fields",
        )

    def pages(self):
        f = Fixture()
        urls = []
        for name, route, keywords in walk():
            if name in NOT_FETCHED or name.startswith(("deeds_public", "api", "core:audit")):
                continue
            if route.startswith("api/") or route.endswith((".xlsx", ".csv", ".pdf", ".svg")):
                continue
            if not keywords:
                urls.append(reverse(name))
            elif name in OWNED or name in SHARED:
                kwargs, _record = (OWNED | SHARED)[name](f)
                urls.append(reverse(name, kwargs=kwargs))
        return urls

    def test_html_and_script_in_stored_text_are_shown_escaped_on_every_page(self):
        raw, escaped, fetched = [], 0, 0
        for url in self.pages():
            response = self.client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            fetched += 1
            html = read(response).decode()
            if SCRIPT in html:
                at = html.index(SCRIPT)
                raw.append(f"{url}: …{html[max(0, at - 80) : at + 40]!r}")
            escaped += ESCAPED in html
        self.assertEqual(raw, [], f"{fetched} pages read, {escaped} show the planted text")
        self.assertGreater(escaped, 40, f"{fetched} pages read")


# --- forms ----------------------------------------------------------------------------------


def bad_values(field) -> list[tuple[str, str]]:
    """(what, value) of malformed input for a form field."""
    from django import forms

    if isinstance(field, forms.DateTimeField | forms.DateField):
        return [("日期格式错误", "2026-13-45"), ("日期不存在", "2026-02-30")]
    if isinstance(field, forms.DecimalField | forms.FloatField):
        return [("数字格式错误", "1,2,3"), ("非数", "NaN"), ("过大的数", "9" * 40)]
    if isinstance(field, forms.IntegerField):
        return [("数字格式错误", "十二"), ("过大的数", "9" * 40)]
    if isinstance(field, forms.ModelChoiceField):
        return [("不存在的选项", "999999999"), ("类型错误", "abc")]
    if isinstance(field, forms.ChoiceField):
        return [("不存在的选项", "<script>x</script>")]
    if isinstance(field, forms.CharField) and field.max_length:
        return [("超长文本", "字" * (field.max_length + 1))]
    if isinstance(field, forms.CharField):
        return [("1 MB 文本", "字" * (1024 * 1024 // 3 + 1))]
    return []


CJK = re.compile(r"[\u4e00-\u9fff]")


class BadFormInputTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("demo", "--no-serve", stdout=open("/dev/null", "w"))  # noqa: SIM115
        add_other_district_records()

    def setUp(self):
        self.client.force_login(User.objects.get(username="zzb"))

    def forms_to_try(self):
        """(url, form) of every page the city officer opens that shows a form to POST."""
        from django import forms

        f = Fixture()
        found = []
        for name, route, keywords in walk():
            if route.startswith("api/") or name.startswith("deeds_public") or name in NOT_FETCHED:
                continue
            if name.startswith(("core:login", "core:otp", "core:profile")):
                continue  # the login and the user's own password: tested in core/tests
            if keywords and name not in OWNED and name not in SHARED:
                continue
            kwargs = (OWNED | SHARED)[name](f)[0] if keywords else {}
            url = reverse(name, kwargs=kwargs)
            response = self.client.get(url)
            if response.status_code != 200 or response.context is None:
                continue
            form = response.context.get("form")
            if isinstance(form, forms.BaseForm) and b'method="post"' in read(response):
                found.append((url, form))
        return found

    def test_every_form_refuses_malformed_input_on_the_field_in_chinese_and_writes_nothing(self):
        self.client.raise_request_exception = False  # a server error is a finding, listed
        failures, tried, forms_seen = [], 0, 0
        for url, form in self.forms_to_try():
            forms_seen += 1
            for field_name, field in form.fields.items():
                if field.disabled or field_name == "lock_version":
                    continue
                if isinstance(form, ManagementForm):
                    continue  # a formset's counts: Django refuses tampered ones as a whole
                for what, value in bad_values(field):
                    key = form.add_prefix(field_name)
                    writes = AuditEntry.objects.filter(action__in=WRITES).count()
                    response = self.client.post(url, {key: value})
                    tried += 1
                    where = f"{url} {field_name} ({what})"
                    if response.status_code >= 500:
                        failures.append(f"{where} → {response.status_code}")
                        continue
                    if AuditEntry.objects.filter(action__in=WRITES).count() != writes:
                        failures.append(f"{where}: accepted and written")
                        continue
                    if response.status_code != 200 or response.context is None:
                        continue  # refused before the form (403, a redirect with a message)
                    bound = response.context.get("form")
                    if bound is None or not bound.is_bound or key not in bound.data:
                        continue  # a filter form, bound to the query string: nothing taken
                    if field_name not in bound.fields:
                        continue  # a row field that exists only for other submitted values
                    errors = bound.errors
                    messages = [str(m) for m in errors.get(field_name, [])]
                    if not messages and bound is not None and errors:
                        messages = [str(m) for m in errors.get("__all__", [])]
                    if not messages:
                        failures.append(f"{where}: no message on the field")
                    elif not all(CJK.search(m) for m in messages):
                        failures.append(f"{where}: not in Chinese: {messages}")
        self.maxDiff = None
        self.assertEqual(failures, [], f"{forms_seen} forms, {tried} malformed submissions as zzb")
        self.assertGreater(forms_seen, 20)

    def test_the_api_refuses_a_megabyte_of_text_on_the_field_in_chinese_and_writes_nothing(self):
        from guazhi.programmes.models import Batch, Post

        batch, post = Batch.objects.order_by("pk").first(), Post.objects.order_by("pk").first()
        for url, field, record in (
            (f"/api/v1/batches/{batch.pk}/", "note", batch),
            (f"/api/v1/posts/{post.pk}/", "duties", post),
        ):
            before = type(record).objects.filter(pk=record.pk).values().first()
            response = self.client.patch(
                url, {field: "字" * (1024 * 1024 // 3 + 1)}, content_type="application/json"
            )
            self.assertEqual(response.status_code, 400, url)
            self.assertRegex(" ".join(response.json()[field]), CJK, url)
            self.assertEqual(type(record).objects.filter(pk=record.pk).values().first(), before)

    def test_bulk_approval_never_sends_the_user_off_site_after_it(self):
        url = reverse("selection:bulk_approve")
        for target in ("//evil.example/", "/\\evil.example/", "https://evil.example/"):
            response = self.client.post(url, {"ids": [], "next": target})
            self.assertEqual(response["Location"], reverse("selection:list"), target)
        response = self.client.post(url, {"ids": [], "next": "/selection/?level=1"})
        self.assertEqual(response["Location"], "/selection/?level=1")

    def test_bulk_approval_with_one_nomination_outside_the_scope_approves_none(self):
        from guazhi.selection.models import Nomination, NominationStep

        self.client.force_login(User.objects.get(username="heping"))
        f = Fixture()
        own = Nomination.objects.filter(nominating_unit__path__startswith=f.hp).first()
        other = Nomination.objects.filter(nominating_unit__path__startswith=f.hn).first()
        steps, writes = (
            NominationStep.objects.count(),
            AuditEntry.objects.filter(action__in=WRITES).count(),
        )
        response = self.client.post(
            reverse("selection:bulk_approve"),
            {"ids": [own.pk, other.pk], "opinion": "同意"},
            follow=True,
        )
        self.assertContains(response, "全部未办理")
        self.assertEqual(NominationStep.objects.count(), steps)
        self.assertEqual(AuditEntry.objects.filter(action__in=WRITES).count(), writes)


# --- uploads ----------------------------------------------------------------------------------

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00"
    b"\x00\x00IEND\xaeB`\x82"
)
TRICKS = [
    "../../../../etc/passwd.png",
    "..\\..\\windows\\win.ini.png",
    "/etc/cron.d/evil.png",
    "C:\\evil.png",
    "a\x00b.png",
    "浑" * 300 + ".png",
    "<img src=x onerror=alert(1)>.png",
]


class UploadNameTests(TestCase):
    """Path tricks in uploaded names: the file lands under its folder with a random name,
    the name shown keeps no path."""

    @classmethod
    def setUpTestData(cls):
        call_command("demo", "--no-serve", stdout=open("/dev/null", "w"))  # noqa: SIM115

    def setUp(self):
        self.media = tempfile.mkdtemp(prefix="guazhi-upload-")
        self.addCleanup(shutil.rmtree, self.media, ignore_errors=True)
        settings = override_settings(MEDIA_ROOT=self.media)
        settings.enable()
        self.addCleanup(settings.disable)
        self.client.force_login(User.objects.get(username="zzb"))

    def assert_safe(self, stored: str, shown: str, folder: str, trick: str):
        from pathlib import Path

        self.assertTrue(stored.startswith(folder), f"{trick!r} stored as {stored!r}")
        self.assertNotIn("..", stored)
        self.assertNotIn("\\", stored)
        resolved = (Path(self.media) / stored).resolve()
        self.assertTrue(str(resolved).startswith(str(Path(self.media).resolve())), stored)
        self.assertTrue(resolved.exists(), stored)
        for bad in ("/", "\\", "\x00", ".."):
            self.assertNotIn(bad, shown, f"{trick!r} shown as {shown!r}")
        self.assertLessEqual(len(shown), 120)

    def test_meeting_attachments_never_keep_a_path_from_the_uploaded_name(self):
        from guazhi.teams.models import Attachment, Meeting

        meeting = Meeting.objects.order_by("pk").first()
        for trick in TRICKS:
            upload = SimpleUploadedFile(trick, PNG, content_type="image/png")
            response = self.client.post(
                reverse("teams:attachment_add", kwargs={"pk": meeting.pk}), {"file": upload}
            )
            self.assertEqual(response.status_code, 302, trick)
            attachment = Attachment.objects.order_by("-pk").first()
            self.assertIsNotNone(attachment, trick)
            self.assert_safe(attachment.file.name, attachment.name, "meetings/", trick)
        self.assertEqual(Attachment.objects.count(), len(TRICKS))

    def test_deed_photos_never_keep_a_path_from_the_uploaded_name(self):
        from guazhi.deeds.models import Deed, Evidence

        deed = Deed.objects.order_by("pk").first()
        for trick in TRICKS:
            upload = SimpleUploadedFile(trick, PNG, content_type="image/png")
            response = self.client.post(
                reverse("deeds:evidence_add", kwargs={"pk": deed.pk}),
                {"day": deed.opened_on.isoformat(), "note": "进展", "photo": upload},
            )
            self.assertEqual(response.status_code, 302, trick)
            evidence = Evidence.objects.filter(deed=deed).order_by("-pk").first()
            self.assert_safe(evidence.photo.name, evidence.photo_name, "deeds/", trick)

    def test_a_cadre_import_never_keeps_a_path_from_the_uploaded_name(self):
        from guazhi.cadres import views
        from guazhi.core.models import OrgUnit

        unit = OrgUnit.objects.get(code="HP-FGJ").pk
        for trick in ["../../../../tmp/evil.lrmx", "/etc/evil.lrmx", "a\x00b.lrmx"]:
            upload = SimpleUploadedFile(trick, b"<Person><XingMing>x</XingMing></Person>")
            response = self.client.post(reverse("cadres:import"), {"file": upload, "unit": unit})
            self.assertEqual(response.status_code, 302, trick)
            info = self.client.session[views.SESSION_KEY]
            self.assertRegex(info["stored"], r"^[0-9a-f]{32}\.lrmx$", trick)
            for bad in ("/", "\\", "\x00"):
                self.assertNotIn(bad, info["filename"], trick)

    def test_a_zip_bomb_uploaded_to_the_cadre_import_is_refused_in_chinese_and_writes_nothing(self):
        import zipfile

        from guazhi.cadres.models import Cadre

        bomb = io.BytesIO()
        with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("炸弹.lrmx", b"\0" * (6 * 1024 * 1024))
        self.assertLess(len(bomb.getvalue()), 100 * 1024)
        cadres, writes = Cadre.objects.count(), AuditEntry.objects.filter(action__in=WRITES).count()
        from guazhi.core.models import OrgUnit

        unit = OrgUnit.objects.get(code="HP-FGJ").pk
        upload = SimpleUploadedFile("炸弹.zip", bomb.getvalue())
        response = self.client.post(reverse("cadres:import"), {"file": upload, "unit": unit})
        self.assertRedirects(
            response, reverse("cadres:import_check"), fetch_redirect_response=False
        )
        self.assertContains(self.client.get(reverse("cadres:import_check")), "解压后超过 5 MB")
        self.client.post(reverse("cadres:import_check"), {"mode": "all"})
        self.assertEqual(Cadre.objects.count(), cadres)
        self.assertEqual(AuditEntry.objects.filter(action__in=WRITES).count(), writes)


# Writable API strings without a length bound that are not free text: year-month values
# checked by their format (cadres), and names looked up in a list (ranks, deed categories).
API_STRINGS_NOT_FREE_TEXT = {
    "CadreRequest.birth",
    "CadreRequest.party_join",
    "CadreRequest.work_start",
    "CadreRequest.rank",
    "PostRequest.rank_min",
    "PostRequest.rank_max",
    "DeedWriteRequest.category",
    "PatchedDeedChangeRequest.category",
}


class ApiOversizeTests(TestCase):
    def test_every_free_text_field_the_api_writes_has_a_length_limit(self):
        from drf_spectacular.generators import SchemaGenerator

        document = SchemaGenerator().get_schema(request=None, public=True)
        schemas = document["components"]["schemas"]
        bodies = {
            content["schema"]["$ref"].rsplit("/", 1)[-1]
            for operations in document["paths"].values()
            for method, operation in operations.items()
            if method in ("post", "put", "patch") and "requestBody" in operation
            for content in operation["requestBody"]["content"].values()
            if "$ref" in content["schema"]
        }
        unbounded = sorted(
            f"{name}.{prop}"
            for name in bodies
            for prop, schema in schemas[name].get("properties", {}).items()
            if not schema.get("readOnly")
            and schema.get("type") == "string"
            and not {"maxLength", "format", "enum", "$ref"} & set(schema)
        )
        allowed = API_STRINGS_NOT_FREE_TEXT | {f"Patched{n}" for n in API_STRINGS_NOT_FREE_TEXT}
        self.assertEqual(
            [name for name in unbounded if name not in allowed],
            [],
            f"{len(bodies)} request bodies: free text without maxLength",
        )
