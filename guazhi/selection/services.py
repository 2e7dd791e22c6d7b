"""The nomination workflow: nominate → each review level in order → filed → placement.

Every step writes a NominationStep (who, unit, when, decision, opinion) and is audited. A
level is done by a user holding the level's role whose scope covers the nominating unit; the
levels are data on the programme (ReviewLevel), so their number and names vary freely.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.db.models import Q

from guazhi.cadres import access as cadre_access
from guazhi.cadres.models import Cadre
from guazhi.core.access import Scope, scope_for
from guazhi.core.models import Role, User
from guazhi.programmes import services as programme_services
from guazhi.programmes.models import Batch, Placement, Post, Programme

from .models import Nomination, NominationStep, PairRule, ReviewLevel

# The national default (SPEC §2): 逐级推荐、层层把关、综合比较、择优确定、报中组部审批备案.
DEFAULT_LEVELS = [
    ("区委组织部审核", "district_officer", False, False),
    ("市委组织部综合比选", "org_officer", True, False),
    ("市委审批", "org_officer", False, False),
    ("报中组部备案", "org_officer", False, True),
]


class NominationError(Exception):
    """A refused workflow action; the message is shown to the user as it is."""


def levels_create_default(programme: Programme) -> list[ReviewLevel]:
    """The national default levels, unless the programme already has levels."""
    if programme.levels.exists():
        return list(programme.levels.order_by("order"))
    roles = {r.code: r for r in Role.objects.filter(code__in=[c for _, c, _, _ in DEFAULT_LEVELS])}
    return [
        ReviewLevel.objects.create(
            programme=programme,
            order=i,
            name=name,
            role=roles[code],
            assigns_post=assigns,
            needs_document=document,
        )
        for i, (name, code, assigns, document) in enumerate(DEFAULT_LEVELS, start=1)
    ]


def _step(nomination, *, action, by, level=None, opinion="", number="", on=None) -> NominationStep:
    return NominationStep.objects.create(
        nomination=nomination,
        level=level,
        level_name=level.name if level else "",
        action=action,
        user=by,
        unit=by.unit,
        opinion=opinion,
        document_number=number,
        document_date=on,
    )


# --- nominating ----------------------------------------------------------------------------


def nominable_cadres(user, batch: Batch):
    """Cadres the user may nominate for the batch: in his nominating scope, not already
    nominated for it, not serving elsewhere now."""
    busy = Placement.objects.current().values("cadre_id")
    taken = batch.nominations.active().values("cadre_id")
    return (
        cadre_access.cadres_for(user, "selection.add_nomination")
        .exclude(pk__in=busy)
        .exclude(pk__in=taken)
    )


@transaction.atomic
def nominate(*, batch: Batch, cadre: Cadre, reason: str, by: User) -> Nomination:
    if batch.status != Batch.Status.NOMINATING:
        raise NominationError(f"{batch} 当前状态为“{batch.get_status_display()}”，不接受推荐")
    if not cadre_access.can(by, "selection.add_nomination", cadre):
        raise NominationError(f"无权推荐 {cadre.name}（不在您的推荐范围内）")
    if not reason.strip():
        raise NominationError("请填写推荐理由")
    if batch.nominations.active().filter(cadre=cadre).exists():
        raise NominationError(f"{cadre.name} 已被推荐到{batch.label}，不能重复推荐")
    if Placement.objects.current().filter(cadre=cadre).exists():
        raise NominationError(f"{cadre.name} 目前正在挂职，不能推荐")
    first = batch.programme.levels.order_by("order").first()
    if first is None:
        raise NominationError(f"选派项目“{batch.programme}”尚未设置审核层级")
    nomination = Nomination.objects.create(
        batch=batch,
        cadre=cadre,
        nominating_unit=cadre.unit,
        reason=reason.strip(),
        level=first,
        created_by=by,
    )
    _step(nomination, action=NominationStep.Action.SUBMIT, by=by, opinion=reason.strip())
    programme_services.refresh_cadre_status(cadre)
    return nomination


# --- reviewing -----------------------------------------------------------------------------


def _reviewing_roles(user: User):
    """The user's roles that themselves grant the review permission (a level's role counts
    only if it does: the security administrator can take reviewing away from a role)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Role.objects.none()
    return user.roles.filter(
        permissions__codename="review_nomination", permissions__content_type__app_label="selection"
    )


def _level_scopes(user: User, level: ReviewLevel) -> list[Scope]:
    """The scopes in which `user` acts for `level`: those of his roles equal to the level's
    role."""
    return [
        Scope(role.scope, user, user.unit)
        for role in _reviewing_roles(user).filter(pk=level.role_id)
    ]


def can_review(user: User, nomination: Nomination) -> bool:
    if nomination.status != Nomination.Status.PENDING or nomination.level is None:
        return False
    return any(
        s.covers_unit(nomination.nominating_unit) for s in _level_scopes(user, nomination.level)
    )


def review_queue_q(user: User) -> Q:
    """Nominations waiting for this user at their current level."""
    q = Q(pk__in=[])
    for role in _reviewing_roles(user):
        scope = Scope(role.scope, user, user.unit)
        unit_q = Q()
        if scope.kind == Role.Scope.SUBTREE:
            unit_q = Q(nominating_unit__path__startswith=user.unit.path)
        elif scope.kind in (Role.Scope.UNIT, Role.Scope.SELF):
            unit_q = Q(nominating_unit=user.unit)
        q |= Q(status=Nomination.Status.PENDING, level__role=role) & unit_q
    return q


@transaction.atomic
def decide(
    *,
    nomination: Nomination,
    by: User,
    approve: bool,
    opinion: str = "",
    document_number: str = "",
    document_date: date | None = None,
) -> Nomination:
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    level = nomination.level
    if nomination.status != Nomination.Status.PENDING or level is None:
        raise NominationError(f"该推荐当前状态为“{nomination.get_status_display()}”，无需审核")
    if not can_review(by, nomination):
        raise NominationError(f"“{level.name}”应由{level.role.name}在其范围内办理，您不能办理本级")
    opinion = opinion.strip()
    if not approve:
        if not opinion:
            raise NominationError("不通过时须填写理由")
        nomination.status = Nomination.Status.REJECTED
        nomination.save()
        _step(nomination, action=NominationStep.Action.REJECT, by=by, level=level, opinion=opinion)
        programme_services.refresh_cadre_status(nomination.cadre)
        return nomination
    if level.assigns_post and nomination.post_id is None:
        raise NominationError("本级须先通过人岗匹配确定拟任岗位，再审核通过")
    if level.needs_document:
        if not document_number.strip() or document_date is None:
            raise NominationError("本级须登记备案文号和日期")
        nomination.document_number = document_number.strip()
        nomination.document_date = document_date
    _step(
        nomination,
        action=NominationStep.Action.APPROVE,
        by=by,
        level=level,
        opinion=opinion,
        number=document_number.strip() if level.needs_document else "",
        on=document_date if level.needs_document else None,
    )
    following = (
        ReviewLevel.objects.filter(programme_id=level.programme_id, order__gt=level.order)
        .order_by("order")
        .first()
    )
    if following is not None:
        nomination.level = following
        nomination.save()
        return nomination
    nomination.status = Nomination.Status.APPROVED
    nomination.level = None
    if nomination.post_id is not None:
        _place(nomination)
    nomination.save()
    programme_services.refresh_cadre_status(nomination.cadre)
    return nomination


def _place(nomination: Nomination) -> None:
    try:
        nomination.placement = programme_services.placement_create(
            cadre=nomination.cadre, post=nomination.post
        )
    except programme_services.PlacementError as exc:
        raise NominationError(str(exc)) from exc


@transaction.atomic
def withdraw(*, nomination: Nomination, by: User, reason: str) -> Nomination:
    nomination = Nomination.objects.select_for_update().get(pk=nomination.pk)
    if nomination.status != Nomination.Status.PENDING:
        raise NominationError(f"该推荐当前状态为“{nomination.get_status_display()}”，不能撤回")
    if not scope_for(by, "selection.add_nomination").covers_unit(nomination.nominating_unit):
        raise NominationError("只有推荐单位（或其上级组织部门）可以撤回推荐")
    if not reason.strip():
        raise NominationError("请填写撤回原因")
    nomination.status = Nomination.Status.WITHDRAWN
    nomination.save()
    _step(
        nomination,
        action=NominationStep.Action.WITHDRAW,
        by=by,
        level=nomination.level,
        opinion=reason.strip(),
    )
    programme_services.refresh_cadre_status(nomination.cadre)
    return nomination


# --- matching results ----------------------------------------------------------------------


def assignment_level(programme: Programme) -> ReviewLevel | None:
    return programme.levels.filter(assigns_post=True).order_by("order").first()


def match_candidates(batch: Batch):
    """Nominations the matching works on: active ones that have passed every level before the
    level that decides posts (all active ones when no level decides posts)."""
    qs = batch.nominations.active().select_related(
        "cadre__unit", "cadre__rank", "level", "post", "nominating_unit"
    )
    level = assignment_level(batch.programme)
    if level is None:
        return qs
    return qs.filter(Q(status=Nomination.Status.APPROVED) | Q(level__order__gte=level.order))


def fixed_pairs(batch: Batch) -> dict[int, int]:
    """Nomination → post for those whose post can no longer change here: they have passed the
    level that decides posts."""
    level = assignment_level(batch.programme)
    fixed = match_candidates(batch).filter(post__isnull=False)
    if level is not None:
        fixed = fixed.filter(Q(status=Nomination.Status.APPROVED) | Q(level__order__gt=level.order))
    return dict(fixed.values_list("pk", "post_id"))


@transaction.atomic
def assign_posts(
    *,
    batch: Batch,
    pairs: Sequence[tuple[int, int]],
    scores: dict[tuple[int, int], float],
    by: User,
    opinion: str = "",
) -> list[Nomination]:
    """Record the chosen post of each nomination (the confirmed assignment). Nominations at
    the matching stage that are not in `pairs` lose a post they had. Approved nominations
    without a placement get one now."""
    candidates = {n.pk: n for n in match_candidates(batch).select_for_update(of=("self",))}
    fixed = fixed_pairs(batch)
    posts = {p.pk: p for p in batch.posts.all()}
    chosen: dict[int, int] = {}
    for nomination_id, post_id in pairs:
        if nomination_id not in candidates:
            raise NominationError(f"推荐记录 {nomination_id} 不在本批次的匹配范围内")
        if post_id not in posts:
            raise NominationError(f"岗位 {post_id} 不属于{batch.label}")
        if nomination_id in chosen:
            raise NominationError(f"{candidates[nomination_id].cadre.name} 被安排了两个岗位")
        if fixed.get(nomination_id, post_id) != post_id:
            raise NominationError(
                f"{candidates[nomination_id].cadre.name} 已通过综合比选，岗位不能在这里改动"
            )
        chosen[nomination_id] = post_id
    load: dict[int, int] = {}
    for post_id in chosen.values():
        load[post_id] = load.get(post_id, 0) + 1
    for post_id, count in load.items():
        if count > posts[post_id].capacity:
            raise NominationError(
                f"岗位“{posts[post_id]}”只需 {posts[post_id].capacity} 人，安排了 {count} 人"
            )
    changed = []
    for pk, nomination in candidates.items():
        if pk in fixed:
            continue
        new_post = chosen.get(pk)
        if nomination.post_id == new_post:
            continue
        nomination.post_id = new_post
        nomination.fit_score = scores.get((pk, new_post)) if new_post else None
        nomination.save()
        level = nomination.level
        if new_post:
            _step(
                nomination,
                action=NominationStep.Action.ASSIGN,
                by=by,
                level=level,
                opinion=(opinion or f"拟任 {posts[new_post]}")[:2000],
            )
            if nomination.status == Nomination.Status.APPROVED and nomination.placement_id is None:
                _place(nomination)
                nomination.save()
                programme_services.refresh_cadre_status(nomination.cadre)
        else:
            _step(
                nomination,
                action=NominationStep.Action.UNASSIGN,
                by=by,
                level=level,
                opinion=opinion,
            )
        changed.append(nomination)
    return changed


def set_rule(*, nomination: Nomination, post: Post, kind: str | None, by: User) -> None:
    """Pin or forbid a pair for the next matching run; kind None clears it."""
    PairRule.objects.filter(nomination=nomination, post=post).delete()
    if kind:
        if kind not in PairRule.Kind.values:
            raise NominationError("未知的约束类型")
        if kind == PairRule.Kind.PIN:
            # A cadre takes one post: a new pin replaces his other pins.
            PairRule.objects.filter(nomination=nomination, kind=PairRule.Kind.PIN).delete()
        PairRule.objects.create(nomination=nomination, post=post, kind=kind, created_by=by)


@transaction.atomic
def levels_save(*, programme: Programme, rows: Sequence[dict], by: User) -> list[ReviewLevel]:
    """Replace the programme's level list with `rows` (name, role, assigns_post,
    needs_document, and `level` for an existing one), in order. Refused while nominations are
    under review, since their current level would shift under them."""
    if Nomination.objects.filter(
        batch__programme=programme, status=Nomination.Status.PENDING
    ).exists():
        raise NominationError("本项目有正在审核的推荐人选，审核层级暂不能调整")
    if not rows:
        raise NominationError("至少需要一个审核层级")
    if sum(1 for r in rows if r.get("assigns_post")) > 1:
        raise NominationError("只能有一个层级负责确定岗位")
    keep = {r["level"].pk for r in rows if r.get("level")}
    for level in programme.levels.exclude(pk__in=keep):
        if NominationStep.objects.filter(level=level).exists():
            raise NominationError(f"层级“{level.name}”已有审核记录，不能删除（可以改名）")
        level.delete()
    # Move existing levels out of the way of the unique (programme, order) constraint.
    for level in programme.levels.all():
        level.order += 1000
        level.save(update_fields=["order"])
    saved = []
    for order, row in enumerate(rows, start=1):
        level = row.get("level") or ReviewLevel(programme=programme)
        level.order = order
        level.name = row["name"]
        level.role = row["role"]
        level.assigns_post = bool(row.get("assigns_post"))
        level.needs_document = bool(row.get("needs_document"))
        level.save()
        saved.append(level)
    return saved
