"""Workflows of the project closed loop (项目闭环): enterprises and their contacts, registering a
lead, moving it through the programme's stages with the evidence each stage asks for,
terminating and reopening, the task force, split tasks, blockers and the green channel,
follow-up notes, credit, events — and the figures: stall lights, the board, the funnel and
totals.

Every write is a keyword-only function that checks its rules and raises `ProjectError` with a
Chinese message (and the form field it belongs to); the caller's transaction makes a refused
write leave nothing behind. Permission checks are the caller's, through access.py, except
where a rule *is* a permission (revealing a contact's mobile).

Progress (最近进展) is the latest date of a stage change, a task created or changed, a blocker
raised or worked on, or a follow-up note; the stall light compares it with the programme's
yellow and red days (ProjectPolicy).
"""

from __future__ import annotations

import statistics
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import (
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber
from django.utils import timezone
from stdnum.cn import uscc

from guazhi.cadres.models import Cadre
from guazhi.core import audit, versioning
from guazhi.core.models import AuditEntry, OrgUnit, User
from guazhi.core.personal import normalise_mobile, validate_mobile
from guazhi.programmes.models import Placement, Programme

from .models import (
    DEFAULT_STAGES,
    Blocker,
    Credit,
    Enterprise,
    EnterpriseContact,
    Event,
    Light,
    Project,
    ProjectPolicy,
    ProjectUpdate,
    Stage,
    StageChange,
    Task,
    TaskForceMember,
)

E = Stage.Evidence


class ProjectError(Exception):
    """A rule was broken. `errors` maps form fields to messages ("" for the whole form); the
    exception's text joins them."""

    def __init__(self, message: str | dict[str, str], field: str = ""):
        self.errors = message if isinstance(message, dict) else {field: message}
        super().__init__("；".join(self.errors.values()))

    @property
    def field(self) -> str:
        return next(iter(self.errors))


def _today() -> date:
    return timezone.localdate()


def _not_future(day: date | None, label: str, field: str) -> None:
    if day is not None and day > _today():
        raise ProjectError(f"{label}不能晚于今天（{_today():%Y-%m-%d}）", field)


# --- rules per programme -----------------------------------------------------------------------


def policy_for(programme: Programme) -> ProjectPolicy:
    policy = getattr(programme, "_project_policy", None)
    if policy is None:
        policy, _created = ProjectPolicy.objects.get_or_create(programme=programme)
        programme._project_policy = policy
    return policy


def stages_for(programme: Programme) -> list[Stage]:
    """The programme's stages in order; a programme without any gets the defaults."""
    stages = list(Stage.objects.filter(programme=programme).order_by("order"))
    if not stages:
        Stage.objects.bulk_create(
            Stage(programme=programme, order=i, name=name, evidence=evidence)
            for i, (name, evidence) in enumerate(DEFAULT_STAGES, start=1)
        )
        stages = list(Stage.objects.filter(programme=programme).order_by("order"))
    return stages


def light_thresholds() -> dict[int, tuple[int, int]]:
    """programme id → (yellow days, red days) for every programme (one query); programmes
    without a policy row use the model's defaults."""
    yellow = ProjectPolicy._meta.get_field("yellow_days").default
    red = ProjectPolicy._meta.get_field("red_days").default
    result = dict.fromkeys(Programme.objects.values_list("pk", flat=True), (yellow, red))
    for pk, y, r in ProjectPolicy.objects.values_list("programme_id", "yellow_days", "red_days"):
        result[pk] = (y, r)
    return result


def with_light(qs: QuerySet[Project], today: date | None = None) -> QuerySet[Project]:
    return qs.with_light(today or _today(), light_thresholds())


def light_of(project: Project, today: date | None = None) -> str:
    """The same rule as the annotation, for one project already loaded."""
    today = today or _today()
    if project.status == Project.Status.TERMINATED:
        return Light.ENDED
    if project.is_finished:
        return Light.DONE
    policy = policy_for(project.programme)
    idle = (today - project.last_progress_on).days
    if idle >= policy.red_days:
        return Light.RED
    if idle >= policy.yellow_days:
        return Light.YELLOW
    return Light.GREEN


def idle_days(project: Project, today: date | None = None) -> int:
    return ((today or _today()) - project.last_progress_on).days


@transaction.atomic
def policy_save(
    *,
    programme: Programme,
    by: User,
    yellow_days: int,
    red_days: int,
    blocker_days: int,
    termination_reasons: str,
) -> ProjectPolicy:
    if red_days <= yellow_days:
        raise ProjectError(f"红灯天数（{red_days}）须大于黄灯天数（{yellow_days}）", "red_days")
    reasons = [r.strip() for r in termination_reasons.splitlines() if r.strip()]
    if not reasons:
        raise ProjectError("至少需要一个终止原因", "termination_reasons")
    if len(set(reasons)) != len(reasons):
        raise ProjectError("终止原因有重复", "termination_reasons")
    if any(len(r) > 60 for r in reasons):
        raise ProjectError("每个终止原因不超过 60 个字", "termination_reasons")
    policy = policy_for(programme)
    policy.yellow_days = yellow_days
    policy.red_days = red_days
    policy.blocker_days = blocker_days
    policy.termination_reasons = "\n".join(reasons)
    policy.save()
    return policy


@transaction.atomic
def stages_save(*, programme: Programme, by: User, rows: list[tuple[int | None, str, str]]):
    """Replace the programme's stage list with `rows` = [(stage id or None, name, evidence)]
    in their new order. A stage that projects are in, or that history names, cannot be
    removed; each evidence kind may appear once, in the natural order (专班 before 签约 before
    落地 before 投产)."""
    current = {s.pk: s for s in stages_for(programme)}
    names = [name.strip() for _pk, name, _e in rows]
    if len(rows) < 2:
        raise ProjectError("至少需要两个阶段", "stages")
    if any(not n for n in names):
        raise ProjectError("阶段名称不能为空", "stages")
    if len(set(names)) != len(names):
        raise ProjectError("阶段名称有重复", "stages")
    evidences = [e for _pk, _n, e in rows if e]
    if len(set(evidences)) != len(evidences):
        raise ProjectError("同一种佐证只能用于一个阶段", "stages")
    natural = [E.TASK_FORCE, E.SIGNING, E.LANDING, E.PRODUCTION]
    if evidences != [e for e in natural if e in evidences]:
        raise ProjectError("佐证阶段的顺序应为：专班 → 签约 → 落地 → 投产", "stages")
    kept = {pk for pk, _n, _e in rows if pk}
    unknown = kept - set(current)
    if unknown:
        raise ProjectError("阶段不属于该项目", "stages")
    for pk, stage in current.items():
        if pk in kept:
            continue
        used = (
            Project.objects.filter(stage=stage).exists()
            or StageChange.objects.filter(Q(from_stage=stage) | Q(to_stage=stage)).exists()
        )
        if used:
            raise ProjectError(f"阶段“{stage.name}”已有项目或历史记录，不能删除", "stages")
    # Move existing orders, and the names that change, out of the way first (both unique per
    # programme), so stages may exchange names or a new stage take a name another gives up.
    offset = 1000
    renamed = {pk for pk, name, _e in rows if pk in current and current[pk].name != name.strip()}
    for stage in current.values():
        moved = {"name": f"#{stage.pk}"} if stage.pk in renamed else {}
        Stage.objects.filter(pk=stage.pk).update(order=stage.order + offset, **moved)
    Stage.objects.filter(programme=programme).exclude(pk__in=kept).delete()
    result = []
    for order, (pk, name, evidence) in enumerate(rows, start=1):
        if pk:
            stage = current[pk]
            stage.order, stage.name, stage.evidence = order, name.strip(), evidence
            stage.save()
        else:
            stage = Stage.objects.create(
                programme=programme, order=order, name=name.strip(), evidence=evidence
            )
        result.append(stage)
    # Orders changed: keep reached_order and is_finished true to the new list.
    last = result[-1]
    for stage in result:
        Project.objects.filter(stage=stage).update(is_finished=stage.pk == last.pk)
    _recompute_reached(programme)
    audit.record(
        AuditEntry.Action.UPDATE,
        obj=programme,
        actor=by,
        message="修改项目阶段：" + " → ".join(s.name for s in result),
        changes={"stages": [s.name for s in result]},
    )
    return result


def _recompute_reached(programme: Programme) -> None:
    """reached_order = the highest order among the stages a project has been in."""
    orders = dict(Stage.objects.filter(programme=programme).values_list("pk", "order"))
    best: dict[int, int] = {}
    for pid, to_id, stage_id in StageChange.objects.filter(
        project__programme=programme
    ).values_list("project_id", "to_stage_id", "project__stage_id"):
        o = max(orders.get(to_id, 0), orders.get(stage_id, 0))
        best[pid] = max(best.get(pid, 0), o)
    by_value: dict[int, list[int]] = defaultdict(list)
    for pid, o in best.items():
        by_value[o].append(pid)
    for o, pids in by_value.items():
        for i in range(0, len(pids), 500):
            Project.objects.filter(pk__in=pids[i : i + 500]).update(reached_order=o)


# --- enterprises -------------------------------------------------------------------------------


def normalise_credit_code(value: str) -> str:
    """Full-width characters, spaces, dashes and lower case are common in pasted codes."""
    text = unicodedata.normalize("NFKC", value or "").upper()
    return "".join(ch for ch in text if ch not in " -\t\u3000")


def check_credit_code(value: str) -> str:
    """The normalised 统一社会信用代码, or ProjectError saying what is wrong with it."""
    code = normalise_credit_code(value)
    if not code:
        raise ProjectError("请填写统一社会信用代码", "credit_code")
    if len(code) != 18:
        raise ProjectError(
            f"统一社会信用代码“{code}”应为 18 位，现为 {len(code)} 位", "credit_code"
        )
    allowed = set("0123456789ABCDEFGHJKLMNPQRTUWXY")
    bad = [ch for ch in code if ch not in allowed]
    if bad:
        raise ProjectError(
            f"统一社会信用代码“{code}”含有不允许的字符“{bad[0]}”（不使用 I、O、Z、S、V）",
            "credit_code",
        )
    if not uscc.is_valid(code):
        try:
            expected = uscc.calc_check_digit(code[:-1])
        except Exception:  # noqa: BLE001 — stdnum raises several kinds for malformed input
            expected = None
        if expected is not None and expected != code[-1]:
            raise ProjectError(
                f"统一社会信用代码“{code}”校验位不正确：按 GB 32100 第 18 位应为“{expected}”",
                "credit_code",
            )
        raise ProjectError(f"统一社会信用代码“{code}”不符合 GB 32100 的编码规则", "credit_code")
    return code


def _check_enterprise(name: str, code: str, exclude: int | None = None) -> None:
    others = Enterprise.objects.exclude(pk=exclude) if exclude else Enterprise.objects.all()
    same_code = others.filter(credit_code=code).first()
    if same_code is not None:
        raise ProjectError(
            f"统一社会信用代码 {code} 已登记为“{same_code.name}”，请勿重复登记", "credit_code"
        )
    if others.filter(name=name).exists():
        raise ProjectError(f"企业“{name}”已登记，请勿重复登记", "name")


@transaction.atomic
def enterprise_create(
    *,
    by: User,
    name: str,
    credit_code: str,
    sector: str,
    city: str,
    address: str = "",
    note: str = "",
    contacts: list[dict] | None = None,
) -> Enterprise:
    name = name.strip()
    if not name:
        raise ProjectError("请填写企业名称", "name")
    code = check_credit_code(credit_code)
    _check_enterprise(name, code)
    enterprise = Enterprise.objects.create(
        name=name,
        credit_code=code,
        sector=sector,
        city=city.strip(),
        address=address.strip(),
        note=note,
        created_by=by,
    )
    for contact in contacts or []:
        contact_add(enterprise=enterprise, by=by, **contact)
    return enterprise


@transaction.atomic
def enterprise_update(*, enterprise: Enterprise, by: User, **values) -> Enterprise:
    name = values.get("name", enterprise.name).strip()
    code = check_credit_code(values.get("credit_code", enterprise.credit_code))
    _check_enterprise(name, code, exclude=enterprise.pk)
    enterprise.name, enterprise.credit_code = name, code
    for key in ("sector", "city", "address", "note"):
        if key in values:
            setattr(enterprise, key, values[key])
    enterprise.save()
    return enterprise


def _clean_mobile(mobile: str) -> str:
    value = normalise_mobile(mobile or "")
    try:
        validate_mobile(value)
    except Exception as exc:  # ValidationError
        raise ProjectError(exc.messages[0], "mobile") from exc
    return value


@transaction.atomic
def contact_add(
    *, enterprise: Enterprise, by: User, name: str, title: str = "", mobile: str = ""
) -> EnterpriseContact:
    if not name.strip():
        raise ProjectError("请填写联系人姓名", "name")
    contact = EnterpriseContact(enterprise=enterprise, name=name.strip(), title=title.strip())
    contact.mobile = _clean_mobile(mobile)
    contact.save()
    return contact


@transaction.atomic
def contact_update(
    *, contact: EnterpriseContact, by: User, name: str, title: str = "", mobile: str | None = None
) -> EnterpriseContact:
    """`mobile=None` keeps the stored number (forms show only the masked one)."""
    if not name.strip():
        raise ProjectError("请填写联系人姓名", "name")
    contact.name, contact.title = name.strip(), title.strip()
    if mobile is not None:
        contact.mobile = _clean_mobile(mobile)
    contact.save()
    return contact


def contact_reveal(*, contact: EnterpriseContact, by: User) -> str:
    """The full mobile number: needs `projects.reveal_contact`; audited."""
    from .access import can_reveal_contact

    if not can_reveal_contact(by):
        raise PermissionDenied
    audit.record(
        AuditEntry.Action.REVEAL,
        obj=contact,
        actor=by,
        message=f"查看企业联系人完整手机号（{contact.enterprise.name}）",
        changes={"field": "mobile"},
    )
    return contact.mobile


# --- projects ----------------------------------------------------------------------------------


def batch_of(cadre: Cadre | None, day: date) -> int | None:
    """The batch of the cadre's placement on that day (his latest one before it otherwise)."""
    if cadre is None:
        return None
    placements = Placement.objects.filter(cadre=cadre, start__lte=day).order_by("-start")
    for p in placements.values("batch_id", "actual_end", "planned_end"):
        end = p["actual_end"] or p["planned_end"]
        if end >= day:
            return p["batch_id"]
    first = placements.values_list("batch_id", flat=True).first()
    return first


def _touch(project: Project, day: date) -> None:
    """Record progress on `day` (never moves the date back)."""
    if day > project.last_progress_on:
        project.last_progress_on = day
        Project.objects.filter(pk=project.pk).update(last_progress_on=day)


def _check_owner(owner: User | None) -> None:
    if owner is None:
        raise ProjectError("项目必须有责任人", "owner")
    if not owner.is_active:
        raise ProjectError(
            f"{owner.full_name or owner.username}的账号已停用，不能作为责任人", "owner"
        )


@transaction.atomic
def project_create(
    *,
    by: User,
    programme: Programme,
    title: str,
    sector: str,
    district: str,
    unit: OrgUnit,
    owner: User,
    found_on: date,
    channel: str,
    enterprise: Enterprise | None = None,
    found_by: Cadre | None = None,
    source_note: str = "",
    planned_amount: Decimal = Decimal(0),
    description: str = "",
    batch=None,
) -> Project:
    """Register a lead (线索): it starts in the programme's first stage, owned by `owner`;
    the cadre who found it is credited (发现线索)."""
    title = title.strip()
    if not title:
        raise ProjectError("请填写项目名称", "title")
    if not district.strip():
        raise ProjectError("请填写拟落地区县", "district")
    _check_owner(owner)
    _not_future(found_on, "发现日期", "found_on")
    if planned_amount is not None and planned_amount < 0:
        raise ProjectError("计划投资不能为负数", "planned_amount")
    if batch is not None and batch.programme_id != programme.pk:
        raise ProjectError("所选批次不属于该合作项目", "batch")
    first = stages_for(programme)[0]
    project = Project.objects.create(
        programme=programme,
        batch=batch if batch is not None else None,
        batch_id=batch.pk if batch is not None else batch_of(found_by, found_on),
        title=title,
        enterprise=enterprise,
        sector=sector,
        district=district.strip(),
        unit=unit,
        description=description,
        found_by=found_by,
        found_on=found_on,
        channel=channel,
        source_note=source_note,
        planned_amount=planned_amount or Decimal(0),
        owner=owner,
        stage=first,
        stage_entered_on=found_on,
        reached_order=first.order,
        is_finished=False,
        last_progress_on=found_on,
        created_by=by,
    )
    StageChange.objects.create(
        project=project,
        kind=StageChange.Kind.CREATE,
        to_stage=first,
        date=found_on,
        note=source_note[:500],
        by=by,
    )
    if found_by is not None:
        Credit.objects.create(
            project=project, cadre=found_by, role=Credit.Role.FOUND, created_by=by
        )
    return project


EDITABLE = (
    "title",
    "enterprise",
    "sector",
    "district",
    "unit",
    "description",
    "channel",
    "source_note",
    "planned_amount",
    "owner",
    "batch",
)


@transaction.atomic
def project_update(
    *, project: Project, by: User, lock_version: int | None = None, **values
) -> Project:
    """Change the description of a project (not its stage or evidence: those go through
    `stage_move`). `lock_version` is the version the form or client loaded: a project saved
    since then (an edit, a stage change, a termination) is refused (versioning.StaleEdit)."""
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValueError(unknown)
    if "owner" in values:
        _check_owner(values["owner"])
    if "title" in values and not values["title"].strip():
        raise ProjectError("请填写项目名称", "title")
    if "district" in values and not values["district"].strip():
        raise ProjectError("请填写拟落地区县", "district")
    batch = values.get("batch")
    if batch is not None and batch.programme_id != project.programme_id:
        raise ProjectError("所选批次不属于该合作项目", "batch")
    versioning.claim(project, lock_version)
    for key, value in values.items():
        setattr(project, key, value.strip() if isinstance(value, str) else value)
    # Only what was edited: the progress date may have moved since the project was read.
    project.save(update_fields=[*values, "updated_at"])
    return project


@dataclass
class Evidence:
    """What a move supplies for the stages that ask for it; None keeps the stored value."""

    signed_on: date | None = None
    signed_amount: Decimal | None = None
    agreement_number: str | None = None
    event: Event | None = None
    landed_on: date | None = None
    landed_amount: Decimal | None = None
    landing_form: str | None = None
    production_on: date | None = None

    @classmethod
    def of(cls, values: dict | None) -> Evidence:
        values = values or {}
        return cls(**{k: values.get(k) for k in cls.__dataclass_fields__})


def needed_evidence(project: Project, to_stage: Stage) -> list[str]:
    """The evidence kinds a move of the project to `to_stage` asks for: those of every stage
    it enters moving forward (a skipped 签约 still needs its agreement)."""
    if to_stage.order <= project.stage.order:
        return []
    return list(
        Stage.objects.filter(
            programme_id=project.programme_id,
            order__gt=project.stage.order,
            order__lte=to_stage.order,
        )
        .exclude(evidence="")
        .order_by("order")
        .values_list("evidence", flat=True)
    )


def _check_evidence(project: Project, kinds: list[str], ev: Evidence, day: date) -> dict:
    """Apply the evidence of `kinds` to the project's values; {field: message} of what is
    missing or wrong."""
    errors: dict[str, str] = {}
    today = _today()
    if (
        E.TASK_FORCE in kinds
        and not project.members.filter(role=TaskForceMember.Role.LEAD).exists()
    ):
        errors[""] = "进入专班阶段须先组建工作专班并指定牵头人"
    if E.SIGNING in kinds:
        if ev.event is not None and ev.event.programme_id != project.programme_id:
            errors["event"] = "所选活动不属于该合作项目"
        signed_on = ev.signed_on or (ev.event.date if ev.event else None) or project.signed_on
        amount = ev.signed_amount if ev.signed_amount is not None else project.signed_amount
        if signed_on is None:
            errors["signed_on"] = "签约须填写签约日期"
        elif signed_on > today:
            errors["signed_on"] = f"签约日期不能晚于今天（{today:%Y-%m-%d}）"
        elif signed_on < project.found_on:
            errors["signed_on"] = f"签约日期不能早于发现线索的日期（{project.found_on:%Y-%m-%d}）"
        if not amount or amount <= 0:
            errors["signed_amount"] = "签约须填写签约金额（万元，大于 0）"
        if ev.event is not None and signed_on is not None and ev.event.date != signed_on:
            errors["signed_on"] = (
                f"在活动“{ev.event.name}”上签约的，签约日期应为活动日期 {ev.event.date:%Y-%m-%d}"
            )
        project.signed_on, project.signed_amount = signed_on, amount or Decimal(0)
        if ev.agreement_number is not None:
            project.agreement_number = ev.agreement_number.strip()
        if ev.event is not None:
            project.signed_event = ev.event
    if E.LANDING in kinds:
        landed_on = ev.landed_on or project.landed_on
        amount = ev.landed_amount if ev.landed_amount is not None else project.landed_amount
        form = ev.landing_form if ev.landing_form is not None else project.landing_form
        if landed_on is None:
            errors["landed_on"] = "落地须填写落地（注册或开工）日期"
        elif landed_on > today:
            errors["landed_on"] = f"落地日期不能晚于今天（{today:%Y-%m-%d}）"
        elif project.signed_on is not None and landed_on < project.signed_on:
            errors["landed_on"] = f"落地日期不能早于签约日期（{project.signed_on:%Y-%m-%d}）"
        if not amount or amount <= 0:
            errors["landed_amount"] = "落地须填写到位资金（万元，大于 0）"
        if form not in Project.LandingForm.values:
            errors["landing_form"] = "落地须选择落地形式（注册或开工）"
        project.landed_on, project.landed_amount = landed_on, amount or Decimal(0)
        project.landing_form = form or ""
    if E.PRODUCTION in kinds:
        production_on = ev.production_on or project.production_on
        if production_on is None:
            errors["production_on"] = "投产须填写投产日期"
        elif production_on > today:
            errors["production_on"] = f"投产日期不能晚于今天（{today:%Y-%m-%d}）"
        elif project.landed_on is not None and production_on < project.landed_on:
            errors["production_on"] = f"投产日期不能早于落地日期（{project.landed_on:%Y-%m-%d}）"
        project.production_on = production_on
    return errors


def _locked(project: Project) -> Project:
    """The project's row, locked until the transaction ends, as it is once the lock is held.
    Without joins: PostgreSQL re-reads a row that another transaction changed while we
    waited, but not the rows joined to it, so a locking query joined to the stage finds
    nothing once the stage has changed (and would lock the shared stage row too)."""
    return Project.objects.select_for_update().get(pk=project.pk)


@transaction.atomic
def stage_move(
    *,
    project: Project,
    to_stage: Stage,
    by: User,
    day: date | None = None,
    note: str = "",
    evidence: dict | Evidence | None = None,
    lock_version: int | None = None,
) -> StageChange:
    """Move an active project to another stage of its programme. Forward moves may skip
    stages but must bring the evidence of every stage they enter that asks for one; a move
    back needs a note. `day` (default today) is when it happened: not in the future, not
    before the project entered its current stage.

    The project row is locked first and the move judged on what it holds then, so moves at
    the same moment queue and each starts where the last left off (the history never forks
    or skips); with `lock_version` (what the form showed) a project changed since is refused."""
    project = _locked(project)
    versioning.check(project, lock_version)
    day = day or _today()
    note = (note or "").strip()
    if project.status != Project.Status.ACTIVE:
        raise ProjectError("项目已终止，须先重新启动才能变更阶段", "to_stage")
    if to_stage.programme_id != project.programme_id:
        raise ProjectError("所选阶段不属于该项目的合作项目", "to_stage")
    if to_stage.pk == project.stage_id:
        raise ProjectError(f"项目已处于“{to_stage.name}”阶段", "to_stage")
    _not_future(day, "变更日期", "day")
    if day < project.stage_entered_on:
        raise ProjectError(
            f"变更日期不能早于进入“{project.stage.name}”阶段的日期"
            f"（{project.stage_entered_on:%Y-%m-%d}）",
            "day",
        )
    forward = to_stage.order > project.stage.order
    if not forward and not note:
        raise ProjectError(f"从“{project.stage.name}”回退到“{to_stage.name}”须说明原因", "note")
    ev = evidence if isinstance(evidence, Evidence) else Evidence.of(evidence)
    kinds = needed_evidence(project, to_stage)
    errors = _check_evidence(project, kinds, ev, day)
    if errors:
        raise ProjectError(errors)
    amount = None
    if E.LANDING in kinds:
        amount = project.landed_amount
    elif E.SIGNING in kinds:
        amount = project.signed_amount
    change = StageChange.objects.create(
        project=project,
        kind=StageChange.Kind.ADVANCE if forward else StageChange.Kind.BACK,
        from_stage=project.stage,
        to_stage=to_stage,
        date=day,
        days_in_from=(day - project.stage_entered_on).days,
        note=note[:500],
        amount=amount,
        event=ev.event if E.SIGNING in kinds else None,
        by=by,
    )
    last_order = (
        Stage.objects.filter(programme_id=project.programme_id)
        .order_by("-order")
        .values_list("order", flat=True)
    ).first()
    project.stage = to_stage
    project.stage_entered_on = day
    project.reached_order = max(project.reached_order, to_stage.order)
    project.is_finished = to_stage.order == last_order
    project.last_progress_on = max(project.last_progress_on, day)
    project.save()
    return change


@transaction.atomic
def project_terminate(
    *,
    project: Project,
    by: User,
    reason: str,
    note: str,
    day: date | None = None,
    lock_version: int | None = None,
) -> StageChange:
    """终止 from any stage, with a reason from the programme's list and a note."""
    project = _locked(project)
    versioning.check(project, lock_version)
    day = day or _today()
    if project.status == Project.Status.TERMINATED:
        raise ProjectError("项目已经终止", "reason")
    reasons = policy_for(project.programme).reasons()
    if reason not in reasons:
        raise ProjectError("请从列表中选择终止原因：" + "、".join(reasons), "reason")
    if not (note or "").strip():
        raise ProjectError("终止项目须填写说明", "note")
    _not_future(day, "终止日期", "day")
    if day < project.stage_entered_on:
        raise ProjectError(
            f"终止日期不能早于进入“{project.stage.name}”阶段的日期"
            f"（{project.stage_entered_on:%Y-%m-%d}）",
            "day",
        )
    change = StageChange.objects.create(
        project=project,
        kind=StageChange.Kind.TERMINATE,
        from_stage=project.stage,
        to_stage=project.stage,
        date=day,
        days_in_from=(day - project.stage_entered_on).days,
        note=note.strip()[:500],
        reason=reason,
        by=by,
    )
    project.status = Project.Status.TERMINATED
    project.terminated_on = day
    project.terminated_reason = reason
    project.terminated_note = note.strip()[:500]
    project.last_progress_on = max(project.last_progress_on, day)
    project.save()
    return change


@transaction.atomic
def project_reopen(
    *,
    project: Project,
    by: User,
    note: str,
    day: date | None = None,
    lock_version: int | None = None,
) -> StageChange:
    """A terminated project starts again in the stage it was ended in; the reopening is kept
    in the history, the earlier termination too."""
    project = _locked(project)
    versioning.check(project, lock_version)
    day = day or _today()
    if project.status != Project.Status.TERMINATED:
        raise ProjectError("只有已终止的项目才能重新启动", "note")
    if not (note or "").strip():
        raise ProjectError("重新启动须说明原因", "note")
    _not_future(day, "重新启动日期", "day")
    if project.terminated_on and day < project.terminated_on:
        raise ProjectError(
            f"重新启动日期不能早于终止日期（{project.terminated_on:%Y-%m-%d}）", "day"
        )
    change = StageChange.objects.create(
        project=project,
        kind=StageChange.Kind.REOPEN,
        from_stage=project.stage,
        to_stage=project.stage,
        date=day,
        note=note.strip()[:500],
        by=by,
    )
    project.status = Project.Status.ACTIVE
    project.terminated_on = None
    project.terminated_reason = ""
    project.terminated_note = ""
    project.stage_entered_on = day
    project.last_progress_on = max(project.last_progress_on, day)
    project.save()
    return change


# --- task force, tasks, blockers, notes, credit ----------------------------------------------


@transaction.atomic
def member_add(
    *,
    project: Project,
    by: User,
    role: str,
    cadre: Cadre | None = None,
    unit: OrgUnit | None = None,
    contact: str = "",
    note: str = "",
) -> TaskForceMember:
    if (cadre is None) == (unit is None):
        raise ProjectError("请选择一名干部或一个单位（二选一）", "cadre")
    if role not in TaskForceMember.Role.values:
        raise ProjectError("请选择专班职责", "role")
    if cadre is not None and project.members.filter(cadre=cadre).exists():
        raise ProjectError(f"{cadre.name}已在工作专班中", "cadre")
    if unit is not None and project.members.filter(unit=unit).exists():
        raise ProjectError(f"{unit.name}已在工作专班中", "unit")
    member = TaskForceMember.objects.create(
        project=project, role=role, cadre=cadre, unit=unit, contact=contact.strip(), note=note
    )
    if cadre is not None and role == TaskForceMember.Role.LEAD:
        # The cadre leading the task force drives the project: credited (牵头推动) once; the
        # credit stays if he later leaves the task force (he did drive it for a while).
        Credit.objects.get_or_create(
            project=project, cadre=cadre, role=Credit.Role.DROVE, defaults={"created_by": by}
        )
    _touch(project, _today())
    return member


@transaction.atomic
def member_remove(*, member: TaskForceMember, by: User) -> None:
    project = member.project
    if (
        member.role == TaskForceMember.Role.LEAD
        and project.is_active
        and _past_task_force(project)
        and not project.members.filter(role=TaskForceMember.Role.LEAD)
        .exclude(pk=member.pk)
        .exists()
    ):
        raise ProjectError("项目已进入专班阶段，工作专班不能没有牵头人：请先指定新的牵头人", "")
    member.delete()
    _touch(project, _today())


def _past_task_force(project: Project) -> bool:
    """Whether the project is at or past its programme's task-force stage."""
    order = (
        Stage.objects.filter(programme_id=project.programme_id, evidence=E.TASK_FORCE)
        .values_list("order", flat=True)
        .first()
    )
    return order is not None and project.stage.order >= order


@transaction.atomic
def task_create(
    *, project: Project, by: User, title: str, owner: User, deadline: date, note: str = ""
) -> Task:
    if not title.strip():
        raise ProjectError("请填写任务内容", "title")
    _check_owner(owner)
    if not project.is_active:
        raise ProjectError("项目已终止，不能再分派任务", "title")
    task = Task.objects.create(
        project=project,
        title=title.strip(),
        owner=owner,
        deadline=deadline,
        note=note,
        created_by=by,
    )
    _touch(project, _today())
    return task


@transaction.atomic
def task_update(
    *,
    task: Task,
    by: User,
    status: str | None = None,
    note: str | None = None,
    deadline: date | None = None,
    owner: User | None = None,
    title: str | None = None,
) -> Task:
    if status is not None:
        if status not in Task.Status.values:
            raise ProjectError("请选择任务状态", "status")
        if status == Task.Status.CANCELLED and not (task.note if note is None else note).strip():
            raise ProjectError("取消任务须填写说明", "note")
        task.status = status
        task.done_on = _today() if status == Task.Status.DONE else None
    if note is not None:
        task.note = note
    if deadline is not None:
        task.deadline = deadline
    if owner is not None:
        _check_owner(owner)
        task.owner = owner
    if title is not None:
        if not title.strip():
            raise ProjectError("请填写任务内容", "title")
        task.title = title.strip()
    task.save()
    _touch(task.project, _today())
    return task


@transaction.atomic
def blocker_raise(
    *,
    project: Project,
    by: User,
    title: str,
    owner: User,
    deadline: date | None = None,
    detail: str = "",
) -> Blocker:
    if not title.strip():
        raise ProjectError("请填写问题", "title")
    _check_owner(owner)
    if not project.is_active:
        raise ProjectError("项目已终止，不能再提出问题", "title")
    today = _today()
    if deadline is None:
        deadline = today + timedelta(days=policy_for(project.programme).blocker_days)
    if deadline < today:
        raise ProjectError("解决时限不能早于今天", "deadline")
    blocker = Blocker.objects.create(
        project=project,
        title=title.strip(),
        detail=detail,
        owner=owner,
        deadline=deadline,
        raised_by=by,
        raised_at=timezone.now(),
    )
    _touch(project, today)
    return blocker


def _first_response(blocker: Blocker, by: User) -> None:
    if blocker.responded_at is None:
        blocker.responded_at = timezone.now()
        blocker.responded_by = by


@transaction.atomic
def blocker_respond(*, blocker: Blocker, by: User, note: str) -> Blocker:
    """受理: the first answer to a blocker (its response time is measured from raising)."""
    if blocker.status == Blocker.Status.RESOLVED:
        raise ProjectError("问题已解决", "note")
    if not note.strip():
        raise ProjectError("请填写响应说明", "note")
    _first_response(blocker, by)
    blocker.response_note = note.strip()[:500]
    blocker.save()
    _touch(blocker.project, _today())
    return blocker


@transaction.atomic
def blocker_escalate(*, blocker: Blocker, by: User, note: str) -> Blocker:
    """Put the blocker on the green channel (绿色通道): it appears on the organisation
    department's and leaders' lists until resolved."""
    if blocker.status == Blocker.Status.RESOLVED:
        raise ProjectError("问题已解决，无需提交绿色通道", "note")
    if blocker.status == Blocker.Status.ESCALATED:
        raise ProjectError("问题已在绿色通道中", "note")
    if not note.strip():
        raise ProjectError("提交绿色通道须说明理由", "note")
    _first_response(blocker, by)
    blocker.status = Blocker.Status.ESCALATED
    blocker.escalated_at = timezone.now()
    blocker.escalated_by = by
    blocker.escalation_note = note.strip()[:500]
    blocker.save()
    _touch(blocker.project, _today())
    return blocker


@transaction.atomic
def blocker_resolve(*, blocker: Blocker, by: User, resolution: str) -> Blocker:
    if blocker.status == Blocker.Status.RESOLVED:
        raise ProjectError("问题已解决", "resolution")
    if not resolution.strip():
        raise ProjectError("解决问题须填写解决情况", "resolution")
    _first_response(blocker, by)
    blocker.status = Blocker.Status.RESOLVED
    blocker.resolved_at = timezone.now()
    blocker.resolved_by = by
    blocker.resolution = resolution.strip()
    blocker.save()
    _touch(blocker.project, _today())
    return blocker


@transaction.atomic
def update_add(*, project: Project, by: User, day: date, content: str) -> ProjectUpdate:
    if not content.strip():
        raise ProjectError("请填写跟进情况", "content")
    _not_future(day, "跟进日期", "day")
    if day < project.found_on:
        raise ProjectError(f"跟进日期不能早于发现线索的日期（{project.found_on:%Y-%m-%d}）", "day")
    update = ProjectUpdate.objects.create(project=project, date=day, content=content.strip(), by=by)
    _touch(project, day)
    return update


@transaction.atomic
def credit_add(*, project: Project, by: User, cadre: Cadre, role: str, note: str = "") -> Credit:
    if role not in Credit.Role.values:
        raise ProjectError("请选择贡献类型", "role")
    if project.credits.filter(cadre=cadre, role=role).exists():
        raise ProjectError(f"{cadre.name}已记为“{Credit.Role(role).label}”", "cadre")
    return Credit.objects.create(project=project, cadre=cadre, role=role, note=note, created_by=by)


@transaction.atomic
def credit_remove(*, credit: Credit, by: User) -> None:
    credit.delete()


# --- events ------------------------------------------------------------------------------------


@transaction.atomic
def event_save(
    *,
    by: User,
    programme: Programme,
    name: str,
    kind: str,
    day: date,
    place: str = "",
    note: str = "",
    event: Event | None = None,
) -> Event:
    if not name.strip():
        raise ProjectError("请填写活动名称", "name")
    if event is not None and event.signed_projects.exists() and day != event.date:
        raise ProjectError(
            f"已有 {event.signed_projects.count()} 个项目在该活动上签约，不能再改活动日期", "date"
        )
    if event is None:
        event = Event(created_by=by)
    event.programme, event.name, event.kind = programme, name.strip(), kind
    event.date, event.place, event.note = day, place.strip(), note
    event.save()
    return event


# --- figures -----------------------------------------------------------------------------------


@dataclass
class Column:
    stage: Stage
    count: int = 0
    cards: list[Project] = field(default_factory=list)
    lights: dict[str, int] = field(default_factory=dict)

    @property
    def more(self) -> int:
        return self.count - len(self.cards)


@dataclass
class Board:
    columns: list[Column]
    terminated: int  # ended projects of the selection
    districts: list[str]  # districts of the selection's projects, in order


def board(qs: QuerySet[Project], programme: Programme, per_column: int = 12) -> list[Column]:
    """The active projects of `qs` by stage (see `board_summary`)."""
    return board_summary(qs, programme, per_column).columns


def board_summary(qs: QuerySet[Project], programme: Programme, per_column: int = 12) -> Board:
    """The active projects of `qs` by stage: how many in each (by light), and the most stalled
    `per_column` cards of each; with the number of ended projects and the districts of the
    selection. Queries: one grouped count (stage, light, district) and one for the cards of
    every column (a window function ranks each stage's projects) — the same however many
    projects and stages there are."""
    today = _today()
    stages = stages_for(programme)
    columns = {s.pk: Column(stage=s) for s in stages}
    selection = with_light(qs.filter(programme=programme), today)
    terminated, districts = 0, set()
    for row in selection.values("stage_id", "light", "district").annotate(n=Count("pk")).order_by():
        districts.add(row["district"])
        if row["light"] == Light.ENDED:
            terminated += row["n"]
            continue
        column = columns.get(row["stage_id"])
        if column is not None:
            column.count += row["n"]
            column.lights[row["light"]] = column.lights.get(row["light"], 0) + row["n"]
    # The most stalled cards of every column in one query: each active project's place in
    # its stage (a window function), kept when it is within `per_column`.
    ranked = (
        selection.filter(status=Project.Status.ACTIVE, stage__in=list(columns))
        .annotate(
            board_place=Window(
                RowNumber(),
                partition_by=[F("stage_id")],
                order_by=[F("last_progress_on").asc(), F("pk").asc()],
            )
        )
        .filter(board_place__lte=per_column)
        .select_related("owner", "enterprise")
        .order_by("stage_id", "last_progress_on", "pk")
    )
    for card in ranked:
        columns[card.stage_id].cards.append(card)
    return Board([columns[s.pk] for s in stages], terminated, sorted(districts))


@dataclass
class FunnelRow:
    stage: Stage
    reached: int  # projects that have ever reached this stage
    current: int  # active projects in it now
    terminated_here: int  # projects ended while in it
    conversion: float | None  # share of this stage's projects that reached the next, %
    median_days: float | None  # median days spent in this stage before moving on
    moved_on: int  # stays in this stage that ended by moving forward


def _median(values_qs, n: int) -> float | None:
    """Median of an ordered single-column queryset of `n` rows: one query (two rows)."""
    if n == 0:
        return None
    if n % 2:
        return float(values_qs[n // 2])
    low, high = list(values_qs[n // 2 - 1 : n // 2 + 1])
    return (low + high) / 2


def funnel(qs: QuerySet[Project], programme: Programme) -> list[FunnelRow]:
    """For each stage of the programme: how many projects of `qs` reached it, how many are in
    it now, how many were ended in it, the conversion to the next stage (reached next ÷
    reached this), and the median days a project spent in it before moving forward (moves
    back and terminations are not stays that "moved on"). Queries, however many projects
    there are: one grouped count, then for every project of the programme one count of the
    stays and one per stage for its median (read from the index on days), or for a selection
    one query for the stays' days (a scope's conditions are evaluated once, not per stage)."""
    stages = stages_for(programme)
    base = qs.filter(programme=programme)
    reached_at: dict[int, int] = defaultdict(int)
    now: dict[int, int] = defaultdict(int)
    ended: dict[int, int] = defaultdict(int)
    for stage_id, status, order, n in (
        base.values_list("stage_id", "status", "reached_order").annotate(n=Count("pk")).order_by()
    ):
        reached_at[order] += n
        (now if status == Project.Status.ACTIVE else ended)[stage_id] += n
    advances = StageChange.objects.filter(kind=StageChange.Kind.ADVANCE)
    medians: dict[int, float | None] = {}
    if _is_whole(qs):  # every project: no need to join the history to the selection
        changes = advances.filter(from_stage__programme=programme)
        stays = dict(changes.values_list("from_stage_id").annotate(n=Count("pk")).order_by())
        for stage in stages:
            medians[stage.pk] = _median(
                changes.filter(from_stage=stage)
                .order_by("days_in_from")
                .values_list("days_in_from", flat=True),
                stays.get(stage.pk, 0),
            )
    else:
        days: dict[int, list[int]] = defaultdict(list)
        for stage_id, d in (
            advances.filter(project_id__in=base.values("pk"))
            .values_list("from_stage_id", "days_in_from")
            .order_by()
        ):
            days[stage_id].append(d)
        stays = {stage_id: len(values) for stage_id, values in days.items()}
        for stage in stages:
            values = days.get(stage.pk)
            medians[stage.pk] = float(statistics.median(values)) if values else None
    rows = []
    for i, stage in enumerate(stages):
        reached = sum(n for order, n in reached_at.items() if order >= stage.order)
        nxt = stages[i + 1] if i + 1 < len(stages) else None
        reached_next = (
            sum(n for order, n in reached_at.items() if order >= nxt.order) if nxt else None
        )
        rows.append(
            FunnelRow(
                stage=stage,
                reached=reached,
                current=now.get(stage.pk, 0),
                terminated_here=ended.get(stage.pk, 0),
                conversion=round(100 * reached_next / reached, 1)
                if nxt is not None and reached
                else None,
                median_days=medians[stage.pk],
                moved_on=stays.get(stage.pk, 0),
            )
        )
    return rows


def _is_whole(qs: QuerySet) -> bool:
    """Whether `qs` is every project (no filter), so the history need not be joined."""
    return not qs.query.where


@dataclass
class Totals:
    key: str
    label: str
    projects: int
    active: int
    signed: int
    landed: int
    planned_amount: Decimal
    signed_amount: Decimal
    landed_amount: Decimal


def signing_orders(programme: Programme) -> tuple[int | None, int | None]:
    """The orders of the programme's 签约 and 落地 stages (by their evidence)."""
    orders = dict(
        Stage.objects.filter(programme=programme, evidence__in=[E.SIGNING, E.LANDING]).values_list(
            "evidence", "order"
        )
    )
    return orders.get(E.SIGNING), orders.get(E.LANDING)


TOTALS_BY = {"district": "district", "sector": "sector", "batch": "batch_id"}


def totals(qs: QuerySet[Project], programme: Programme, by: str) -> list[Totals]:
    """Projects and amounts grouped by district, sector or batch (see `totals_by`)."""
    return totals_by(qs, programme, [by])[by]


def totals_by(
    qs: QuerySet[Project], programme: Programme, keys=("district", "sector", "batch")
) -> dict[str, list[Totals]]:
    """Projects and amounts grouped by each of `keys` (district, sector, batch): how many,
    still active, signed (reached 签约), landed (reached 落地), and the planned, signed and
    landed amounts in 万元. One grouped query over all the keys at once, rolled up here (a
    few hundred groups at most), plus one for the stage orders."""
    fields = [TOTALS_BY[key] for key in keys]
    signed_order, landed_order = signing_orders(programme)
    big = 10_000
    rows = (
        qs.filter(programme=programme)
        .values(*fields)
        .annotate(
            projects=Count("pk"),
            active=Count("pk", filter=Q(status=Project.Status.ACTIVE)),
            signed=Count("pk", filter=Q(reached_order__gte=signed_order or big)),
            landed=Count("pk", filter=Q(reached_order__gte=landed_order or big)),
            planned_amount=Sum("planned_amount"),
            signed_amount=Sum("signed_amount"),
            landed_amount=Sum("landed_amount"),
        )
        .order_by()
    )
    figures = ("projects", "active", "signed", "landed")
    amounts = ("planned_amount", "signed_amount", "landed_amount")
    sums: dict[str, dict] = {key: {} for key in keys}
    for row in rows:
        for key, field_name in zip(keys, fields, strict=True):
            total = sums[key].setdefault(row[field_name], dict.fromkeys(figures, 0))
            for name in figures:
                total[name] += row[name]
            for name in amounts:
                total[name] = total.get(name, Decimal(0)) + (row[name] or Decimal(0))
    labels: dict[str, dict] = {"district": {}, "sector": {}, "batch": {}}
    if "sector" in keys:
        from .models import Sector

        labels["sector"] = dict(Sector.choices)
    if "batch" in keys:
        from guazhi.programmes.models import Batch

        labels["batch"] = {b.pk: b.label for b in Batch.objects.filter(programme=programme)}
    result = {}
    for key in keys:
        items = [
            Totals(
                key="" if value is None else str(value),
                label=str(labels[key].get(value, value)) if value is not None else "未关联批次",
                **{name: total[name] for name in figures},
                **{name: total.get(name, Decimal(0)) for name in amounts},
            )
            for value, total in sums[key].items()
        ]
        items.sort(key=lambda t: (-t.landed_amount, -t.projects, t.label))
        result[key] = items
    return result


def _median_duration(qs: QuerySet[Blocker], start: str, end: str, n: int) -> timedelta | None:
    """Median of `end` − `start` over the `n` rows of `qs` where `end` is set: computed and
    sorted by the database, one query reading the middle one or two rows."""
    if n == 0:
        return None
    values = (
        qs.filter(**{f"{end}__isnull": False})
        .annotate(d=ExpressionWrapper(F(end) - F(start), output_field=DurationField()))
        .order_by("d")
        .values_list("d", flat=True)
    )
    if n % 2:
        return values[n // 2]
    low, high = list(values[n // 2 - 1 : n // 2 + 1])
    return (low + high) / 2


def blocker_times(qs: QuerySet[Blocker]) -> dict:
    """ "行动要快一点" made visible: median hours to the first response and median days to
    resolution, the number open and overdue. Three queries whatever the number of blockers:
    the counts, and each median read from the rows the database sorted."""
    today = _today()
    not_resolved = ~Q(status=Blocker.Status.RESOLVED)
    counts = qs.aggregate(
        count=Count("pk"),
        open=Count("pk", filter=not_resolved),
        escalated_open=Count("pk", filter=Q(status=Blocker.Status.ESCALATED)),
        overdue=Count("pk", filter=not_resolved & Q(deadline__lt=today)),
        unanswered=Count("pk", filter=Q(responded_at__isnull=True)),
        resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
    )
    answered = counts["count"] - counts["unanswered"]
    response = _median_duration(qs, "raised_at", "responded_at", answered)
    resolution = _median_duration(qs, "raised_at", "resolved_at", counts.pop("resolved"))
    return {
        **counts,
        "median_response_hours": None
        if response is None
        else round(response.total_seconds() / 3600, 1),
        "median_resolution_days": None
        if resolution is None
        else round(resolution.total_seconds() / 86400, 1),
    }
