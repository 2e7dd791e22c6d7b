"""Data-scope sweep over every URL pattern and API route (issue 11, part 3).

Every pattern of guazhi/urls.py (the API's included) is walked. A pattern whose keyword
arguments name a record must have an entry in OWNED (a record of 浑南区 that 和平区 has no
part in: the district officer `heping` gets 403 or 404 for it, by GET and by every writing
method, and nothing is written), in SHARED (reference data every district sees by design;
the page is fetched and searched for 浑南区's data like the lists) or in EXCLUDED (no record,
or public by design). A new pattern in none of them fails the test.

Then the distinctive data of those 浑南区 records (cadre names, ID and mobile numbers, project
titles, deed titles, user names) must appear in none of heping's pages, lists (every page),
exports (Excel read cell by cell, CSV), search results, the tag autocomplete and API lists.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date

from django.core.management import call_command
from django.core.paginator import Page
from django.db.models import Q
from django.test import TestCase
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from openpyxl import load_workbook

from guazhi.assessment import models as assessment
from guazhi.cadres.models import Cadre
from guazhi.core.models import AuditEntry, CalendarDay, OrgUnit, Role, User
from guazhi.deeds import models as deeds
from guazhi.programmes.models import Batch, Placement, PlacementChange, Post, Programme
from guazhi.projects import models as projects
from guazhi.records.models import DailyRecord
from guazhi.returns.models import CareerEvent, FollowUp, ReturnRecord
from guazhi.selection.models import Nomination, ReviewLevel
from guazhi.teams.models import Attachment, Meeting, Pairing, WorkTeam

WRITES = (AuditEntry.Action.CREATE, AuditEntry.Action.UPDATE, AuditEntry.Action.DELETE)


def walk(resolver=None, namespace=(), prefix=""):
    """(full name, route, keyword names) of every pattern under the root URLconf."""
    for p in (resolver or get_resolver()).url_patterns:
        if isinstance(p, URLResolver):
            ns = namespace + ((p.namespace,) if p.namespace else ())
            yield from walk(p, ns, prefix + str(p.pattern))
        else:
            name = ":".join(namespace + (p.name or "",))
            yield name, prefix + str(p.pattern), tuple(sorted(p.pattern.regex.groupindex))


class Fixture:
    """Records of 浑南区 (the other district) that 和平区 has no part in."""

    def __init__(self):
        self.hn = OrgUnit.objects.get(code="HN").path
        self.hp = OrgUnit.objects.get(code="HP").path

    def first(self, qs):
        record = qs.order_by("pk").first()
        assert record is not None, f"no 浑南区 record in {qs.model._meta.label}"
        return record

    def cadre(self):
        return self.first(Cadre.objects.filter(unit__path__startswith=self.hn))

    def placement(self):
        return self.first(Placement.objects.filter(cadre__unit__path__startswith=self.hn))

    def change(self):
        return self.first(
            PlacementChange.objects.filter(placement__cadre__unit__path__startswith=self.hn)
        )

    def nomination(self):
        return self.first(Nomination.objects.filter(nominating_unit__path__startswith=self.hn))

    def team(self):
        return self.first(WorkTeam.objects.filter(unit__path__startswith=self.hn))

    def meeting(self):
        return self.first(Meeting.objects.filter(team__unit__path__startswith=self.hn))

    def attachment(self):
        return self.first(Attachment.objects.filter(meeting__team__unit__path__startswith=self.hn))

    def pairing(self):
        return self.first(Pairing.objects.filter(team__unit__path__startswith=self.hn))

    def record(self):
        return self.first(DailyRecord.objects.filter(cadre__unit__path__startswith=self.hn))

    def return_record(self):
        return self.first(
            ReturnRecord.objects.filter(placement__cadre__unit__path__startswith=self.hn)
        )

    def follow_up(self):
        return self.first(
            FollowUp.objects.filter(return_record__placement__cadre__unit__path__startswith=self.hn)
        )

    def career_event(self):
        return self.first(CareerEvent.objects.filter(cadre__unit__path__startswith=self.hn))

    def plan(self):
        return self.first(
            assessment.Plan.objects.filter(placement__cadre__unit__path__startswith=self.hn)
        )

    def quarter_result(self):
        return self.first(
            assessment.QuarterResult.objects.filter(
                placement__cadre__unit__path__startswith=self.hn
            )
        )

    def entry(self):
        return self.first(
            assessment.Entry.objects.filter(placement__cadre__unit__path__startswith=self.hn)
        )

    def score(self):
        return self.first(
            assessment.IndicatorScore.objects.filter(
                entry__placement__cadre__unit__path__startswith=self.hn
            )
        )

    def rating(self):
        return self.first(
            assessment.Rating.objects.filter(
                entry__placement__cadre__unit__path__startswith=self.hn
            ).exclude(rater__unit__path__startswith=self.hp)
        )

    def appeal(self):
        return self.first(
            assessment.Appeal.objects.filter(
                entry__placement__cadre__unit__path__startswith=self.hn
            )
        )

    def projects(self):
        hp = self.hp
        return projects.Project.objects.filter(unit__path__startswith=self.hn).exclude(
            Q(
                pk__in=projects.Credit.objects.filter(cadre__unit__path__startswith=hp).values(
                    "project_id"
                )
            )
            | Q(
                pk__in=projects.TaskForceMember.objects.filter(
                    Q(cadre__unit__path__startswith=hp) | Q(unit__path__startswith=hp)
                ).values("project_id")
            )
            | Q(owner__unit__path__startswith=hp)
            | Q(found_by__unit__path__startswith=hp)
        )

    def project(self):
        return self.first(self.projects())

    def of_project(self, model):
        return self.first(model.objects.filter(project__in=self.projects()))

    def deed(self):
        return self.first(deeds.Deed.objects.filter(unit__path__startswith=self.hn))

    def evidence(self):
        return self.first(deeds.Evidence.objects.filter(deed__unit__path__startswith=self.hn))

    def lookback(self):
        return self.first(deeds.LookBack.objects.filter(deed__unit__path__startswith=self.hn))

    def rectification(self):
        return self.first(deeds.Rectification.objects.filter(deed__unit__path__startswith=self.hn))

    def deed_appeal(self):
        return self.first(deeds.Appeal.objects.filter(rating__deed__unit__path__startswith=self.hn))

    def unit(self):
        return self.first(OrgUnit.objects.filter(path__startswith=self.hn))

    def user(self):
        return self.first(User.objects.filter(unit__path__startswith=self.hn))

    def audit_entry(self):
        # The audit log is the auditor's alone (SPEC §3): any entry stands for 浑南区's.
        return self.first(AuditEntry.objects.filter(object_type__startswith="cadres"))

    def batch(self):
        return self.placement().batch

    def programme(self):
        return Programme.objects.order_by("pk").first()


def pk(getter: str) -> Callable:
    def kwargs(f: Fixture):
        record = getattr(f, getter)()
        return {"pk": record.pk}, record

    return kwargs


def project_part(model) -> Callable:
    def kwargs(f: Fixture):
        record = f.of_project(model)
        return {"pk": record.pk}, record

    return kwargs


def placement_as(name: str) -> Callable:
    def kwargs(f: Fixture):
        record = f.placement()
        return {name: record.pk}, record

    return kwargs


def change(change_name: str) -> Callable:
    def kwargs(f: Fixture):
        record = f.change()
        return {"pk": record.placement_id, change_name: record.pk}, record

    return kwargs


def entry_score(f: Fixture):
    record = f.score()
    return {"pk": record.entry_id, "item_pk": record.item_id}, record


def quarter_propose(f: Fixture):
    record = f.quarter_result()
    return {
        "pk": record.placement.batch_id,
        "year": record.year,
        "quarter": record.quarter,
        "placement_pk": record.placement_id,
    }, record


def evidence_photo(f: Fixture):
    record = f.evidence()
    return {"pk": record.deed_id, "evidence": record.pk}, record


def reveal(f: Fixture):
    record = f.cadre()
    return {"pk": record.pk, "field": "id_number"}, record


# Each pattern that names a record of one district → the 浑南区 record to ask for.
OWNED: dict[str, Callable] = {
    # pages
    "cadres:detail": pk("cadre"),
    "cadres:edit": pk("cadre"),
    "cadres:reveal": reveal,
    "cadres:lrmx": pk("cadre"),
    "cadres:pool_join": pk("cadre"),
    "cadres:pool_leave": pk("cadre"),
    "programmes:placement": pk("placement"),
    "programmes:placement_finish": pk("placement"),
    "programmes:placement_change": pk("placement"),
    "programmes:placement_change_decide": change("change_pk"),
    "programmes:placement_change_cancel": change("change_pk"),
    "selection:detail": pk("nomination"),
    "selection:decide": pk("nomination"),
    "selection:withdraw": pk("nomination"),
    "teams:detail": pk("team"),
    "teams:edit": pk("team"),
    "teams:branch": pk("team"),
    "teams:calendar": pk("team"),
    "teams:meetings": pk("team"),
    "teams:meeting_create": pk("team"),
    "teams:pairing_create": pk("team"),
    "teams:meeting": pk("meeting"),
    "teams:meeting_edit": pk("meeting"),
    "teams:meeting_delete": pk("meeting"),
    "teams:attachment_add": pk("meeting"),
    "teams:attachment": pk("attachment"),
    "teams:attachment_delete": pk("attachment"),
    "teams:pairing": pk("pairing"),
    "teams:checkin_add": pk("pairing"),
    "teams:pairing_close": pk("pairing"),
    "records:detail": pk("record"),
    "records:edit": pk("record"),
    "records:delete": pk("record"),
    "records:comment": pk("record"),
    "returns:placement": placement_as("placement_id"),
    "returns:edit": placement_as("placement_id"),
    "returns:follow_up": pk("follow_up"),
    "returns:event_edit": pk("career_event"),
    "assessment:plan": pk("placement"),
    "assessment:plan_start": pk("placement"),
    "assessment:plan_edit": pk("placement"),
    "assessment:plan_agree": pk("plan"),
    "assessment:plan_approve": pk("plan"),
    "assessment:plan_save_template": pk("plan"),
    "assessment:quarter_propose": quarter_propose,
    "assessment:entry": pk("entry"),
    "assessment:entry_score": entry_score,
    "assessment:entry_summary": pk("entry"),
    "assessment:entry_form_xlsx": pk("entry"),
    "assessment:entry_form_pdf": pk("entry"),
    "assessment:appeal_create": pk("entry"),
    "assessment:rating_submit": pk("rating"),
    "assessment:appeal": pk("appeal"),
    "assessment:appeal_decide": pk("appeal"),
    "projects:detail": pk("project"),
    "projects:edit": pk("project"),
    "projects:move": pk("project"),
    "projects:terminate": pk("project"),
    "projects:reopen": pk("project"),
    "projects:member_add": pk("project"),
    "projects:member_remove": project_part(projects.TaskForceMember),
    "projects:task_add": pk("project"),
    "projects:task_edit": project_part(projects.Task),
    "projects:blocker_add": pk("project"),
    "projects:blocker": project_part(projects.Blocker),
    "projects:update_add": pk("project"),
    "projects:credit_add": pk("project"),
    "projects:credit_remove": project_part(projects.Credit),
    "deeds:detail": pk("deed"),
    "deeds:edit": pk("deed"),
    "deeds:evidence_add": pk("deed"),
    "deeds:target_add": pk("deed"),
    "deeds:status": pk("deed"),
    "deeds:evidence_photo": pk("evidence"),
    "deeds:lookback": pk("lookback"),
    "deeds:rectification": pk("rectification"),
    "deeds:rater_reveal": pk("rectification"),
    "deeds:appeal": pk("deed_appeal"),
    "reports:cadre_pdf": pk("cadre"),
    "core:unit_detail": pk("unit"),
    "core:unit_edit": pk("unit"),
    "core:user_detail": pk("user"),
    "core:user_edit": pk("user"),
    "core:user_unlock": pk("user"),
    "core:user_roles": pk("user"),
    "core:user_reveal_mobile": pk("user"),
    "core:audit_detail": pk("audit_entry"),
    # API
    "cadre-detail": pk("cadre"),
    "placement-detail": pk("placement"),
    "placement-change-request": pk("placement"),
    "placement-change-decide": change("change_id"),
    "placement-finish": pk("placement"),
    "nomination-detail": pk("nomination"),
    "nomination-decide": pk("nomination"),
    "nomination-withdraw": pk("nomination"),
    "team-detail": pk("team"),
    "meeting-detail": pk("meeting"),
    "pairing-detail": pk("pairing"),
    "pairing-check-ins": pk("pairing"),
    "dailyrecord-detail": pk("record"),
    "dailyrecord-comment": pk("record"),
    "careerevent-detail": pk("career_event"),
    "returnrecord-detail": pk("return_record"),
    "assessment-plan-detail": pk("plan"),
    "assessment-plan-agree": pk("plan"),
    "assessment-plan-approve": pk("plan"),
    "assessment-plan-items": pk("plan"),
    "assessment-quarterresult-detail": pk("quarter_result"),
    "assessment-entry-detail": pk("entry"),
    "assessment-entry-integrity": pk("entry"),
    "assessment-entry-scores": pk("entry"),
    "assessment-entry-summary": pk("entry"),
    "assessment-myrating-detail": pk("rating"),
    "assessment-myrating-submit": pk("rating"),
    "assessment-appeal-detail": pk("appeal"),
    "assessment-appeal-decide": pk("appeal"),
    "project-detail": pk("project"),
    "project-history": pk("project"),
    "project-move": pk("project"),
    "project-reopen": pk("project"),
    "project-terminate": pk("project"),
    "projecttask-detail": project_part(projects.Task),
    "projectblocker-detail": project_part(projects.Blocker),
    "projectblocker-escalate": project_part(projects.Blocker),
    "projectblocker-resolve": project_part(projects.Blocker),
    "projectblocker-respond": project_part(projects.Blocker),
    "projectmember-detail": project_part(projects.TaskForceMember),
    "projectcredit-detail": project_part(projects.Credit),
    "projectupdate-detail": project_part(projects.ProjectUpdate),
    "deed-detail": pk("deed"),
    "deed-change-status": pk("deed"),
    "deed-figures": pk("deed"),
    "deed-progress": pk("deed"),
    "deed-progress-photo": evidence_photo,
    "deed-ratings": pk("deed"),
    "deed-targets": pk("deed"),
    "deedlookback-detail": pk("lookback"),
    "deedlookback-conclude": pk("lookback"),
    "deedrectification-detail": pk("rectification"),
    "deedrectification-callback": pk("rectification"),
    "deedrectification-done": pk("rectification"),
    "deedrectification-reveal": pk("rectification"),
    "deedappeal-detail": pk("deed_appeal"),
    "deedappeal-decide": pk("deed_appeal"),
    "orgunit-detail": pk("unit"),
    "user-detail": pk("user"),
}


def batch_as(name: str) -> Callable:
    def kwargs(f: Fixture):
        record = f.batch()
        return {name: record.pk}, record

    return kwargs


def programme_as(name: str) -> Callable:
    def kwargs(f: Fixture):
        record = f.programme()
        return {name: record.pk}, record

    return kwargs


def first_of(model, name: str = "pk") -> Callable:
    def kwargs(f: Fixture):
        record = model.objects.order_by("pk").first()
        return {name: record.pk}, record

    return kwargs


def quarter(f: Fixture):
    record = f.quarter_result()
    return {
        "pk": record.placement.batch_id,
        "year": record.year,
        "quarter": record.quarter,
    }, record


def round_(f: Fixture):
    record = assessment.Round.objects.filter(entries__in=[f.entry()]).first()
    return {"pk": record.pk}, record


# Shared by design: the programme, its batches, posts, review levels, rhythm and policies (the
# city's reference data, every district sees them — SPEC §4.2), the enterprise directory and
# the events (projects/access.py), the indicator library, stages, roles and the calendar
# (one for the platform), and the assessment rounds and quarters of a batch (shared by every
# district whose cadres are in it; each sees only its own rows in them). GET must not show
# 浑南区's data; writes are the city's (checked by the apps' own tests).
SHARED: dict[str, Callable] = {
    "programmes:detail": programme_as("pk"),
    "programmes:edit": programme_as("pk"),
    "programmes:batch_create": programme_as("programme_pk"),
    "programmes:batch": batch_as("pk"),
    "programmes:batch_edit": batch_as("pk"),
    "programmes:batch_composition_export": batch_as("pk"),
    "programmes:post_create": batch_as("batch_pk"),
    "programmes:post_edit": first_of(Post),
    "programmes:post_delete": first_of(Post),
    "selection:levels": programme_as("programme_pk"),
    "selection:match": batch_as("batch_pk"),
    "selection:match_rule": batch_as("batch_pk"),
    "selection:match_decide_all": batch_as("batch_pk"),
    "teams:rhythm": programme_as("programme_pk"),
    "assessment:indicator_edit": first_of(assessment.Indicator),
    "assessment:policy": programme_as("pk"),
    "assessment:plans": batch_as("pk"),
    "assessment:plans_start": batch_as("pk"),
    "assessment:quarters": batch_as("pk"),
    "assessment:quarter": quarter,
    "assessment:quarter_confirm": quarter,
    "assessment:round_create": batch_as("pk"),
    "assessment:round": round_,
    "assessment:round_compute": round_,
    "assessment:round_decide": round_,
    "assessment:round_results_xlsx": round_,
    "projects:enterprise": first_of(projects.Enterprise),
    "projects:enterprise_edit": first_of(projects.Enterprise),
    "projects:contact_add": first_of(projects.Enterprise),
    "projects:contact_edit": first_of(projects.EnterpriseContact),
    "projects:contact_reveal": first_of(projects.EnterpriseContact),
    "projects:event": first_of(projects.Event),
    "projects:event_edit": first_of(projects.Event),
    "projects:settings": programme_as("programme_id"),
    "core:role_edit": first_of(Role),
    "core:calendar_edit": first_of(CalendarDay),
    "core:calendar_delete": first_of(CalendarDay),
    "programme-detail": programme_as("pk"),
    "batch-detail": batch_as("pk"),
    "batch-composition": batch_as("pk"),
    "post-detail": first_of(Post),
    "batch-match": batch_as("pk"),
    "batch-match-compare": batch_as("pk"),
    "batch-match-confirm": batch_as("pk"),
    "batch-match-rules": batch_as("pk"),
    "assessment-indicator-detail": first_of(assessment.Indicator),
    "assessment-round-detail": round_,
    "assessment-round-compute": round_,
    "assessment-round-confirm": round_,
    "enterprise-detail": first_of(projects.Enterprise),
    "enterprise-contacts": first_of(projects.Enterprise),
    "enterprisecontact-detail": first_of(projects.EnterpriseContact),
    "enterprisecontact-reveal": first_of(projects.EnterpriseContact),
    "projectstage-detail": first_of(projects.Stage),
    "projectevent-detail": first_of(projects.Event),
}

# Patterns whose keyword arguments name no record of a district.
EXCLUDED = {
    # Public by design (SPEC §3: the public rates a deed through its public page; the key is
    # the deed's public key, the token a panel member's or a rater's own invitation).
    "deeds_public_api:code": "public deed page (public key)",
    "deeds_public_api:ratings": "public deed page (public key)",
    "deeds_public:deed": "public deed page (public key)",
    "deeds_public:code": "public deed page (public key)",
    "deeds_public:qr": "public deed page (public key)",
    "deeds_public:panel": "a panel member's own invitation token",
    "deeds_public:panel_rate": "a panel member's own invitation token",
    "deeds_public:rerate": "a rater's own re-rating token",
    # A file format or a report's name, no record: swept as lists and exports below.
    "cadres:export": "file format",
    "reports:page": "report name",
    "reports:export": "report name and file format",
    "api-root": "DRF format suffix",
    "orgunit-list": "DRF format suffix",
    "user-list": "DRF format suffix",
    "user-me": "DRF format suffix (the user himself)",
}

# No-argument GETs not fetched in the leak sweep: they change the session or the account.
NOT_FETCHED = {
    "core:logout": "logs out",
    "set_language": "changes the session's language",
    "core:token_regenerate": "writes a new API token",
    "core:token_revoke": "revokes the API token",
    "core:otp_disable": "changes the second factor",
    "core:notice_read": "marks notices read",
    "api-token": "obtains a token (POST)",
}


def body_text(response) -> str:
    """A response as text: HTML/JSON/CSV decoded, Excel read cell by cell."""
    data = (
        b"".join(response.streaming_content)
        if getattr(response, "streaming", False)
        else response.content
    )
    kind = response.get("Content-Type", "")
    if "spreadsheetml" in kind or data[:2] == b"PK":
        workbook = load_workbook(io.BytesIO(data), read_only=True)
        return "\n".join(
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        )
    if "pdf" in kind:
        return ""  # PDFs are drawn, not searched here; the cadre PDF is in OWNED
    text = data.decode("utf-8-sig", errors="replace")
    if "json" in kind:
        return json.dumps(json.loads(text), ensure_ascii=False) if text else ""
    if "csv" in kind:
        return "\n".join(",".join(row) for row in csv.reader(io.StringIO(text)))
    return text


def add_other_district_records():
    """Records of 浑南区 for the kinds the demo has none of (its work teams are the city's)."""
    f = Fixture()
    hn_unit = OrgUnit.objects.get(code="HN")
    hunnan = User.objects.get(username="hunnan")
    # The demo's work teams are the city's; one becomes 浑南区's so teams, meetings,
    # attachments and pairings have a record of the other district.
    team = WorkTeam.objects.order_by("pk").first()
    WorkTeam.objects.filter(pk=team.pk).update(unit=hn_unit)
    meeting = Meeting.objects.filter(team=team).first()
    Attachment.objects.create(
        meeting=meeting,
        file="teams/scope-sweep.pdf",
        name="浑南区会议纪要.pdf",
        content_type="application/pdf",
        size=1,
        uploaded_by=hunnan,
    )
    entry = f.entry()
    assessment.Appeal.objects.create(
        entry=entry, reason="浑南区的申诉理由", filed_by=hunnan, old_grade="称职"
    )
    deed = f.deed()
    deeds.Evidence.objects.create(deed=deed, date=date(2026, 5, 1), note="浑南区的进展", by=hunnan)
    ratings = deeds.Rating.objects.filter(deed__unit__path__startswith=f.hn)
    rating = ratings.filter(rectification__isnull=True).order_by("pk").first()
    deeds.Rectification.objects.create(
        rating=rating,
        deed=rating.deed,
        unit=rating.deed.unit,
        opened_on=date(2026, 5, 1),
        deadline=date(2026, 5, 15),
        rerate_token="scope-sweep-token",
    )
    deeds.Appeal.objects.create(
        rating=rating, reason="浑南区的申诉", filed_by=hunnan, filed_at=timezone.now()
    )
    CalendarDay.objects.create(
        date=date(2026, 10, 1),
        kind=CalendarDay.Kind.HOLIDAY,
        name="国庆节",
        created_by=hunnan,
        updated_by=hunnan,
    )
    assert ReviewLevel.objects.exists() and Batch.objects.exists()


class DataScopeSweepTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("demo", "--no-serve", stdout=open("/dev/null", "w"))  # noqa: SIM115
        add_other_district_records()

    def setUp(self):
        self.heping = User.objects.get(username="heping")
        self.client.force_login(self.heping)
        self.f = Fixture()

    # --- the routes -----------------------------------------------------------------------

    def patterns(self):
        return list(walk())

    def test_every_pattern_with_a_record_argument_is_in_the_registry(self):
        named = [(n, r, k) for n, r, k in self.patterns() if k]
        missing = [
            f"{n} ({r})" for n, r, k in named if n not in OWNED | SHARED and n not in EXCLUDED
        ]
        self.assertEqual(
            missing,
            [],
            f"{len(named)} patterns take arguments: {len(missing)} are in none of OWNED, "
            "SHARED or EXCLUDED — say which 浑南区 record each one names",
        )
        stale = sorted((set(OWNED) | set(SHARED) | set(EXCLUDED)) - {n for n, _r, _k in named})
        self.assertEqual(stale, [], "registry entries for patterns that no longer exist")

    def _writes(self) -> int:
        return AuditEntry.objects.filter(action__in=WRITES).count()

    def _snapshot(self, record):
        return type(record).objects.filter(pk=record.pk).values().first()

    def test_a_district_officer_gets_403_or_404_for_every_record_of_another_district(self):
        from django.urls import reverse

        failures, covered, requests = [], set(), 0
        for name, route, keywords in self.patterns():
            if name not in OWNED or not keywords:
                continue
            kwargs, record = OWNED[name](self.f)
            if "format" in keywords:
                kwargs["format"] = "json"
            self.assertEqual(set(kwargs), set(keywords), name)
            url = reverse(name, kwargs=kwargs)
            before, writes = self._snapshot(record), self._writes()
            api = url.startswith("/api/")
            methods = ["get", "post"] + (["put", "patch", "delete"] if api else [])
            for method in methods:
                send = getattr(self.client, method)
                if method == "get":
                    response = send(url)
                elif api:
                    response = send(url, data={}, content_type="application/json")
                else:
                    response = send(url, data={})
                requests += 1
                allowed = {403, 404, 405}  # 405: a write-only route refuses GET unread
                if response.status_code not in allowed:
                    failures.append(f"{method.upper()} {url} ({name}) → {response.status_code}")
            if self._snapshot(record) != before or self._writes() != writes:
                failures.append(f"{url} ({name}): a refused request changed the record")
            covered.add(name)
        self.assertEqual(
            failures,
            [],
            f"{len(covered)} patterns of 浑南区 records, {requests} requests as heping",
        )
        self.assertEqual(covered, set(OWNED), "registry entries that matched no pattern")

    # --- the data -------------------------------------------------------------------------

    def distinctive(self) -> dict[str, str]:
        """Text of 浑南区's records → where it comes from."""
        f = self.f
        out = {}
        cadres = Cadre.objects.filter(unit__path__startswith=f.hn)
        for cadre in cadres:
            out[cadre.name] = f"cadre {cadre.pk}"
            if cadre.id_number:
                out[cadre.id_number] = f"cadre {cadre.pk} ID number"
            if cadre.mobile:
                out[cadre.mobile] = f"cadre {cadre.pk} mobile"
        for project in f.projects():
            out[project.title] = f"project {project.pk}"
        for deed in deeds.Deed.objects.filter(unit__path__startswith=f.hn):
            out[deed.title] = f"deed {deed.pk}"
        for user in User.objects.filter(unit__path__startswith=f.hn):
            out[user.full_name] = f"user {user.username}"
        for unit in OrgUnit.objects.filter(path__startswith=f.hn):
            out[unit.name] = f"unit {unit.code}"
        # A text that also belongs to a record outside 浑南区 (a namesake in another unit, an
        # enterprise contact of the same name, a word in a shared record) proves nothing.
        elsewhere = [
            *Cadre.objects.exclude(unit__path__startswith=f.hn).values_list("name", flat=True),
            *User.objects.exclude(unit__path__startswith=f.hn).values_list("full_name", flat=True),
            *OrgUnit.objects.exclude(path__startswith=f.hn).values_list("name", flat=True),
            *projects.EnterpriseContact.objects.values_list("name", flat=True),
            *projects.Enterprise.objects.values_list("name", flat=True),
            *projects.Project.objects.exclude(pk__in=f.projects()).values_list("title", flat=True),
            *deeds.Deed.objects.exclude(unit__path__startswith=f.hn).values_list(
                "title", flat=True
            ),
            *Post.objects.values_list("title", flat=True),
        ]
        # People of 浑南区 who work on a project 和平区 sees (its units' projects and those
        # credited to its cadres: projects/access.py) are shown with that project by design.
        from guazhi.projects.access import projects_for

        shared = projects_for(self.heping)
        elsewhere += [
            *Cadre.objects.filter(
                Q(task_forces__project__in=shared)
                | Q(project_credits__project__in=shared)
                | Q(found_projects__in=shared)
            ).values_list("name", flat=True),
            *User.objects.filter(
                Q(pk__in=shared.values("owner"))
                | Q(pk__in=projects.Task.objects.filter(project__in=shared).values("owner"))
                | Q(pk__in=projects.Blocker.objects.filter(project__in=shared).values("owner"))
                | Q(pk__in=projects.ProjectUpdate.objects.filter(project__in=shared).values("by"))
            ).values_list("full_name", flat=True),
            *OrgUnit.objects.filter(
                Q(pk__in=shared.values("unit"))
                | Q(
                    pk__in=projects.TaskForceMember.objects.filter(project__in=shared).values(
                        "unit"
                    )
                )
                | Q(cadres__task_forces__project__in=shared)
                | Q(cadres__project_credits__project__in=shared)
            ).values_list("name", flat=True),
        ]
        # A career event of another district's cadre may name a 浑南区 unit in its own words
        # (the demo transfers a few cadres "交流到浑南区商务局任职"): that text is the event's.
        elsewhere += CareerEvent.objects.exclude(cadre__unit__path__startswith=f.hn).values_list(
            "description", flat=True
        )
        corpus = "\n".join(elsewhere)
        return {text: where for text, where in out.items() if text and text not in corpus}

    def pages(self):
        """Every no-argument GET of the site as heping, each list page by page; the
        reports and the cadre roster in every format."""
        from django.urls import reverse

        from guazhi.reports.reports import REPORTS

        urls = []
        for name, route, keywords in self.patterns():
            if keywords or name in NOT_FETCHED or name.startswith("deeds_public"):
                continue
            if "<" in route or "(?P" in route:
                continue
            urls.append((name, reverse(name)))
        for fmt in ("xlsx", "csv"):
            urls.append(("cadres:export", reverse("cadres:export", kwargs={"fmt": fmt})))
        for slug in REPORTS:
            urls.append(("reports:page", reverse("reports:page", kwargs={"slug": slug})))
            for fmt in ("xlsx", "csv"):
                urls.append(
                    ("reports:export", reverse("reports:export", kwargs={"slug": slug, "fmt": fmt}))
                )
        for name, _route, _keywords in self.patterns():
            if name in SHARED and keywords:
                kwargs, _record = SHARED[name](self.f)
                urls.append((name, reverse(name, kwargs=kwargs)))
        return urls

    def fetch_all(self, url):
        """The page and its further pages (HTML lists by ?page=, API lists by `next`)."""
        response = self.client.get(url)
        yield response
        if response.status_code != 200:
            return
        if url.startswith("/api/"):
            seen = 0
            while seen < 50 and "json" in response.get("Content-Type", ""):
                body = response.json()
                following = body.get("next") if isinstance(body, dict) else None
                if not following:
                    return
                response = self.client.get(following)
                seen += 1
                yield response
            return
        context = response.context
        contexts = [] if context is None else context if isinstance(context, list) else [context]
        page = next(
            (v for c in contexts for v in c.flatten().values() if isinstance(v, Page)), None
        )
        if page is None:
            return
        joiner = "&" if "?" in url else "?"
        for number in range(2, min(page.paginator.num_pages, 40) + 1):
            yield self.client.get(f"{url}{joiner}page={number}")

    def assert_no_leak(self, sources, secrets, label):
        leaks = []
        for source, response in sources:
            if response.status_code >= 500:
                leaks.append(f"{source} → {response.status_code}")
                continue
            if response.status_code != 200:
                continue
            text = body_text(response)
            leaks += [f"{source}: {secrets[s]} «{s}»" for s in secrets if s in text]
        return leaks

    def report(self, leaks, summary):
        if leaks:
            self.fail(f"{summary}; {len(leaks)} leaks:\n" + "\n".join(leaks[:60]))

    def test_another_districts_data_appears_in_none_of_a_district_officers_pages(self):
        secrets = self.distinctive()
        leaks, fetched = [], 0
        for name, url in self.pages():
            for response in self.fetch_all(url):
                fetched += 1
                leaks += self.assert_no_leak([(f"{name} {url}", response)], secrets, name)
        self.report(
            leaks, f"{len(secrets)} distinctive texts of 浑南区 searched in {fetched} responses"
        )
        self.assertGreater(fetched, 150)

    def test_another_districts_data_is_found_by_no_search_or_autocomplete(self):
        from django.urls import reverse

        secrets = self.distinctive()
        kinds = {"cadre": 2, "project": 1, "deed": 1, "user": 1}
        terms = [
            text
            for kind, many in kinds.items()
            for text in sorted(
                t
                for t, where in secrets.items()
                if where.split()[0] == kind and len(where.split()) == 2
            )[:many]
        ]
        self.assertEqual(len(terms), 5, terms)
        lists = [
            reverse(name)
            for name, route, keywords in self.patterns()
            if not keywords
            and name not in NOT_FETCHED
            and not name.startswith("deeds_public")
            and "<" not in route
            and "(?P" not in route
            and (name.endswith(("list", "s", "pool", "board", "funnel")) or name.endswith("-list"))
        ]
        leaks, searched = [], 0

        control = "无此记录无此记录"
        echoes = {}

        def search(url, term):
            """What a search (`q`, the search field of every list and API list) finds of
            浑南区: any distinctive text but the term, and the term itself more often than a
            term that matches nothing is echoed back (in the search box)."""
            nonlocal searched
            found = self.client.get(url, {"q": term})
            searched += 1
            if found.status_code >= 500:
                return [f"{url}?q={term} → {found.status_code}"]
            if found.status_code != 200:
                return []
            if url not in echoes:
                echoes[url] = body_text(self.client.get(url, {"q": control})).count(control)
            text = body_text(found)
            out = [
                f"{url}?q={term}: {secrets[s]} «{s}»" for s in secrets if s != term and s in text
            ]
            if text.count(term) > echoes[url]:
                out.append(f"{url}?q={term}: found ({text.count(term)} > {echoes[url]} echoes)")
            return out

        for url in [*lists, reverse("cadres:tags")]:
            for term in terms:
                leaks += search(url, term)
        self.report(
            leaks, f"{len(terms)} search terms of 浑南区 in {len(lists)} lists: {searched} searches"
        )
