"""core/pdf.py: a Chinese font is found and embedded, or the refusal says what to install."""

from __future__ import annotations

import io
import os
from unittest import mock

from django.core.exceptions import ImproperlyConfigured
from django.test import SimpleTestCase
from pypdf import PdfReader

from guazhi.core import pdf
from guazhi.testing import has_chinese_font, needs_system


class FontTests(SimpleTestCase):
    def setUp(self):
        pdf.fonts.cache_clear()

    def tearDown(self):
        pdf.fonts.cache_clear()

    @needs_system(has_chinese_font(), "no Chinese font (apt-get install fonts-noto-cjk)")
    def test_the_machines_chinese_font_is_found_and_embedded_as_a_subset(self):
        sheet = pdf.Sheet("测试表", "张组织")
        sheet.heading("挂职干部考核登记表")
        sheet.grid([[("姓名", "曾超"), ("性别", "女"), ("出生年月", "1983.08")]])
        content = sheet.render()
        reader = PdfReader(io.BytesIO(content))
        text = reader.pages[0].extract_text().replace(" ", "").replace("\x00", "")
        self.assertIn("挂职干部考核登记表", text)
        self.assertIn("曾超", text)
        fonts = [
            f["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            for f in reader.pages[0]["/Resources"]["/Font"].values()
        ]
        self.assertTrue(all("/FontFile2" in d or "/FontFile3" in d for d in fonts))  # embedded
        self.assertLess(len(content), 200_000)  # a subset, not the 20 MB collection

    def test_a_configured_file_that_is_not_a_chinese_font_is_refused_by_name(self):
        with (
            mock.patch.dict(os.environ, {"GUAZHI_PDF_FONT": __file__}),
            self.assertRaisesMessage(ImproperlyConfigured, "GUAZHI_PDF_FONT="),
        ):
            pdf.fonts()

    def test_without_any_chinese_font_the_message_says_what_to_install(self):
        with (
            mock.patch.dict(os.environ, {"GUAZHI_PDF_FONT": "", "GUAZHI_PDF_FONT_BOLD": ""}),
            mock.patch.object(pdf, "_fc_match", return_value=None),
            self.assertRaisesMessage(ImproperlyConfigured, "fonts-noto-cjk"),
        ):
            pdf.fonts()
