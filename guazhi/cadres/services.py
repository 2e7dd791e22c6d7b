"""Cadre workflows shared by the form, the API, the roster import and the .lrmx import:
validate, create-or-update by ID number (writing nothing when nothing changed), reveal
personal fields (audited), reserve-pool entry and exit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from guazhi.core import audit, versioning
from guazhi.core.access import scope_for
from guazhi.core.models import AuditEntry, OrgUnit, User

from . import normalise
from .models import AnnualAssessment, Cadre, ExpertiseTag, PoolMembership, Rank, ResumeEntry

# Plain model fields a CadreData may carry (besides the personal and related ones).
SCALAR_FIELDS = [
    "name",
    "gender",
    "birth",
    "ethnicity",
    "native_place",
    "birthplace",
    "political_status",
    "party_join",
    "work_start",
    "health",
    "fulltime_education",
    "fulltime_degree",
    "fulltime_school",
    "inservice_education",
    "inservice_degree",
    "inservice_school",
    "professional_title",
    "specialty",
    "current_post",
    "rewards",
    "assessment_text",
]


class CadreError(Exception):
    """A rule refused the action; `problems` lists (field, reason) in Chinese."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("；".join(reason for _f, reason in problems))


@dataclass
class CadreData:
    """A cadre as the importers and forms produce it: already normalised values.

    `resume`, `annual` and `tags` set to None mean "leave as they are"."""

    id_number: str
    unit: OrgUnit
    values: dict = field(default_factory=dict)
    rank: Rank | None = None
    mobile: str | None = None
    tags: list[ExpertiseTag] | None = None
    resume: list[tuple[date, date | None, str]] | None = None
    annual: list[tuple[int, str]] | None = None


def validate(data: CadreData) -> list[tuple[str, str]]:
    """Rules across fields. Returns (field, reason) pairs; empty when valid."""
    v = data.values
    problems = []
    try:
        normalise.normalise_id_number(data.id_number)
    except normalise.Invalid as exc:
        return [("id_number", str(exc))]
    for required, label in (("name", "姓名"), ("gender", "性别"), ("birth", "出生年月")):
        if not v.get(required):
            problems.append((required, f"{label}不能为空"))
    problems += normalise.cross_check_id(data.id_number, v.get("birth"), v.get("gender"))
    birth = v.get("birth")
    today = timezone.localdate()
    if birth and birth > today:
        problems.append(("birth", "出生年月不能晚于今天"))
    for key, label, min_age in (("work_start", "参加工作时间", 14), ("party_join", "入党时间", 18)):
        when = v.get(key)
        if when and birth and when.year - birth.year < min_age:
            problems.append((key, f"{label} {when:%Y.%m} 早于 {min_age} 周岁，请核对"))
        if when and when > today:
            problems.append((key, f"{label}不能晚于今天"))
    for start, _end, _content in data.resume or []:
        if birth and start < birth:
            problems.append(("resume", f"简历起始年月 {start:%Y.%m} 早于出生年月"))
            break
    return problems


def _can_write(by: User | None, unit: OrgUnit, perm: str) -> bool:
    return by is None or scope_for(by, perm).covers_unit(unit)


@transaction.atomic
def cadre_save(
    *,
    data: CadreData,
    by: User | None,
    cadre: Cadre | None = None,
    lock_version: int | None = None,
) -> tuple[Cadre, str]:
    """Create the cadre, or update the one with this ID number (or `cadre`). Returns the
    cadre and "created", "updated" or "unchanged". `by=None` is a trusted system caller.
    `lock_version` is the version an edit form or API client loaded: a cadre saved since
    then is refused (versioning.StaleEdit); any change raises the version."""
    problems = validate(data)
    if problems:
        raise CadreError(problems)
    if cadre is None:
        cadre = Cadre.objects.filter(id_number_hash=Cadre.hash_id_number(data.id_number)).first()
    elif cadre.id_number_hash != Cadre.hash_id_number(data.id_number):
        other = Cadre.objects.filter(id_number_hash=Cadre.hash_id_number(data.id_number))
        if other.exclude(pk=cadre.pk).exists():
            raise CadreError([("id_number", "该身份证号已属于另一名干部")])
    created = cadre is None
    if created:
        if not _can_write(by, data.unit, "cadres.add_cadre"):
            raise PermissionDenied
        cadre = Cadre(unit=data.unit)
    else:
        if not _can_write(by, cadre.unit, "cadres.change_cadre") or not _can_write(
            by, data.unit, "cadres.change_cadre"
        ):
            raise PermissionDenied
        if lock_version is not None:
            versioning.claim(cadre, lock_version)

    changed = created
    for name in SCALAR_FIELDS:
        if name in data.values and getattr(cadre, name) != data.values[name]:
            setattr(cadre, name, data.values[name])
            changed = True
    if cadre.unit_id != data.unit.pk:
        cadre.unit = data.unit
        changed = True
    if cadre.rank_id != (data.rank.pk if data.rank else None):
        cadre.rank = data.rank
        changed = True
    if created or cadre.id_number != data.id_number:
        cadre.id_number = data.id_number
        changed = True
    if data.mobile is not None and (created or cadre.mobile != data.mobile):
        cadre.mobile = data.mobile
        changed = True
    if changed:
        cadre.save()

    related_changed = False
    if data.tags is not None:
        current = set(cadre.tags.values_list("pk", flat=True)) if not created else set()
        wanted = {t.pk for t in data.tags}
        if current != wanted:
            cadre.tags.set(data.tags)
            related_changed = True
    if data.resume is not None:
        current = [(e.start, e.end, e.content) for e in cadre.resume.all()] if not created else []
        if current != list(data.resume):
            cadre.resume.all().delete()
            ResumeEntry.objects.bulk_create(
                [
                    ResumeEntry(cadre=cadre, start=s, end=e, content=c, sort=i)
                    for i, (s, e, c) in enumerate(data.resume)
                ]
            )
            audit.record(
                AuditEntry.Action.UPDATE,
                obj=cadre,
                actor=by,
                changes={
                    "resume": [
                        current and normalise.format_resume(current),
                        normalise.format_resume(data.resume),
                    ]
                },
            )
            related_changed = True
    if data.annual is not None:
        current = (
            sorted((a.year, a.result) for a in cadre.annual_results.all()) if not created else []
        )
        if current != sorted(data.annual):
            cadre.annual_results.all().delete()
            AnnualAssessment.objects.bulk_create(
                [AnnualAssessment(cadre=cadre, year=y, result=r) for y, r in data.annual]
            )
            audit.record(
                AuditEntry.Action.UPDATE,
                obj=cadre,
                actor=by,
                changes={"annual_results": [dict(current), dict(sorted(data.annual))]},
            )
            related_changed = True
    if created:
        return cadre, "created"
    if related_changed and not changed:
        cadre.save(update_fields=["updated_at"])  # the profile changed: a new version
    return cadre, "updated" if (changed or related_changed) else "unchanged"


def reveal(*, cadre: Cadre, by: User, field: str) -> str:
    """The full ID number or mobile: needs the reveal permission over the cadre; audited."""
    from .access import can

    if field not in {"id_number", "mobile"}:
        raise ValueError(field)
    if not can(by, "cadres.reveal_cadre_personal", cadre):
        raise PermissionDenied
    label = "身份证号" if field == "id_number" else "手机号"
    audit.record(
        AuditEntry.Action.REVEAL,
        obj=cadre,
        actor=by,
        message=f"查看完整{label}",
        changes={"field": field},
    )
    return getattr(cadre, field)


# --- reserve pool ----------------------------------------------------------------------------


@transaction.atomic
def pool_join(
    *,
    cadre: Cadre,
    level: str,
    joined_on: date,
    recommending_unit: OrgUnit,
    by: User,
    note: str = "",
) -> PoolMembership:
    from .access import can

    if not can(by, "cadres.manage_pool", cadre):
        raise PermissionDenied
    if cadre.pool_memberships.filter(left_on__isnull=True).exists():
        raise CadreError([("pool", f"{cadre.name}已在储备库中")])
    if joined_on > timezone.localdate():
        raise CadreError([("joined_on", "入库日期不能晚于今天")])
    return PoolMembership.objects.create(
        cadre=cadre,
        level=level,
        joined_on=joined_on,
        recommending_unit=recommending_unit,
        note=note,
    )


@transaction.atomic
def pool_leave(*, cadre: Cadre, left_on: date, reason: str, by: User) -> PoolMembership:
    from .access import can

    if not can(by, "cadres.manage_pool", cadre):
        raise PermissionDenied
    stay = cadre.pool_memberships.select_for_update().filter(left_on__isnull=True).first()
    if stay is None:
        raise CadreError([("pool", f"{cadre.name}不在储备库中")])
    if not reason.strip():
        raise CadreError([("left_reason", "出库需要填写原因")])
    if left_on < stay.joined_on:
        raise CadreError([("left_on", "出库日期不能早于入库日期")])
    stay.left_on, stay.left_reason = left_on, reason.strip()
    stay.save()
    return stay


def rotate_keys() -> int:
    """Re-encrypt every cadre's personal fields with the primary key (see crypto.py)."""
    from guazhi.core import crypto

    count = 0
    with transaction.atomic():
        for cadre in (
            Cadre.objects.select_for_update()
            .only("pk", "id_number_encrypted", "mobile_encrypted")
            .iterator(chunk_size=1000)
        ):
            Cadre.objects.filter(pk=cadre.pk).update(
                id_number_encrypted=crypto.rotate(cadre.id_number_encrypted),
                mobile_encrypted=crypto.rotate(cadre.mobile_encrypted),
            )
            count += 1
        audit.record(
            AuditEntry.Action.SECURITY,
            object_type="cadres.cadre",
            message=f"个人信息字段重新加密 {count} 条",
        )
    return count
