"""Two people changing the same deed: the edit form, the status form and the API carry the
version (lock_version) they were loaded with; the second of two saves from the same version
is refused with who changed the deed and when, and the deed keeps the first one's values —
the same for a form opened before a status change or a look-back that sent the deed back.
On PostgreSQL, two status changes at the same moment queue on the deed's row."""

from __future__ import annotations

import re
import threading
import time
from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine
from django.db import connection, connections, transaction
from django.test import Client, TransactionTestCase

from guazhi.core.models import OrgUnit, User
from guazhi.core.versioning import StaleEdit

from .. import services
from ..models import Deed, StatusChange
from .helpers import DeedsTestCase
from .test_api import DeedsApiCase

NOW = datetime(2027, 6, 1, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def shown_version(response) -> str:
    found = re.search(r'name="lock_version" value="(\d+)"', response.content.decode())
    assert found, "the form carries no lock_version"
    return found.group(1)


def status(kind):
    return next(s for s in services.statuses() if s.kind == kind)


@time_machine.travel(NOW, tick=False)
class DeedFormTests(DeedsTestCase):
    def setUp(self):
        self.pipes = self.deed()
        self.alice_client = self.login(self.alice, Client())
        self.bob_client = self.login(self.bob, Client())
        self.edit = f"/deeds/{self.pipes.pk}/edit/"

    def edit_data(self, version, **changes):
        d = self.pipes
        data = {
            "title": d.title,
            "content": d.content,
            "source": d.source,
            "category": d.category,
            "urgent": "on" if d.urgent else "",
            "location": d.location,
            "unit": d.unit_id,
            "cadre": d.cadre_id or "",
            "promised_on": d.promised_on.isoformat(),
            "lock_version": version,
        }
        return {**data, **changes}

    def test_two_officers_edit_the_same_deed_and_the_second_save_is_refused(self):
        loaded = shown_version(self.alice_client.get(self.edit))
        self.assertEqual(loaded, shown_version(self.bob_client.get(self.edit)))
        first = self.alice_client.post(self.edit, self.edit_data(loaded, location="文萃小区东区"))
        self.assertEqual(first.status_code, 302)
        second = self.bob_client.post(self.edit, self.edit_data(loaded, location="文萃小区西区"))
        self.assertEqual(second.status_code, 200)
        self.assertContains(second, "已被 艾丽丝 于 10:00 修改，您的修改未保存")
        self.assertContains(second, 'value="文萃小区西区"')  # bob's input is kept
        self.assertEqual(Deed.objects.get(pk=self.pipes.pk).location, "文萃小区东区")

    def test_an_edit_form_opened_before_a_status_change_is_refused(self):
        loaded = shown_version(self.bob_client.get(self.edit))
        services.status_change(
            deed=self.pipes, to_status=status("closed"), by=self.alice, note="并入其他实事"
        )
        stale = self.bob_client.post(self.edit, self.edit_data(loaded, title="改名"))
        self.assertContains(stale, "您的修改未保存")
        self.assertEqual(Deed.objects.get(pk=self.pipes.pk).title, "老旧小区管网改造")

    def test_a_status_form_opened_before_another_status_change_is_refused(self):
        page = f"/deeds/{self.pipes.pk}/"
        alice_loaded = shown_version(self.alice_client.get(page))
        bob_loaded = shown_version(self.bob_client.get(page))
        url = f"/deeds/{self.pipes.pk}/status/"
        steps = StatusChange.objects.filter(deed=self.pipes).count()
        self.alice_client.post(
            url,
            {"to_status": status("closed").pk, "day": "2027-06-01", "note": "并入其他实事"},
        )
        self.assertEqual(Deed.objects.get(pk=self.pipes.pk).status.kind, "closed")
        response = self.bob_client.post(
            url,
            {
                "to_status": status("done").pk,
                "day": "2027-06-01",
                "note": "已完工",
                "lock_version": bob_loaded,
            },
            follow=True,
        )
        self.assertContains(response, "您的修改未保存")
        self.assertEqual(Deed.objects.get(pk=self.pipes.pk).status.kind, "closed")
        self.assertEqual(StatusChange.objects.filter(deed=self.pipes).count(), steps + 1)
        self.assertNotEqual(alice_loaded, shown_version(self.bob_client.get(page)))


class DeedApiVersionTests(DeedsApiCase):
    def test_a_stale_patch_is_409_and_the_deed_keeps_the_first_values(self):
        url = self.url(self.pipes)
        loaded = self.ok(self.api(self.alice, "get", url))["lock_version"]
        self.ok(self.api(self.alice, "patch", url, {"location": "东区", "lock_version": loaded}))
        stale = self.api(self.bob, "patch", url, {"location": "西区", "lock_version": loaded})
        self.assertEqual(stale.status_code, 409)
        self.assertIn("您的修改未保存", stale.json()["detail"])
        self.assertEqual(Deed.objects.get(pk=self.pipes.pk).location, "东区")

    def test_a_status_change_from_a_stale_version_is_409(self):
        url = self.url(self.pipes)
        loaded = self.ok(self.api(self.alice, "get", url))["lock_version"]
        self.api(self.alice, "patch", url, {"title": "管网改造一期"})
        stale = self.api(
            self.bob,
            "post",
            self.url(self.pipes, "status/"),
            {"to_status": self.status("closed").pk, "note": "并入", "lock_version": loaded},
        )
        self.assertEqual(stale.status_code, 409)
        self.assertEqual(Deed.objects.get(pk=self.pipes.pk).status.kind, "open")


class ConcurrentStatusChangeTests(TransactionTestCase):
    """Committed rows, so that two sessions change the deed's status at the same time."""

    def setUp(self):
        if connection.vendor != "postgresql":
            self.skipTest("PostgreSQL only: two sessions holding row locks")
        self.unit = OrgUnit.objects.create(code="DEED-RACE", name="并发状态测试", kind="sending")
        self.user = User.objects.create(username="deed-race", unit=self.unit)
        self.statuses = not services.statuses()  # made here, removed by the teardown
        self.deed = Deed.objects.create(
            title="并发状态", content="-", source="visit", category="housing", location="-",
            unit=self.unit, opened_on=date(2026, 1, 5), promised_on=date(2026, 3, 1),
            status=services.first_open(), created_by=self.user, public_key="deed-race",
        )  # fmt: skip

    def _fixture_teardown(self):
        # Not Django's flush (the audit log's append-only trigger refuses it).
        from ..models import LookBack, Status

        StatusChange.objects.filter(deed__public_key="deed-race").delete()
        LookBack.objects.filter(deed__public_key="deed-race").delete()
        Deed.objects.filter(public_key="deed-race").delete()
        if getattr(self, "statuses", False):
            Status.objects.all().delete()
        User.objects.filter(username="deed-race").delete()
        OrgUnit.objects.filter(code="DEED-RACE").delete()

    def test_two_status_changes_at_once_queue_and_the_history_does_not_fork(self):
        moved = threading.Event()
        outcome = {}

        def change(name, kind, note):
            try:
                with transaction.atomic():
                    outcome[name] = services.status_change(
                        deed=self.deed, to_status=status(kind), by=self.user, note=note
                    )
                    if name == "first":
                        moved.set()
                        time.sleep(0.5)
            except Exception as exc:  # noqa: BLE001 — asserted below
                outcome[name] = exc
                moved.set()
            finally:
                connections.close_all()

        def second():
            moved.wait(timeout=5)
            change("second", "closed", "并入其他实事")

        threads = [
            threading.Thread(target=change, args=("first", "done", "已完工")),
            threading.Thread(target=second),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=20)
        self.assertIsInstance(outcome["first"], StatusChange)
        self.assertIsInstance(outcome["second"], StatusChange, repr(outcome["second"]))
        steps = list(
            StatusChange.objects.filter(deed=self.deed)
            .order_by("pk")
            .values_list("from_status__kind", "to_status__kind")
        )
        self.assertEqual(steps, [("open", "done"), ("done", "closed")])

    def test_a_stale_status_change_waiting_behind_another_is_refused(self):
        loaded = Deed.objects.get(pk=self.deed.pk).lock_version
        services.status_change(
            deed=self.deed, to_status=status("done"), by=self.user, note="已完工"
        )
        with self.assertRaises(StaleEdit):
            services.status_change(
                deed=self.deed,
                to_status=status("closed"),
                by=self.user,
                note="并入",
                lock_version=loaded,
            )
