"""Meeting attachments: type (extension and content), size, names, and who may download."""

from __future__ import annotations

import io
import shutil
import tempfile
import zipfile
from datetime import date
from pathlib import Path

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings

from .. import services
from ..models import Attachment
from .helpers import TeamTestCase

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
OLE = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def ooxml(part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr(f"{part}document.xml", "<x/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("payload.js", "alert(1)")
    return buffer.getvalue()


@time_machine.travel("2027-05-10 09:00 +0800")
class UploadTests(TeamTestCase):
    def setUp(self):
        self.media = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.media, ignore_errors=True)
        override = override_settings(MEDIA_ROOT=self.media, ATTACHMENT_MAX_MB=10)
        override.enable()
        self.addCleanup(override.disable)
        self.study = self.meeting("study", date(2027, 5, 8))
        self.url = f"/teams/meetings/{self.study.pk}/attachments/"

    def stored_files(self) -> list[Path]:
        return [p for p in Path(self.media).rglob("*") if p.is_file()]

    def upload(self, name: str, content: bytes, user=None):
        self.login(user or self.tina)
        return self.client.post(self.url, {"file": SimpleUploadedFile(name, content)}, follow=True)

    def test_a_pdf_is_stored_under_a_random_name_and_served_as_an_attachment(self):
        response = self.upload("会议纪要.pdf", PDF)
        self.assertContains(response, "已上传“会议纪要.pdf”")
        attachment = Attachment.objects.get()
        self.assertEqual(attachment.name, "会议纪要.pdf")
        self.assertEqual(attachment.content_type, "application/pdf")
        self.assertEqual(attachment.size, len(PDF))
        self.assertRegex(attachment.file.name, rf"^meetings/{self.study.pk}/[0-9a-f]{{32}}$")
        self.assertEqual(len(self.stored_files()), 1)
        download = self.client.get(f"/teams/attachments/{attachment.pk}/")
        self.assertEqual(download.status_code, 200)
        self.assertTrue(download["Content-Disposition"].startswith("attachment;"))
        self.assertIn("filename*=utf-8''", download["Content-Disposition"])
        self.assertEqual(download["Content-Type"], "application/pdf")
        self.assertEqual(download["X-Content-Type-Options"], "nosniff")
        self.assertEqual(b"".join(download.streaming_content), PDF)

    def test_every_allowed_type_with_its_real_content_is_accepted(self):
        for name, content in (
            ("照片.png", PNG),
            ("照片.JPG", JPEG),
            ("照片.jpeg", JPEG),
            ("旧文档.doc", OLE),
            ("旧表格.xls", OLE),
            ("新文档.docx", ooxml("word/")),
            ("新表格.xlsx", ooxml("xl/")),
        ):
            with self.subTest(name=name):
                services.attachment_add(
                    meeting=self.study, by=self.tina, upload=SimpleUploadedFile(name, content)
                )
        self.assertEqual(Attachment.objects.count(), 7)

    def test_a_bad_extension_is_refused_and_nothing_is_written(self):
        response = self.upload("setup.exe", EXE)
        self.assertContains(response, "不能上传“setup.exe”：只接受")
        self.assertFalse(Attachment.objects.exists())
        self.assertEqual(self.stored_files(), [])

    def test_an_exe_renamed_pdf_is_refused(self):
        response = self.upload("通知.pdf", EXE)
        self.assertContains(response, "文件内容不是 PDF 格式")
        self.assertFalse(Attachment.objects.exists())
        self.assertEqual(self.stored_files(), [])

    def test_a_zip_that_is_not_an_office_document_is_refused(self):
        for name in ("表格.xlsx", "文档.docx"):
            with (
                self.subTest(name=name),
                self.assertRaisesMessage(services.TeamError, "扩展名与内容不符"),
            ):
                services.attachment_add(
                    meeting=self.study,
                    by=self.tina,
                    upload=SimpleUploadedFile(name, plain_zip()),
                )
        # A Word document is not a spreadsheet either.
        with self.assertRaisesMessage(services.TeamError, "扩展名与内容不符"):
            services.attachment_add(
                meeting=self.study,
                by=self.tina,
                upload=SimpleUploadedFile("表格.xlsx", ooxml("word/")),
            )
        self.assertEqual(self.stored_files(), [])

    @override_settings(ATTACHMENT_MAX_MB=1)
    def test_a_file_over_the_limit_is_refused(self):
        big = PDF + b"0" * int(1.1 * 1024 * 1024)
        response = self.upload("扫描件.pdf", big)
        self.assertContains(response, "超过了 1 MB 的上限")
        self.assertFalse(Attachment.objects.exists())
        self.assertEqual(self.stored_files(), [])

    def test_path_parts_are_stripped_from_the_name(self):
        attachment = services.attachment_add(
            meeting=self.study,
            by=self.tina,
            upload=SimpleUploadedFile("../../etc/passwd.pdf", PDF),
        )
        self.assertEqual(attachment.name, "passwd.pdf")
        (stored,) = self.stored_files()
        self.assertTrue(stored.resolve().is_relative_to(Path(self.media).resolve() / "meetings"))
        self.assertNotIn("passwd", stored.name)
        for raw, safe in (
            ("C:\\Users\\x\\..\\报告.png", "报告.png"),
            ("..\\..\\boot.ini.pdf", "boot.ini.pdf"),
            ('a<b>:"|?*.pdf', "a_b.pdf"),
            ("report.pdf. ", "report.pdf"),
            (".pdf", "附件.pdf"),
            ("....pdf", "附件.pdf"),
            ("/", "附件"),
            ("名" * 200 + ".pdf", "名" * 116 + ".pdf"),
        ):
            with self.subTest(raw=raw):
                self.assertEqual(services.safe_filename(raw), safe)
        # Through the page as well.
        self.upload("../../etc/passwd.pdf", PDF)
        self.assertEqual(Attachment.objects.filter(name="passwd.pdf").count(), 2)

    def test_only_team_managers_upload(self):
        response = self.client.post(self.url, {"file": SimpleUploadedFile("a.pdf", PDF)})
        self.assertEqual(response.status_code, 302)  # to the login page
        self.login(self.dave)
        response = self.client.post(self.url, {"file": SimpleUploadedFile("a.pdf", PDF)})
        self.assertEqual(response.status_code, 403)
        self.login(self.tom)
        response = self.client.post(self.url, {"file": SimpleUploadedFile("a.pdf", PDF)})
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Attachment.objects.exists())
        self.assertEqual(self.stored_files(), [])

    def test_download_outside_the_scope_is_404_and_inside_200(self):
        attachment = services.attachment_add(
            meeting=self.study, by=self.tina, upload=SimpleUploadedFile("纪要.pdf", PDF)
        )
        url = f"/teams/attachments/{attachment.pk}/"
        for user in (self.tom, self.bob, self.carol, self.hank, self.sam, self.aud):
            with self.subTest(user=user.username):
                self.login(user)
                self.assertEqual(self.client.get(url).status_code, 404)
        for user in (self.tina, self.dave, self.lucy, self.alice):
            with self.subTest(user=user.username):
                self.login(user)
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertTrue(response["Content-Disposition"].startswith("attachment;"))

    def test_deleting_an_attachment_asks_first_and_removes_the_file(self):
        attachment = services.attachment_add(
            meeting=self.study, by=self.tina, upload=SimpleUploadedFile("纪要.pdf", PDF)
        )
        url = f"/teams/attachments/{attachment.pk}/delete/"
        self.login(self.dave)
        self.assertEqual(self.client.get(url).status_code, 403)
        self.assertEqual(self.client.post(url).status_code, 403)
        self.login(self.tina)
        page = self.client.get(url)
        self.assertContains(page, "确定删除附件“纪要.pdf”吗")
        self.assertTrue(Attachment.objects.filter(pk=attachment.pk).exists())
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(url)
        self.assertRedirects(response, f"/teams/meetings/{self.study.pk}/")
        self.assertFalse(Attachment.objects.exists())
        self.assertEqual(self.stored_files(), [])
