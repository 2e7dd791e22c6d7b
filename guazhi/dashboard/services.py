"""The leader dashboard's figures: one programme seen through the viewer's data scope.

Every figure comes from the owning app's access.py (so a district leader counts only his
district's records) and carries the URL of the list behind it, filtered to the same records
(`Figure.url`), including the district and period filters (`Period`). The queries are fixed in
number whatever the size of the data (a test pins them); the page keeps the result for a
while (`cached_overview`), invalidated by any edit of the records behind it."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from urllib.parse import urlencode

from django.db.models import Count, Q, Sum
from django.urls import reverse

from guazhi.assessment import access as assessment_access
from guazhi.assessment import services as assessment_services
from guazhi.cadres.models import Cadre
from guazhi.core import figurecache
from guazhi.deeds import access as deeds_access
from guazhi.deeds import services as deeds_services
from guazhi.programmes import access as programmes_access
from guazhi.programmes.models import Placement, Programme
from guazhi.projects import access as projects_access
from guazhi.projects import services as projects_services
from guazhi.returns import access as returns_access
from guazhi.returns import services as returns_services


def _url(name: str, *args, **params) -> str:
    url = reverse(name, args=args)
    params = {k: v for k, v in params.items() if v not in (None, "")}
    params = {k: v.isoformat() if isinstance(v, date) else v for k, v in params.items()}
    return f"{url}?{urlencode(params)}" if params else url


@dataclass
class Figure:
    label: str
    value: int | Decimal | str | None
    url: str = ""


@dataclass
class BatchRow:
    batch_id: int
    label: str
    sent: Figure
    on_post: Figure
    young: Figure
    young_share: str
    cohorts: list[Figure]


@dataclass(frozen=True)
class Period:
    """The district and period filters, applied to each app's records and carried into the
    links so that a list shows what its number counted."""

    district: str = ""
    start: date | None = None
    end: date | None = None

    def __bool__(self) -> bool:
        return bool(self.district or self.start or self.end)

    def placements(self, qs):
        if self.district:
            qs = qs.filter(cadre__unit__region=self.district)
        if self.end:
            qs = qs.filter(start__lte=self.end)
        if self.start:
            qs = qs.filter(
                Q(actual_end__gte=self.start)
                | Q(actual_end__isnull=True, planned_end__gte=self.start)
            )
        return qs

    def placement_params(self) -> dict:
        return {"region": self.district, "on_from": self.start, "on_to": self.end}

    def projects(self, qs):
        if self.district:
            qs = qs.filter(district=self.district)
        if self.start:
            qs = qs.filter(found_on__gte=self.start)
        if self.end:
            qs = qs.filter(found_on__lte=self.end)
        return qs

    def project_params(self) -> dict:
        return {"district": self.district, "found_from": self.start, "found_to": self.end}

    def deeds(self, qs):
        if self.district:
            qs = qs.filter(unit__region=self.district)
        if self.start:
            qs = qs.filter(opened_on__gte=self.start)
        if self.end:
            qs = qs.filter(opened_on__lte=self.end)
        return qs

    def deed_params(self) -> dict:
        return {"district": self.district, "opened_from": self.start, "opened_to": self.end}

    def rounds(self, qs):
        if self.start:
            qs = qs.filter(period_end__gte=self.start)
        if self.end:
            qs = qs.filter(period_start__lte=self.end)
        return qs

    def events(self, qs):
        if self.start:
            qs = qs.filter(date__gte=self.start)
        if self.end:
            qs = qs.filter(date__lte=self.end)
        return qs


@dataclass
class Overview:
    programme: Programme | None
    programmes: list[Programme]
    period: Period = field(default_factory=Period)
    districts: list[str] = field(default_factory=list)
    batch: object = None
    batch_choices: list = field(default_factory=list)
    cadres: Figure | None = None
    batches: list[BatchRow] = field(default_factory=list)
    units: list[Figure] = field(default_factory=list)
    stages: list[dict] = field(default_factory=list)
    lights: list[Figure] = field(default_factory=list)
    projects: Figure | None = None
    signed: Figure | None = None
    landed: Figure | None = None
    big_landed: Figure | None = None  # landed with at least 1亿元 in place
    big_recent: list[Figure] = field(default_factory=list)  # the latest of them
    events: list[Figure] = field(default_factory=list)
    grades: list[Figure] = field(default_factory=list)
    round_label: str = ""
    deeds: deeds_services.Figures | None = None
    deeds_url: str = ""
    rating_levels: list[Figure] = field(default_factory=list)
    targets: list[dict] = field(default_factory=list)
    promoted: Figure | None = None
    promoted_by_batch: list[Figure] = field(default_factory=list)


YI = Decimal(10000)  # 1亿元 in 万元


def _share(n: int, total: int) -> str:
    return f"{Decimal(100) * n / total:.1f}%" if total else "—"


def overview(
    user,
    programme_id: int | None = None,
    batch_id: int | None = None,
    *,
    district: str = "",
    start: date | None = None,
    end: date | None = None,
) -> Overview:
    """The figures of one programme (default: the one with the most placements in scope),
    optionally of one of its batches, one district and one period.

    A district (区县) is the region of the cadre's sending unit, the project's landing
    district and the region of the deed's responsible unit. The period keeps the placements
    on post at some time in it, the projects found in it, the deeds registered in it, the
    latest round whose assessment period overlaps it and the career events dated in it."""
    programmes = list(programmes_access.programmes_for(user).order_by("-is_active", "name"))
    placements = programmes_access.placements_for(user)
    if programme_id is not None:
        programme = next((p for p in programmes if p.pk == programme_id), None)
    else:  # the programme with the most placements in the viewer's scope
        busiest = (
            placements.values("batch__programme").annotate(n=Count("pk")).order_by("-n").first()
        )
        first = busiest["batch__programme"] if busiest else None
        programme = next(
            (p for p in programmes if p.pk == first), programmes[0] if programmes else None
        )
    result = Overview(
        programme=programme,
        programmes=programmes,
        period=Period(district, start, end),
    )
    if programme is None:
        return result
    result.districts = _districts(user, programme)
    result.batch_choices = list(
        programmes_access.batches_for(user).filter(programme=programme).order_by("number")
    )
    batch = next((b for b in result.batch_choices if b.pk == batch_id), None)
    result.batch = batch
    # One batch: its placements, projects, rounds, deeds of its cadres and its returns.
    only = {"batch": batch} if batch else {}
    placements = placements.filter(batch__programme=programme, **only)
    _cadres(result, user, programme, result.period.placements(placements))
    if user.has_perm("projects.view_project"):
        _projects(result, user, programme, batch)
    if user.has_perm("assessment.view_round"):
        _grades(result, user, programme, batch)
    if user.has_perm("deeds.view_deed"):
        _deeds(result, user, batch)
    if user.has_perm("returns.view_careerevent"):
        _returns(result, user, programme, batch)
    return result


def _districts(user, programme: Programme) -> list[str]:
    """The district choices: the regions of the sending units of the programme's cadres in
    scope and the landing districts of its projects in scope."""
    regions = set(
        programmes_access.placements_for(user)
        .filter(batch__programme=programme)
        .order_by()
        .values_list("cadre__unit__region", flat=True)
        .distinct()
    )
    if user.has_perm("projects.view_project"):
        regions.update(
            projects_access.projects_for(user)
            .filter(programme=programme)
            .order_by()
            .values_list("district", flat=True)
            .distinct()
        )
    return sorted(r for r in regions if r)


def _cadres(result: Overview, user, programme: Programme, placements) -> None:
    rows = list(
        placements.order_by("batch__number").values_list(
            "batch_id", "batch__number", "batch__start", "cadre__birth", "status",
            "cadre__unit__short_name", "cadre__unit__name",
        )
    )  # fmt: skip
    period = result.period
    around = period.placement_params()
    result.cadres = Figure(
        "选派干部",
        placements.values("cadre_id").distinct().count(),
        _url("programmes:placements", programme=programme.pk, **around)
        if period
        else reverse("programmes:detail", args=[programme.pk]),
    )
    by_batch: dict[int, list] = defaultdict(list)
    for row in rows:
        by_batch[row[0]].append(row)
    for batch_id, items in by_batch.items():
        number, start = items[0][1], items[0][2]
        label = f"第{number}批"
        # Batch.is_young's rule, on the ages as the cadre forms count them (Cadre.age_on).
        young = sum(1 for r in items if Cadre.age_at(r[3], start) <= programme.young_age_max)
        cohorts = Counter(f"{r[3].year // 10 % 10}0后" for r in items)
        on_post = sum(1 for r in items if r[4] == Placement.Status.ON_POST)  # as its link
        batch_url = _url("programmes:placements", batch=batch_id, **around)
        result.batches.append(
            BatchRow(
                batch_id=batch_id,
                label=label,
                sent=Figure(label, len(items), batch_url),
                on_post=Figure(
                    "在岗",
                    on_post,
                    _url("programmes:placements", batch=batch_id, status="on_post", **around),
                ),
                young=Figure("年轻干部", young, reverse("programmes:batch", args=[batch_id])),
                young_share=_share(young, len(items)),
                cohorts=[
                    Figure(
                        cohort,
                        n,
                        _url("programmes:placements", batch=batch_id, cohort=cohort, **around),
                    )
                    for cohort, n in sorted(cohorts.items())
                ],
            )
        )
    units = Counter(r[5] or r[6] for r in rows)
    result.units = [Figure(name, n) for name, n in units.most_common(10)]


def _projects(result: Overview, user, programme: Programme, batch) -> None:
    qs = result.period.projects(projects_access.projects_for(user).filter(programme=programme))
    if batch is not None:
        qs = qs.filter(batch=batch)
    qs = _settled(qs)
    b = batch.pk if batch else None
    around = result.period.project_params()
    by_stage = {
        row["stage_id"]: row
        for row in qs.values("stage_id").annotate(
            n=Count("pk"),
            active=Count("pk", filter=Q(status="active")),
            planned=Sum("planned_amount"),
            signed=Sum("signed_amount"),
            landed=Sum("landed_amount"),
        )
    }
    for stage in programme.stages.order_by("order"):
        row = by_stage.get(stage.pk, {})
        result.stages.append(
            {
                "figure": Figure(
                    stage.name,
                    row.get("active", 0),
                    _url("projects:list", stage=stage.pk, batch=b, **around),
                ),
                "amount": row.get("planned") or Decimal(0),
            }
        )
    total = qs.aggregate(n=Count("pk"), signed=Sum("signed_amount"), landed=Sum("landed_amount"))
    result.projects = Figure("合作项目", total["n"], _url("projects:list", batch=b, **around))
    result.signed = Figure(
        "签约金额（万元）", total["signed"] or Decimal(0), _url("projects:funnel")
    )
    result.landed = Figure(
        "到位资金（万元）", total["landed"] or Decimal(0), _url("projects:funnel")
    )
    lights = Counter(
        projects_services.with_light(qs.filter(status="active")).values_list("light", flat=True)
    )
    names = {"green": "绿灯", "yellow": "黄灯", "red": "红灯"}
    result.lights = [
        Figure(names[key], lights.get(key, 0), _url("projects:list", light=key, batch=b, **around))
        for key in names
    ]
    big = qs.filter(landed_on__isnull=False, landed_amount__gte=YI)
    result.big_landed = Figure(
        "亿元以上落地项目", big.count(), _url("projects:list", batch=b, **around)
    )
    result.big_recent = [
        Figure(p.title, p.landed_amount, reverse("projects:detail", args=[p.pk]))
        for p in big.order_by("-landed_on", "-pk").only("title", "landed_amount")[:8]
    ]
    events = (
        projects_access.events_for(user)
        .filter(programme=programme)
        .annotate(n=Count("signed_projects", filter=Q(signed_projects__in=qs)))
        .filter(n__gt=0)
        .order_by("-n", "-date")[:5]
    )
    result.events = [Figure(e.name, e.n, reverse("projects:event", args=[e.pk])) for e in events]


SETTLE_LIMIT = 1_000


def _settled(qs):
    """A scope that is more than a plain filter (a district officer's projects: his units',
    those he owns, works on, leads a team for …) costs its subqueries in each of the section's
    queries; up to SETTLE_LIMIT projects it is worked out once, as a list of ids. Above, an
    id list costs more than the subqueries. One query either way (the count stays fixed)."""
    ids = list(qs.order_by().values_list("pk", flat=True)[: SETTLE_LIMIT + 1])
    if len(ids) > SETTLE_LIMIT:
        return qs
    return qs.model.objects.filter(pk__in=ids)


def _grades(result: Overview, user, programme: Programme, batch) -> None:
    period = result.period
    rounds = period.rounds(assessment_access.rounds_for(user).filter(batch__programme=programme))
    if batch is not None:
        rounds = rounds.filter(batch=batch)
    last = (
        rounds.filter(status="confirmed").order_by("-period_end", "-pk").first()
        or rounds.order_by("-period_end", "-pk").first()
    )
    if last is None:
        return
    result.round_label = str(last)
    url = reverse("assessment:round", args=[last.pk])
    result.grades = [
        Figure(grade, n, url)
        for grade, n in assessment_services.grade_distribution(last, period.district).items()
    ]


def _deeds(result: Overview, user, batch) -> None:
    deeds = result.period.deeds(deeds_access.deeds_for(user))
    if batch is not None:  # the deeds its cadres are responsible for
        deeds = deeds.filter(cadre__placements__batch=batch).distinct()
    result.deeds = deeds_services.figures(deeds)
    result.deeds_url = reverse("deeds:figures")
    from guazhi.deeds.models import Level

    result.rating_levels = [
        Figure(
            label,
            result.deeds.ratings.counts[value],
            _url("deeds:list", **result.period.deed_params()),
        )
        for value, label in Level.choices
    ]
    from guazhi.deeds.models import Target

    for target in (
        Target.objects.filter(deed__in=deeds).select_related("deed").order_by("-planned")[:6]
    ):
        result.targets.append(
            {
                "deed": Figure(
                    target.deed.title, None, reverse("deeds:detail", args=[target.deed_id])
                ),
                "name": target.name,
                "planned": target.planned,
                "achieved": target.achieved,
                "unit": target.unit_label,
            }
        )


def _returns(result: Overview, user, programme: Programme, batch) -> None:
    placements = returns_access.placements_for(user).filter(batch__programme=programme)
    if batch is not None:
        placements = placements.filter(batch=batch)
    if result.period.district:
        placements = placements.filter(cadre__unit__region=result.period.district)
    outcomes = returns_services.outcome_statistics(
        placements, result.period.events(returns_access.events_for(user))
    )
    url = _url("returns:outcomes")
    for outcome in outcomes:
        if outcome.programme.pk != programme.pk:
            continue
        result.promoted = Figure("提拔或重用", outcome.total.promoted_or_reused, url)
        result.promoted_by_batch = [
            Figure(row.label, row.promoted_or_reused, url) for row in outcome.rows
        ]


# --- cache ------------------------------------------------------------------------------------

# The version, watched apps and signal receiver live in core/figurecache.py (the funnel uses
# them too); the names stay here for the dashboard's readers.
VERSION_KEY = figurecache.VERSION_KEY
WATCHED_APPS = figurecache.WATCHED_APPS
WATCHED_MODELS = figurecache.WATCHED_MODELS
data_changed = figurecache.data_changed


def cache_key(user, **filters) -> str:
    """The key of a viewer's figures under the current version, day and filters. The page
    keeps its rendered body under the same key (templates/dashboard/index.html, `{% cache %}`),
    so an edit that makes the figures stale makes the body stale with them."""
    return figurecache.key("dashboard", user, **filters)


def cached_overview(user, *, key: str | None = None, **filters) -> Overview:
    """`overview()` kept for DASHBOARD_CACHE_SECONDS per viewer, filters and day, until a
    record behind it changes (core/figurecache.py). `key`: `cache_key(user, **filters)` when
    the caller has it already (the page keeps its body under it too)."""
    key = key or cache_key(user, **filters)
    return figurecache.get_or_build(key, lambda: overview(user, **filters))
