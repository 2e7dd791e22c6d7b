"""Optimistic versioning (core/versioning.py), shown on the cadre profile: every save raises
lock_version whatever path saves it; a claim from the version the editor loaded raises it
once (the save that follows does not again) and refuses an older one, changing nothing; the
refusal names who last changed the record and when; the audit log never records the
version; the API answers a refusal with 409 and documents lock_version and the 409."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from guazhi.cadres.models import Cadre
from guazhi.cadres.tests.factories import make_cadre
from guazhi.core import audit, versioning
from guazhi.core.apifields import exception_handler
from guazhi.core.models import AuditEntry
from guazhi.testing import BaseTestCase

NOW = datetime(2027, 6, 1, 14, 2, tzinfo=ZoneInfo("Asia/Shanghai"))


class VersioningTests(BaseTestCase):
    def setUp(self):
        self.cadre = make_cadre(self.heping_fgj, "王晓明")

    def version(self) -> int:
        return Cadre.objects.filter(pk=self.cadre.pk).values_list("lock_version", flat=True)[0]

    def test_a_new_record_starts_at_one_and_every_save_path_raises_it(self):
        self.assertEqual(self.version(), 1)
        self.cadre.current_post = "副局长"
        self.cadre.save()
        self.assertEqual(self.version(), 2)
        self.assertEqual(self.cadre.lock_version, 2)  # read back on first use
        self.cadre.save(update_fields=["current_post"])
        self.assertEqual(self.version(), 3)
        Cadre.objects.filter(pk=self.cadre.pk).update(current_post="局长", **versioning.BUMP)
        self.assertEqual(self.version(), 4)

    def test_a_claim_and_the_save_that_follows_raise_the_version_once(self):
        versioning.claim(self.cadre, 1)
        self.cadre.current_post = "副局长"
        self.cadre.save()
        self.assertEqual((self.version(), self.cadre.lock_version), (2, 2))

    def test_a_claim_from_an_older_version_is_refused_and_changes_nothing(self):
        Cadre.objects.get(pk=self.cadre.pk).save()  # someone else saved: version 2
        stale = Cadre.objects.get(pk=self.cadre.pk)
        with self.assertRaises(versioning.StaleEdit):
            versioning.claim(stale, 1)
        self.assertEqual(self.version(), 2)
        versioning.claim(stale, None)  # None: the version it was read with (2)
        self.assertEqual(self.version(), 3)

    @time_machine.travel(NOW, tick=False)
    def test_the_refusal_names_who_changed_the_record_and_when(self):
        audit.record(AuditEntry.Action.UPDATE, obj=self.cadre, actor=self.bob)
        Cadre.objects.filter(pk=self.cadre.pk).update(**versioning.BUMP)
        with self.assertRaises(versioning.StaleEdit) as caught:
            versioning.claim(self.cadre, 1)
        self.assertEqual(
            str(caught.exception),
            "干部“王晓明”已被 鲍勃 于 14:02 修改，您的修改未保存。请刷新页面，在最新内容上重新编辑。",
        )
        with time_machine.travel(datetime(2027, 6, 2, 9, 0, tzinfo=NOW.tzinfo), tick=False):
            self.assertIn("于 2027-06-01 14:02 修改", str(versioning.StaleEdit(self.cadre)))

    def test_a_change_by_the_system_is_said_so(self):
        with audit.acting_as("花名册导入"):
            audit.record(AuditEntry.Action.UPDATE, obj=self.cadre)
        self.assertIn("已被 花名册导入 于", str(versioning.StaleEdit(self.cadre)))
        audit.record(AuditEntry.Action.UPDATE, obj=self.cadre)
        self.assertIn("已被 系统 于", str(versioning.StaleEdit(self.cadre)))

    def test_the_audit_log_never_records_the_version(self):
        self.cadre.current_post = "副局长"
        self.cadre.save()
        entry = AuditEntry.objects.filter(object_type="cadres.cadre").latest("pk")
        self.assertIn("current_post", entry.changes)
        self.assertNotIn("lock_version", entry.changes)
        self.cadre.save(update_fields=["current_post"])  # only the version changes
        self.assertEqual(self.version(), 3)
        self.assertEqual(AuditEntry.objects.filter(object_type="cadres.cadre").latest("pk"), entry)

    def test_the_api_answers_a_refusal_with_409_and_its_reason(self):
        response = exception_handler(versioning.StaleEdit(self.cadre), {})
        self.assertEqual(response.status_code, 409)
        self.assertIn("您的修改未保存", response.data["detail"])

    def test_the_openapi_document_describes_lock_version_and_the_409(self):
        response = self.client.get("/api/v1/schema/", headers={"Accept": "application/json"})
        doc = json.loads(response.content)
        patch = doc["paths"]["/api/v1/projects/{id}/"]["patch"]
        self.assertIn("409", patch["responses"])
        schemas = doc["components"]["schemas"]
        self.assertIn("lock_version", schemas["PatchedProjectChangeRequest"]["properties"])
        self.assertIn("lock_version", schemas["Project"]["properties"])
        for path, method in (
            ("/api/v1/cadres/{id}/", "put"),
            ("/api/v1/deeds/{id}/", "patch"),
            ("/api/v1/projects/{id}/move/", "post"),
            ("/api/v1/assessment/plans/{id}/items/", "post"),
        ):
            self.assertIn("409", doc["paths"][path][method]["responses"], path)
