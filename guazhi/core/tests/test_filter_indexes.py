"""Every filter the UI and the API offer is backed by an index (issue 10, "indexes and plans").

The filters are found, not listed: every django-filter FilterSet of the guazhi apps (the list
pages' filter forms and the API's `filterset_class`) and the FilterSets DRF builds from the
API viewsets' `filterset_fields`. For each filter the column it compares is resolved (through
joins: `placement__batch_id` is Placement.batch_id) and must lead an index of its table: a
primary key, a foreign key (Django indexes those), a `db_index`/unique field, the first field
of a `Meta.indexes` entry or of a unique constraint. A filter implemented by a method names its
columns in METHOD_COLUMNS. Text searches (`contains`/`icontains`, LIKE '%…%') need a trigram
index on PostgreSQL: they are listed in TRIGRAM (made by the migrations named there; the test
checks pg_indexes when it runs on PostgreSQL). A filter that needs no index of its own is in
NO_INDEX with the reason. A new filter on an unindexed column fails here until it gets an
index or a reason; a stale entry in the lists fails too.
"""

from __future__ import annotations

import importlib

import django_filters
from django.apps import apps
from django.db import connection, models
from django.test import SimpleTestCase, TestCase
from django.urls import get_resolver
from django_filters.rest_framework import DjangoFilterBackend

TEXT_LOOKUPS = {"contains", "icontains"}
RANGE_LOOKUPS = {"exact", "gte", "lte", "gt", "lt", "in", "isnull", "startswith"}

# Filters implemented by a method: the columns ("app.Model.column") the method compares.
METHOD_COLUMNS: dict[str, list[str]] = {
    # cadre list
    "cadres.forms.CadreFilter.q": ["cadres.Cadre.name_initials", "cadres.Cadre.name"],
    "cadres.forms.CadreFilter.unit": ["core.OrgUnit.path", "cadres.Cadre.unit_id"],
    "cadres.forms.CadreFilter.cohort": ["cadres.Cadre.birth"],
    "cadres.forms.CadreFilter.pool": ["cadres.PoolMembership.cadre_id"],
    "cadres.forms.CadreFilter.latest_result": ["cadres.AnnualAssessment.cadre_id"],
    # sort orders: name_initials, birth, unit_id (+ name_initials), rank's order, updated_at
    "cadres.forms.CadreFilter.sort": [
        "cadres.Cadre.name_initials",
        "cadres.Cadre.birth",
        "cadres.Cadre.unit_id",
        "cadres.Cadre.updated_at",
    ],
    "core.forms.UserFilter.unit": ["core.OrgUnit.path", "core.User.unit_id"],
    "core.forms.AuditFilter.since": ["core.AuditEntry.at"],
    "core.forms.AuditFilter.until": ["core.AuditEntry.at"],
    # deeds: under an open status and promised before today
    "deeds.api.DeedFilter.unit": ["core.OrgUnit.path", "deeds.Deed.unit_id"],
    "deeds.api.DeedFilter.overdue": ["deeds.Deed.status_id", "deeds.Deed.promised_on"],
    "deeds.forms.DeedFilter.overdue": ["deeds.Deed.status_id", "deeds.Deed.promised_on"],
    "deeds.api.DeedFilter.q": ["deeds.Deed.title", "deeds.Deed.location"],
    "deeds.forms.DeedFilter.q": ["deeds.Deed.title", "deeds.Deed.location"],
    # open and past the deadline: rectification_status_idx (status, deadline)
    "deeds.api.RectificationFilter.overdue": ["deeds.Rectification.status"],
    "deeds.api.LookBackFilter.due": ["deeds.LookBack.due_on"],
    # projects: the light is computed from status and last progress (project_light_idx)
    "projects.api.ProjectFilter.light": ["projects.Project.status"],
    "projects.forms.ProjectFilter.light": ["projects.Project.status"],
    "projects.api.ProjectFilter.cadre": [
        "projects.Project.found_by_id",
        "projects.Credit.cadre_id",
    ],
    "projects.forms.ProjectFilter.cadre": ["projects.Credit.cadre_id", "cadres.Cadre.name"],
    "projects.forms.ProjectFilter.mine": ["projects.Project.owner_id"],
    "projects.api.ProjectFilter.q": ["projects.Project.title", "projects.Enterprise.name"],
    "projects.forms.ProjectFilter.q": ["projects.Project.title", "projects.Enterprise.name"],
    "projects.api.EnterpriseFilter.q": [
        "projects.Enterprise.name",
        "projects.Enterprise.credit_code",
    ],
    "projects.forms.EnterpriseFilter.q": [
        "projects.Enterprise.name",
        "projects.Enterprise.credit_code",
    ],
    # records: a week is a date range; "uncommented" has its partial index
    "records.api.DailyRecordFilter.week": ["records.DailyRecord.date"],
    "records.forms.RecordFilter.week": ["records.DailyRecord.date"],
    "records.forms.RecordFilter.uncommented": ["records.DailyRecord.commented_at"],
    "programmes.forms.PlacementFilter.cohort": ["cadres.Cadre.birth"],
    "returns.forms.LedgerFilter.returned": ["returns.ReturnRecord.placement_id"],
    "returns.forms.LedgerFilter.follow_up": ["returns.FollowUp.due_on"],
    # the review queue: pending nominations at a level whose role the user holds
    "selection.api.NominationFilter.waiting_for_me": [
        "selection.Nomination.status",
        "selection.Nomination.level_id",
    ],
    "selection.forms.NominationFilter.waiting": [
        "selection.Nomination.status",
        "selection.Nomination.level_id",
    ],
}

# Text searches (LIKE '%…%'): a trigram GIN index on PostgreSQL (pg_trgm; the migrations
# named), by column, with the filters that search it. A B-tree cannot serve a LIKE with a
# leading wildcard. Two characters give no trigram: a one- or two-character search still
# reads the table (a surname search on the cadre list); three and more use the index.
TRIGRAM: dict[str, list[str]] = {
    # cadres/migrations/0005_filter_indexes.py
    "cadres.Cadre.name": [
        "cadres.forms.CadreFilter.q",
        "programmes.forms.PlacementFilter.q",
        "records.forms.RecordFilter.q",
        "returns.forms.LedgerFilter.q",
        "selection.forms.NominationFilter.q",
        "projects.forms.ProjectFilter.cadre",
    ],
    # projects/migrations/0003_filter_indexes.py (also upper(…) for the API's icontains)
    "projects.Project.title": ["projects.api.ProjectFilter.q", "projects.forms.ProjectFilter.q"],
    "projects.Enterprise.name": [
        "projects.api.ProjectFilter.q",
        "projects.forms.ProjectFilter.q",
        "projects.api.EnterpriseFilter.q",
        "projects.forms.EnterpriseFilter.q",
    ],
    "projects.Enterprise.credit_code": [
        "projects.api.EnterpriseFilter.q",
        "projects.forms.EnterpriseFilter.q",
    ],
    # deeds/migrations/0004_filter_indexes.py
    "deeds.Deed.title": ["deeds.api.DeedFilter.q", "deeds.forms.DeedFilter.q"],
    "deeds.Deed.location": ["deeds.api.DeedFilter.q", "deeds.forms.DeedFilter.q"],
}

SMALL = "a small table (at province scale: {}): read whole, an index would not be used"
AFTER = "low selectivity, applied after {} (indexed) has narrowed the rows"

# Filters that need no index of their own, and why.
NO_INDEX: dict[str, str] = {
    # configuration and reference tables: tens to a few thousand rows
    "assessment.api.IndicatorFilter.dimension": SMALL.format("tens of indicators"),
    "assessment.api.IndicatorFilter.kind": SMALL.format("tens of indicators"),
    "assessment.api.IndicatorFilter.is_active": SMALL.format("tens of indicators"),
    "assessment.api.RoundFilter.kind": SMALL.format("a few rounds a batch"),
    "assessment.api.RoundFilter.year": SMALL.format("a few rounds a batch"),
    "assessment.api.RoundFilter.status": SMALL.format("a few rounds a batch"),
    "core.api.OrgUnitViewSet.filterset_fields.kind": SMALL.format("hundreds of units"),
    "core.api.OrgUnitViewSet.filterset_fields.is_active": SMALL.format("hundreds of units"),
    "core.forms.UnitFilter.kind": SMALL.format("hundreds of units"),
    "core.forms.UnitFilter.is_active": SMALL.format("hundreds of units"),
    "core.forms.UnitFilter.q": SMALL.format("hundreds of units"),
    "deeds.forms.DeedFilter.district": SMALL.format("hundreds of units")
    + "; the deeds are then reached by deed_unit_status_idx",
    "programmes.forms.PlacementFilter.region": SMALL.format("hundreds of units")
    + "; placements by cadre, cadres by unit (foreign keys)",
    "core.api.UserViewSet.filterset_fields.is_active": SMALL.format("a few thousand accounts"),
    "core.forms.UserFilter.is_active": SMALL.format("a few thousand accounts"),
    "core.forms.UserFilter.q": SMALL.format("a few thousand accounts"),
    "core.forms.UserFilter.locked": SMALL.format("a few thousand accounts"),
    "programmes.api.ProgrammeViewSet.filterset_fields.is_active": SMALL.format("tens"),
    "deeds.api.PanelMemberFilter.active": SMALL.format("a panel of tens"),
    "deeds.api.DeedFilter.kind": SMALL.format("the statuses, about ten")
    + "; deeds then by status_id (deed_unit_status_idx, foreign key)",
    "deeds.forms.DeedFilter.kind": SMALL.format("the statuses, about ten")
    + "; deeds then by status_id (foreign key)",
    "projects.api.EventFilter.kind": SMALL.format("tens of events a programme"),
    "teams.api.MeetingFilter.kind": AFTER.format("the team (meeting_team_kind_date)"),
    "teams.forms.MeetingFilter.kind": AFTER.format("the team (meeting_team_kind_date)"),
    "teams.forms.MeetingFilter.q": AFTER.format("the team's meetings (tens a year)"),
    "teams.forms.TeamFilter.q": SMALL.format("one team per batch and place, hundreds"),
    "teams.api.PairingFilter.status": AFTER.format("the team (foreign key)"),
    # the rest of a scoped list: the rows the user may see, narrowed first by an indexed
    # scope (batch, placement, round, project, deed, entry), then these are read
    "assessment.api.AppealFilter.status": AFTER.format("the round's entries"),
    "assessment.api.EntryFilter.grade": AFTER.format("the round (foreign key)"),
    "assessment.api.MyRatingFilter.submitted": AFTER.format("the rater (foreign key)"),
    "assessment.api.PlanFilter.status": AFTER.format("the placement or batch"),
    "assessment.api.QuarterResultFilter.year": AFTER.format("the placement or batch"),
    "assessment.api.QuarterResultFilter.quarter": AFTER.format("the placement or batch"),
    "assessment.api.QuarterResultFilter.status": AFTER.format("the placement or batch"),
    "deeds.api.AppealFilter.decided": AFTER.format("the deed's ratings"),
    "deeds.api.LookBackFilter.done": AFTER.format("the deed"),
    "projects.api.BlockerFilter.escalated": AFTER.format("the project"),
    "projects.api.TaskFilter.status": AFTER.format("the project"),
    "returns.api.CareerEventFilter.kind": AFTER.format("the cadre or placement"),
    "programmes.forms.PlacementFilter.on_from": AFTER.format("the batch"),
    "programmes.forms.PlacementFilter.on_to": AFTER.format("the batch"),
    # whole-table filters of a lower selectivity than a sequential read pays for
    "cadres.forms.CadreFilter.education": "a quarter to half of the cadres match one level, "
    "in either of two columns: a sequential read of 20,000 rows (a few ms) is the plan",
    "deeds.api.DeedFilter.source": AFTER.format("the unit (deed_unit_status_idx)")
    + "; five sources",
    "deeds.forms.DeedFilter.source": AFTER.format("the unit (deed_unit_status_idx)")
    + "; five sources",
    "deeds.api.DeedFilter.urgent": AFTER.format("the unit (deed_unit_status_idx)"),
    "deeds.forms.DeedFilter.urgent": AFTER.format("the unit (deed_unit_status_idx)"),
    "records.api.DailyRecordFilter.category": AFTER.format("the cadre or the date"),
    "records.forms.RecordFilter.category": AFTER.format("the cadre or the date"),
    "records.api.DailyRecordFilter.evidence": AFTER.format("the cadre or the date"),
    "records.forms.RecordFilter.evidence": AFTER.format("the cadre or the date"),
    "projects.api.EnterpriseFilter.sector": SMALL.format("thousands of enterprises"),
    "projects.forms.EnterpriseFilter.sector": SMALL.format("thousands of enterprises"),
    # the audit log: an investigator's rare filters, always with a time range in practice
    "core.forms.AuditFilter.object_id": "read with the object type: audit_object_idx "
    "(object_type, object_id)",
    "core.forms.AuditFilter.ip": AFTER.format("the time range (at)") + "; a rare filter",
}


def _import_filter_modules() -> None:
    for app in apps.get_app_configs():
        if app.name.startswith("guazhi."):
            for module in ("forms", "api", "views", "filters"):
                try:
                    importlib.import_module(f"{app.name}.{module}")
                except ModuleNotFoundError as e:
                    if e.name != f"{app.name}.{module}":
                        raise


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _url_patterns(patterns):
    for p in patterns:
        if hasattr(p, "url_patterns"):
            yield from _url_patterns(p.url_patterns)
        else:
            yield p


def filtersets() -> dict[str, type]:
    """Every FilterSet the UI and the API use, by a stable key (module.Class)."""
    _import_filter_modules()
    found = {}
    for fs in _subclasses(django_filters.FilterSet):
        module = fs.__module__
        if module.startswith("guazhi.") and ".tests" not in module and fs._meta.model is not None:
            found[f"{fs.__module__.removeprefix('guazhi.')}.{fs.__name__}"] = fs
    seen = set()
    for pattern in _url_patterns(get_resolver().url_patterns):
        view = getattr(pattern.callback, "cls", None)
        if view is None or view in seen or not getattr(view, "filterset_fields", None):
            continue
        seen.add(view)
        model = view.serializer_class.Meta.model
        fs = DjangoFilterBackend().get_filterset_class(view, model._default_manager.none())
        found[f"{view.__module__.removeprefix('guazhi.')}.{view.__name__}.filterset_fields"] = fs
    return found


def leading_columns(model) -> set[str]:
    """The columns of `model`'s table that lead an index (on every database)."""
    opts = model._meta
    cols = {opts.pk.column}
    for f in opts.concrete_fields:
        if f.db_index or f.unique or f.primary_key:  # ForeignKey: db_index=True by default
            cols.add(f.column)
    for index in opts.indexes:
        if index.fields:
            cols.add(opts.get_field(index.fields[0].lstrip("-")).column)
        if index.condition is not None:  # a partial index holds exactly the rows it names
            cols |= {opts.get_field(name).column for name in _condition_fields(index.condition)}
    for together in opts.unique_together:
        cols.add(opts.get_field(together[0]).column)
    for constraint in opts.constraints:
        fields = getattr(constraint, "fields", None)
        if isinstance(constraint, models.UniqueConstraint) and fields:
            cols.add(opts.get_field(fields[0]).column)
    return cols


def _condition_fields(q) -> set[str]:
    names = set()
    for child in q.children:
        if isinstance(child, models.Q):
            names |= _condition_fields(child)
        else:
            names.add(child[0].split("__")[0])
    return names


def resolve(model, path: str) -> tuple[type, str, bool]:
    """(model, column, many-to-many) of a filter's field path."""
    parts = path.split("__")
    for i, part in enumerate(parts):
        field = model._meta.get_field(part)
        last = i == len(parts) - 1
        if field.many_to_many:
            return model, field.name, True
        if last:
            if field.is_relation and not field.concrete:  # a reverse relation: its FK
                return field.related_model, field.field.column, False
            return model, field.column, False
        model = field.related_model
    raise AssertionError(path)


def column_label(model, column: str) -> str:
    return f"{model._meta.app_label}.{model.__name__}.{column}"


def inventory() -> list[dict]:
    """One row per filter: its key, the columns it compares and whether an index backs them."""
    rows = []
    for fs_key, fs in sorted(filtersets().items()):
        rows += check(fs_key, fs)
    return rows


def check(fs_key: str, fs) -> list[dict]:
    rows = []
    model = fs._meta.model
    for name, f in fs.base_filters.items():
        key = f"{fs_key}.{name}"
        row = {"key": key, "columns": [], "backed": [], "unbacked": [], "reason": None}
        if key in NO_INDEX:
            row["reason"] = NO_INDEX[key]
        elif f.method is not None:
            for label in METHOD_COLUMNS.get(key, []):
                app_model, column = label.rsplit(".", 1)
                target = apps.get_model(app_model)
                row["columns"].append(label)
                backed = column in leading_columns(target) or key in TRIGRAM.get(label, [])
                row["backed" if backed else "unbacked"].append(label)
            if key not in METHOD_COLUMNS:
                row["unbacked"].append(f"method {f.method} (not in METHOD_COLUMNS)")
        else:
            target, column, m2m = resolve(model, f.field_name)
            label = column_label(target, column)
            row["columns"].append(label)
            lookups = set(f.lookup_expr.split("__"))
            if m2m:
                backed = True  # the join table's foreign keys are indexed
            elif lookups & TEXT_LOOKUPS:
                backed = key in TRIGRAM.get(label, [])
            else:
                backed = lookups <= RANGE_LOOKUPS and column in leading_columns(target)
            row["backed" if backed else "unbacked"].append(label + f" ({f.lookup_expr})")
        rows.append(row)
    return rows


class EveryFilterIsBackedByAnIndex(SimpleTestCase):
    def test_every_filter_the_ui_and_api_offer_leads_an_index_or_says_why_not(self):
        unbacked = [f"{r['key']}: {', '.join(r['unbacked'])}" for r in inventory() if r["unbacked"]]
        self.assertEqual(unbacked, [], "filters without an index (add one, or a reason)")

    def test_the_inventory_finds_the_cadre_list_and_the_api_filters(self):
        keys = {r["key"] for r in inventory()}
        self.assertIn("cadres.forms.CadreFilter.gender", keys)
        self.assertIn("cadres.api.CadreViewSet.filterset_fields.placement_status", keys)
        self.assertIn("projects.api.ProjectFilter.q", keys)
        self.assertGreater(len(keys), 150)

    def test_a_filter_on_an_unindexed_column_is_reported_and_an_indexed_one_is_not(self):
        from guazhi.deeds.models import Deed

        class Probe(django_filters.FilterSet):
            location = django_filters.CharFilter(field_name="location")  # 2nd of an index
            words = django_filters.CharFilter(field_name="title", lookup_expr="contains")
            unit = django_filters.NumberFilter(field_name="unit_id")  # a foreign key
            opened = django_filters.DateFilter(field_name="opened_on", lookup_expr="gte")
            opened_day = django_filters.NumberFilter(field_name="opened_on", lookup_expr="day")

            class Meta:
                model = Deed
                fields = []

        rows = {r["key"]: r for r in check("probe", Probe)}
        self.assertEqual(rows["probe.location"]["unbacked"], ["deeds.Deed.location (exact)"])
        self.assertEqual(rows["probe.words"]["unbacked"], ["deeds.Deed.title (contains)"])
        self.assertEqual(rows["probe.opened_day"]["unbacked"], ["deeds.Deed.opened_on (day)"])
        self.assertEqual(rows["probe.unit"]["unbacked"], [])
        self.assertEqual(rows["probe.opened"]["unbacked"], [])

    def test_the_lists_name_only_filters_that_exist(self):
        keys = {r["key"] for r in inventory()}
        listed = set(METHOD_COLUMNS) | set(NO_INDEX)
        for searches in TRIGRAM.values():
            listed |= {k for k in searches if not k.startswith("(")}
        self.assertEqual(sorted(listed - keys), [])


class TrigramIndexesExistOnPostgreSQL(TestCase):
    def test_every_searched_text_column_has_a_trigram_index(self):
        if connection.vendor != "postgresql":
            self.skipTest("trigram indexes are PostgreSQL's")
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tablename, indexdef FROM pg_indexes WHERE indexdef LIKE '%%gin_trgm_ops%%'"
            )
            defs = cursor.fetchall()
        missing = []
        for label in TRIGRAM:
            app_model, column = label.rsplit(".", 1)
            table = apps.get_model(app_model)._meta.db_table
            if not any(t == table and f"({column} gin_trgm_ops" in d for t, d in defs):
                missing.append(label)
        self.assertEqual(missing, [])


class AuditDateFilterIsARangeOnTheIndexedTime(TestCase):
    """The audit log's 起始日期/截止日期 compare `at` itself (its index), not at::date, and
    still mean whole local days."""

    def test_since_and_until_keep_the_entries_of_those_local_days_and_only_those(self):
        import datetime

        import time_machine
        from django.utils import timezone

        from guazhi.core import audit
        from guazhi.core.forms import AuditFilter
        from guazhi.core.models import AuditEntry

        def at(day, hh, mm):
            naive = datetime.datetime(2026, 3, day, hh, mm)
            return timezone.make_aware(naive)

        moments = [at(1, 0, 0), at(1, 23, 59), at(2, 0, 0), at(3, 0, 0)]
        for moment in moments:
            with time_machine.travel(moment, tick=False):
                audit.record(AuditEntry.Action.SECURITY, message=f"probe {moment:%d %H:%M}")
        probes = AuditEntry.objects.filter(message__startswith="probe ")

        def messages(**params):
            fs = AuditFilter(params, queryset=probes)
            return sorted(fs.qs.values_list("message", flat=True))

        self.assertEqual(
            messages(since="2026-03-01", until="2026-03-01"), ["probe 01 00:00", "probe 01 23:59"]
        )
        self.assertEqual(messages(since="2026-03-02"), ["probe 02 00:00", "probe 03 00:00"])
        self.assertEqual(
            messages(until="2026-03-02"), ["probe 01 00:00", "probe 01 23:59", "probe 02 00:00"]
        )
        sql = str(AuditFilter({"since": "2026-03-02"}, queryset=probes).qs.query)
        self.assertNotIn("::date", sql)
        self.assertNotIn("django_datetime_cast_date", sql)
