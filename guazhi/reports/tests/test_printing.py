"""Printable forms on the demo data: the one-page cadre profile and the 考核登记表 as PDF —
Chinese text that reads back, one page, masked ID numbers, the viewer's scope, the rule
that provisional scores stay hidden, and an audit entry per print. The pages are rendered
to images (pdftoppm) to check that ink lands where the form has text."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile

from django.core.management import call_command
from django.db.models import Count
from django.test import TestCase
from pypdf import PdfReader

from guazhi.assessment.models import Entry
from guazhi.cadres.models import Cadre
from guazhi.core.models import AuditEntry, OrgUnit, User
from guazhi.testing import has_chinese_font, needs_system


def text_of(content: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(content))
    text = "".join(p.extract_text() for p in reader.pages)
    # pypdf puts a NUL before some glyphs of a subset CID font (pdftotext reads them clean)
    return len(reader.pages), re.sub(r"[ \n\x00]", "", text)


def ink(content: bytes) -> tuple[float, float]:
    """The share of dark pixels in the top and the bottom half of page 1, rendered at 40 dpi."""
    from PIL import Image

    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "form.pdf")
        with open(path, "wb") as f:
            f.write(content)
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-r", "40", "-gray", "-png", "-f", "1", "-l", "1", path, f"{tmp}/p"],  # noqa: S607
            check=True,
        )
        image = Image.open(
            next(os.path.join(tmp, n) for n in os.listdir(tmp) if n.endswith(".png"))
        )
        width, height = image.size
        pixels = image.convert("L").tobytes()  # one byte per pixel, 0 black … 255 white
    dark = [1 if v < 128 else 0 for v in pixels]
    half = width * (height // 2)
    return sum(dark[:half]) / half, sum(dark[half:]) / (len(dark) - half)


@needs_system(has_chinese_font(), "no Chinese font (apt-get install fonts-noto-cjk)")
class PrintingTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("demo", "--no-serve", stdout=open("/dev/null", "w"))  # noqa: SIM115
        cls.busy = Cadre.objects.annotate(n=Count("project_credits")).order_by("-n", "pk")[0]

    def get(self, username, url):
        self.client.force_login(User.objects.get(username=username))
        return self.client.get(url)

    def test_the_cadre_profile_is_one_page_of_chinese_with_the_id_number_masked(self):
        cadre = self.busy
        response = self.get("zzb", f"/reports/print/cadres/{cadre.pk}.pdf")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        pages, text = text_of(response.content)
        self.assertEqual(pages, 1)
        for expected in (
            "干部简要情况（挂职）",
            cadre.name,
            cadre.unit.name,
            "挂职经历",
            cadre.id_masked,
        ):
            self.assertIn(expected, text)
        self.assertNotIn(cadre.id_number, text)
        first = cadre.resume.order_by("sort", "start").first()
        self.assertIn(first.content.replace(" ", ""), text)
        # More projects than fit: the page says how many are left out, and the total.
        from guazhi.projects.models import Project

        projects = Project.objects.filter(credits__cadre=cadre).distinct().count()
        self.assertGreater(projects, 6)
        self.assertIn(f"另有{projects - 6}条，见系统；共{projects}个项目", text)

    def test_printing_the_profile_is_audited(self):
        before = AuditEntry.objects.filter(action="export", object_type="cadres.cadre").count()
        self.get("zzb", f"/reports/print/cadres/{self.busy.pk}.pdf")
        entry = AuditEntry.objects.filter(action="export", object_type="cadres.cadre").latest("seq")
        self.assertEqual(
            AuditEntry.objects.filter(action="export", object_type="cadres.cadre").count(),
            before + 1,
        )
        self.assertIn(self.busy.name, entry.message)
        self.assertEqual(entry.actor_username, "zzb")

    def test_another_districts_officer_gets_404_and_his_own_district_prints(self):
        hunnan = OrgUnit.objects.get(code="HN")
        outside = Cadre.objects.exclude(unit__path__startswith=hunnan.path).first()
        inside = Cadre.objects.filter(unit__path__startswith=hunnan.path).first()
        self.assertEqual(
            self.get("hunnan", f"/reports/print/cadres/{outside.pk}.pdf").status_code, 404
        )
        self.assertEqual(
            self.get("hunnan", f"/reports/print/cadres/{inside.pk}.pdf").status_code, 200
        )

    @needs_system(
        shutil.which("pdftoppm") is not None, "no pdftoppm (apt-get install poppler-utils)"
    )
    def test_the_assessment_form_shows_scores_grade_and_opinion_boxes(self):
        entry = Entry.objects.filter(round__status="confirmed").exclude(grade="").first()
        response = self.get("zzb", f"/assessment/entries/{entry.pk}/form.pdf")
        self.assertEqual(response.status_code, 200)
        pages, text = text_of(response.content)
        self.assertEqual(pages, 1)
        for expected in (
            "挂职干部考核登记表",
            entry.placement.cadre.name,
            "个性化指标完成情况",
            f"{entry.final_score}",
            entry.grade,
            "派出单位意见",
            "组织部门审核意见",
        ):
            self.assertIn(expected, text)
        top, bottom = ink(response.content)
        self.assertGreater(top, 0.01)  # the header and the grid are drawn
        self.assertGreater(bottom, 0.003)  # the opinion boxes too
        self.assertTrue(
            AuditEntry.objects.filter(action="export", object_type="assessment.entry").exists()
        )

    def test_before_confirmation_a_host_unit_sees_no_provisional_scores_and_the_org_department_does(
        self,
    ):
        host = User.objects.get(username="jieshou")
        entry = Entry.objects.filter(
            round__status="open", placement__host_unit=host.unit, final_score__isnull=False
        ).first()
        self.assertIsNotNone(entry)
        url = f"/assessment/entries/{entry.pk}/form.pdf"
        _pages, text = text_of(self.get("jieshou", url).content)
        self.assertIn("确认后公布", text)
        self.assertNotIn(f"{entry.final_score}", text)
        _pages, text = text_of(self.get("zzb", url).content)
        self.assertNotIn("确认后公布", text)
        self.assertIn(f"{entry.final_score}", text)

    def test_a_user_outside_the_placements_scope_gets_404_for_the_form(self):
        hunnan = OrgUnit.objects.get(code="HN")
        entry = Entry.objects.exclude(placement__cadre__unit__path__startswith=hunnan.path).first()
        self.assertEqual(
            self.get("hunnan", f"/assessment/entries/{entry.pk}/form.pdf").status_code, 404
        )
