"""The rules of deeds, look-backs, ratings, rectifications and appeals. Views and the API call
these; each either does all it says or raises DeedError (a Chinese message naming the field)
and writes nothing.

Figures (`figures()`), per unit or cadre, over the deeds registered in a period:
- 响应率 = deeds with any response (progress recorded or status moved on) ÷ deeds;
- 解决率 = deeds done (status of kind "done", or closed after being done) ÷ deeds;
- 按时办结率 = deeds done on or before the promised date ÷ deeds done;
- 满意率 = (非常满意 + 满意 + w × 基本满意) ÷ valid ratings, w = Policy.basic_weight (default
  0.5); valid = not excluded by an upheld appeal; a re-rated rating counts with its new level;
- 差评整改率 = rectifications done ÷ bad ratings (不满意, 非常不满意 at first rating) that are
  valid.
A rate with nothing to divide by is None (shown as "—"), never 0 or 100."""

from __future__ import annotations

import secrets
import time
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q, QuerySet, Sum
from django.utils import timezone

from guazhi.cadres.models import Cadre
from guazhi.core import audit, crypto, versioning
from guazhi.core.models import OrgUnit, User
from guazhi.core.personal import normalise_mobile

from .models import (
    BAD_LEVELS,
    DEFAULT_STATUSES,
    Appeal,
    Deed,
    Evidence,
    Level,
    LookBack,
    PanelMember,
    PhoneCode,
    Policy,
    Rating,
    RatingTally,
    Rectification,
    ReworkTask,
    Status,
    StatusChange,
    Target,
    Throttle,
)
from .tally import COLUMNS as TALLY_COLUMNS

K = Status.Kind


class DeedError(Exception):
    """A rule was broken: `errors` maps field → Chinese message ("" for the whole form)."""

    def __init__(self, message: str | dict[str, str], field: str = ""):
        self.errors = message if isinstance(message, dict) else {field: message}
        super().__init__("；".join(self.errors.values()))

    @property
    def field(self) -> str:
        return next(iter(self.errors))


def _today() -> date:
    return timezone.localdate()


def _not_future(day: date, label: str, field: str) -> None:
    if day > _today():
        raise DeedError(f"{label}不能晚于今天（{_today():%Y-%m-%d}）", field)


# --- configuration ---------------------------------------------------------------------------


def policy() -> Policy:
    row, _created = Policy.objects.get_or_create(pk=1)
    return row


def statuses() -> list[Status]:
    """The status list in order; the defaults are created on first use."""
    rows = list(Status.objects.order_by("order"))
    if not rows:
        Status.objects.bulk_create(
            Status(order=i, name=name, kind=kind)
            for i, (name, kind) in enumerate(DEFAULT_STATUSES, start=1)
        )
        rows = list(Status.objects.order_by("order"))
    return rows


def first_open() -> Status:
    return next(s for s in statuses() if s.kind == K.OPEN)


# --- deeds -----------------------------------------------------------------------------------


def _location_key(text: str) -> str:
    """Places are compared without spaces, punctuation or width differences."""
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(ch for ch in text if ch.isalnum())


@transaction.atomic
def deed_create(
    *,
    by: User,
    title: str,
    content: str,
    source: str,
    category: str,
    location: str,
    unit: OrgUnit,
    opened_on: date,
    promised_on: date,
    urgent: bool = False,
    cadre: Cadre | None = None,
    targets: list[tuple[str, str, Decimal]] = (),
) -> Deed:
    title, location = title.strip(), location.strip()
    if not title:
        raise DeedError("请填写实事名称", "title")
    if not content.strip():
        raise DeedError("请填写具体内容", "content")
    if not location:
        raise DeedError("请填写地点（如某街道某小区），回头看据此判断问题是否反弹", "location")
    if source not in Deed.Source.values:
        raise DeedError("请选择来源", "source")
    if category not in Deed.Category.values:
        raise DeedError("请选择类别", "category")
    _not_future(opened_on, "登记日期", "opened_on")
    if promised_on < opened_on:
        raise DeedError(f"承诺办结日期不能早于登记日期（{opened_on:%Y-%m-%d}）", "promised_on")
    status = first_open()
    deed = Deed.objects.create(
        title=title,
        content=content.strip(),
        source=source,
        category=category,
        urgent=urgent,
        location=location,
        unit=unit,
        cadre=cadre,
        opened_on=opened_on,
        promised_on=promised_on,
        status=status,
        public_key=secrets.token_urlsafe(12),
        created_by=by,
    )
    StatusChange.objects.create(deed=deed, to_status=status, date=opened_on, note="登记", by=by)
    for name, unit_label, planned in targets:
        target_save(deed=deed, by=by, name=name, unit_label=unit_label, planned=planned)
    return deed


EDITABLE = ("title", "content", "source", "category", "urgent", "location", "unit", "cadre")


@transaction.atomic
def deed_update(*, deed: Deed, by: User, lock_version: int | None = None, **values) -> Deed:
    """Change what a deed is about (not its status, targets or progress). `lock_version` is
    the version the form or client loaded: a deed saved since (an edit, a status change, a
    look-back sending it back) is refused (versioning.StaleEdit)."""
    unknown = set(values) - set(EDITABLE) - {"promised_on"}
    if unknown:
        raise ValueError(unknown)
    if "title" in values and not values["title"].strip():
        raise DeedError("请填写实事名称", "title")
    if "location" in values and not values["location"].strip():
        raise DeedError("请填写地点", "location")
    if "promised_on" in values and values["promised_on"] < deed.opened_on:
        raise DeedError(f"承诺办结日期不能早于登记日期（{deed.opened_on:%Y-%m-%d}）", "promised_on")
    versioning.claim(deed, lock_version)
    for key, value in values.items():
        setattr(deed, key, value.strip() if isinstance(value, str) else value)
    deed.save(update_fields=[*values, "updated_at"])
    return deed


@transaction.atomic
def target_save(
    *,
    deed: Deed,
    by: User,
    name: str,
    unit_label: str,
    planned: Decimal,
    target: Target | None = None,
) -> Target:
    name = (name or "").strip()
    if not name:
        raise DeedError("请填写指标名称，如“组建紧密型教育集团”", "name")
    if planned is None or planned <= 0:
        raise DeedError(f"指标“{name}”的目标值应大于 0", "planned")
    clash = deed.targets.filter(name=name)
    if target is not None:
        clash = clash.exclude(pk=target.pk)
    if clash.exists():
        raise DeedError(f"指标“{name}”已存在", "name")
    target = target or Target(deed=deed)
    target.name, target.unit_label, target.planned = name, (unit_label or "").strip(), planned
    target.save()
    return target


PHOTO_TYPES = {
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".webp": (b"RIFF",),
}
PHOTO_MAX_MB = 8


def _check_photo(upload) -> None:
    name = upload.name or ""
    ext = ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""
    if ext not in PHOTO_TYPES:
        raise DeedError(f"照片“{name}”的格式不支持：请上传 jpg、png 或 webp 图片", "photo")
    if upload.size > PHOTO_MAX_MB * 1024 * 1024:
        raise DeedError(f"照片“{name}”超过 {PHOTO_MAX_MB} MB", "photo")
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    if not any(head.startswith(m) for m in PHOTO_TYPES[ext]) or (
        ext == ".webp" and head[8:12] != b"WEBP"
    ):
        raise DeedError(f"照片“{name}”的内容与扩展名不符，不是有效的图片文件", "photo")


@transaction.atomic
def evidence_add(
    *,
    deed: Deed,
    by: User,
    day: date,
    note: str,
    target: Target | None = None,
    value: Decimal | None = None,
    photo=None,
) -> Evidence:
    """Record progress: a dated note, optionally a target's new value and a photo."""
    if not (note or "").strip():
        raise DeedError("请填写进展情况", "note")
    _not_future(day, "进展日期", "day")
    if day < deed.opened_on:
        raise DeedError(f"进展日期不能早于登记日期（{deed.opened_on:%Y-%m-%d}）", "day")
    if target is not None and target.deed_id != deed.pk:
        raise DeedError("所选指标不属于该实事", "target")
    if (target is None) != (value is None):
        raise DeedError("更新指标须同时选择指标并填写完成值", "value")
    if value is not None and value < 0:
        raise DeedError("完成值不能为负数", "value")
    if photo:
        _check_photo(photo)
    evidence = Evidence(deed=deed, date=day, note=note.strip(), target=target, value=value, by=by)
    if photo:
        evidence.photo_name = (photo.name or "")[-120:]
        evidence.photo.save(
            f"{secrets.token_hex(8)}{photo.name[photo.name.rfind('.') :]}", photo, save=False
        )
    evidence.save()
    if target is not None:
        Target.objects.filter(pk=target.pk).update(achieved=value)
        target.achieved = value
    return evidence


@transaction.atomic
def status_change(
    *,
    deed: Deed,
    to_status: Status,
    by: User,
    day: date | None = None,
    note: str = "",
    lock_version: int | None = None,
) -> StatusChange:
    """Move a deed to another status. Done: the done date is set and a look-back is scheduled
    (policy: lookback_days later). Back to open from done or closed, or closing, needs a
    note. Dates: not in the future, not before the deed was registered."""
    # No join in the locking query: once another status change commits, PostgreSQL re-reads
    # the deed's row but not the joined status, and the row would not be found (it would
    # also lock the status row that every deed in that status shares).
    deed = Deed.objects.select_for_update().get(pk=deed.pk)
    versioning.check(deed, lock_version)  # the status the form showed is still the deed's
    day = day or _today()
    note = (note or "").strip()
    if to_status.pk == deed.status_id:
        raise DeedError(f"实事已处于“{to_status.name}”状态", "to_status")
    _not_future(day, "日期", "day")
    if day < deed.opened_on:
        raise DeedError(f"日期不能早于登记日期（{deed.opened_on:%Y-%m-%d}）", "day")
    before = deed.status.kind
    if to_status.kind == K.CLOSED and not note:
        raise DeedError("关闭实事须说明原因", "note")
    if to_status.kind == K.OPEN and before != K.OPEN and not note:
        raise DeedError(f"从“{deed.status.name}”退回办理须说明原因", "note")
    if to_status.kind == K.DONE:
        unfinished = [t.name for t in deed.targets.all() if t.achieved < t.planned]
        if unfinished and not note:
            raise DeedError("以下指标尚未完成，办结须说明原因：" + "、".join(unfinished), "note")
        deed.done_on = day
        if not deed.lookbacks.filter(conclusion="").exists():
            LookBack.objects.create(deed=deed, due_on=day + timedelta(days=policy().lookback_days))
    elif to_status.kind == K.OPEN:
        deed.done_on = None
        deed.closed_on = None
        deed.lookbacks.filter(conclusion="").delete()  # not done any more: nothing to look back on
    elif to_status.kind == K.CLOSED:
        deed.closed_on = day
    change = StatusChange.objects.create(
        deed=deed, from_status=deed.status, to_status=to_status, date=day, note=note[:500], by=by
    )
    deed.status = to_status
    deed.save()
    return change


# --- look-back -------------------------------------------------------------------------------


def recurrences(deed: Deed) -> QuerySet[Deed]:
    """Deeds registered after this one was done, within the policy's window, for the same
    category at the same place: the problem came back (好不好)."""
    if deed.done_on is None:
        return Deed.objects.none()
    window = policy().recurrence_days
    key = _location_key(deed.location)
    same = Deed.objects.filter(
        category=deed.category,
        opened_on__gt=deed.done_on,
        opened_on__lte=deed.done_on + timedelta(days=window),
    ).exclude(pk=deed.pk)
    return same.filter(
        pk__in=[d.pk for d in same.only("pk", "location") if _location_key(d.location) == key]
    )


@transaction.atomic
def lookback_conclude(
    *,
    lookback: LookBack,
    by: User,
    real_need: bool,
    real_note: str,
    lasting: bool,
    mechanism: bool,
    lasting_note: str,
    happy_note: str,
    conclusion: str,
    tasks: list[tuple[str, date]] = (),
    rework_deadline: date | None = None,
) -> LookBack:
    """Record the three looks and conclude. Pass needs the need to have been real and the
    effect lasting; rework (回炉返工) needs tasks and a new deadline and reopens the deed."""
    lookback = LookBack.objects.select_for_update().select_related("deed").get(pk=lookback.pk)
    deed = lookback.deed
    today = _today()
    if lookback.conclusion:
        raise DeedError("该次回头看已有结论", "conclusion")
    if conclusion not in LookBack.Conclusion.values:
        raise DeedError("请选择结论：通过或回炉返工", "conclusion")
    if not (real_note or "").strip():
        raise DeedError("请填写“实不实”的核实情况", "real_note")
    if not (lasting_note or "").strip():
        raise DeedError("请填写“好不好”的效果与长效机制情况", "lasting_note")
    found = recurrences(deed).count()
    if conclusion == LookBack.Conclusion.PASS:
        if not real_need:
            raise DeedError("所办事项不是群众急难愁盼，不能认定通过，请回炉返工", "conclusion")
        if not lasting:
            raise DeedError("效果未能持续，不能认定通过，请回炉返工", "conclusion")
        if found and not mechanism:
            raise DeedError(
                f"办结后同一地点已再次反映同类问题 {found} 件且未建立长效机制，不能认定通过",
                "conclusion",
            )
    else:
        tasks = [(t.strip(), d) for t, d in tasks if t and t.strip()]
        if not tasks:
            raise DeedError("回炉返工须列出返工任务", "tasks")
        if rework_deadline is None or rework_deadline < today:
            raise DeedError("请填写不早于今天的返工完成时限", "rework_deadline")
        late = [t for t, d in tasks if d is None or d > rework_deadline or d < today]
        if late:
            raise DeedError(f"返工任务“{late[0]}”的时限应在今天与返工完成时限之间", "tasks")
    figures = rating_figures(Rating.objects.filter(deed=deed))
    lookback.real_need, lookback.real_note = real_need, real_note.strip()
    lookback.recurrences, lookback.lasting, lookback.mechanism = found, lasting, mechanism
    lookback.lasting_note, lookback.happy_note = lasting_note.strip(), (happy_note or "").strip()
    lookback.ratings, lookback.satisfaction = figures.valid, figures.satisfaction
    lookback.conclusion, lookback.reviewed_by, lookback.reviewed_at = conclusion, by, timezone.now()
    if conclusion == LookBack.Conclusion.REWORK:
        lookback.rework_deadline = rework_deadline
        ReworkTask.objects.bulk_create(
            ReworkTask(lookback=lookback, title=title[:120], deadline=deadline)
            for title, deadline in tasks
        )
    lookback.save()
    if conclusion == LookBack.Conclusion.REWORK:
        # Back to the last open status (办理中 by default): the deed is being worked on again.
        reopen = [s for s in statuses() if s.kind == K.OPEN][-1]
        StatusChange.objects.create(
            deed=deed,
            from_status=deed.status,
            to_status=reopen,
            date=today,
            note="回头看：回炉返工",
            by=by,
        )
        Deed.objects.filter(pk=deed.pk).update(
            status=reopen,
            status_order=reopen.order,
            done_on=None,
            closed_on=None,
            promised_on=rework_deadline,
            reworks=deed.reworks + 1,
            **versioning.BUMP,
        )
    return lookback


# --- raters, throttling, codes -------------------------------------------------------------


def phone_key(mobile: str) -> str:
    return crypto.blind_index("deeds-rater:" + mobile)


def panel_key(member: PanelMember) -> str:
    return crypto.blind_index(f"deeds-panel:{member.pk}")


def hit(key: str, limit: int, seconds: int) -> bool:
    """Count one request for `key` in the current window of `seconds`; False when the limit is
    exceeded. One statement (an upsert), so concurrent requests count exactly. Inside the
    caller's transaction it is committed with it; outside one it commits on its own, on
    PostgreSQL without waiting for the disk (synchronous_commit off for that transaction
    only: a counter lost in a crash costs nothing)."""
    sql, params = _count_sql(key, seconds)
    own = not connection.in_atomic_block  # not inside the caller's transaction
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        if own and connection.vendor == "postgresql":
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
        cursor.execute(sql, params)
        (count,) = cursor.fetchone()
    return count <= limit


def _count_sql(key: str, seconds: int) -> tuple[str, list]:
    table = Throttle._meta.db_table
    sql = (
        f'INSERT INTO {table} ("key", "slot", "count") VALUES (%s, %s, 1) '  # noqa: S608
        f'ON CONFLICT ("key", "slot") DO UPDATE SET "count" = {table}."count" + 1 '
        'RETURNING "count"'
    )
    return sql, [key[:120], int(time.time()) // seconds]


# Limits of the public endpoints: (requests, seconds)
CODE_PER_PHONE = (1, 60)
CODES_PER_PHONE_DAY = (10, 86400)
CODES_PER_CLIENT = (20, 3600)
RATINGS_PER_CLIENT = (60, 60)
CODE_MINUTES = 10
CODE_ATTEMPTS = 5


class Throttled(DeedError):
    pass


def _check_mobile(mobile: str) -> str:
    from guazhi.core.personal import MOBILE_RE

    mobile = normalise_mobile(mobile)
    if not MOBILE_RE.match(mobile):
        raise DeedError("请填写正确的 11 位手机号", "mobile")
    return mobile


def code_request(*, mobile: str, client: str) -> str:
    """Issue a one-time code for the phone (to be sent by SMS); rate-limited per phone and per
    client address. Returns the code."""
    mobile = _check_mobile(mobile)
    key = phone_key(mobile)
    if not hit(f"code:c:{client}", *CODES_PER_CLIENT):
        raise Throttled("操作过于频繁，请稍后再试", "mobile")
    if not hit(f"code:p:{key}", *CODE_PER_PHONE):
        raise Throttled("验证码已发送，请 1 分钟后再试", "mobile")
    if not hit(f"code:pd:{key}", *CODES_PER_PHONE_DAY):
        raise Throttled("该手机号今天获取验证码的次数已达上限", "mobile")
    code = f"{secrets.randbelow(10**6):06d}"
    PhoneCode.objects.create(
        phone_key=key,
        code_hash=crypto.blind_index(f"{key}:{code}"),
        expires_at=timezone.now() + timedelta(minutes=CODE_MINUTES),
    )
    return code


def _check_open_for_rating(deed: Deed) -> None:
    if deed.closed_on is not None or deed.status.kind == K.CLOSED:
        raise DeedError("这件实事已关闭，不再接受评价", "level")


def _level(level) -> int:
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = 0
    if level not in Level.values:
        raise DeedError("请选择评价：非常满意、满意、基本满意、不满意或非常不满意", "level")
    return level


def _save_rating(rating: Rating) -> Rating:
    try:
        with transaction.atomic():
            rating.save()
            if rating.first_level in BAD_LEVELS:
                rectification_open(rating)
    except IntegrityError:
        raise DeedError("您已评价过这件实事，每人只能评价一次", "level") from None
    return rating


def rate_public(
    *, deed: Deed, mobile: str, code: str, level, comment: str = "", client: str = ""
) -> Rating:
    """A member of the public rates a deed from its public page with a verified phone.

    One transaction, committed whatever the outcome, so that what must count does: the
    client's submission is counted (limit), a wrong code counts an attempt on the code, a good
    one is spent and the rating written with its audit entry and any rectification. A second
    rating by the same phone writes nothing but the count (the rating's insert skips the
    conflict on the one-per-rater key; the code is given back). Written for bursts: on
    PostgreSQL counting, spending the code and inserting the rating are one statement
    (`_count_spend_insert`), the audit entry two; no row is shared between raters'
    transactions except the audit chain's head, which `audit.deferred` never waits for."""
    with audit.deferred(), transaction.atomic():
        outcome = _rate_public(deed, mobile, code, level, comment, client)
    if isinstance(outcome, DeedError):
        raise outcome
    return outcome


def _rate_public(deed, mobile, code, level, comment, client) -> Rating | DeedError:
    limit, seconds = RATINGS_PER_CLIENT
    throttled = Throttled("提交过于频繁，请稍后再试", "level")
    try:
        _check_open_for_rating(deed)
        level = _level(level)
        mobile = _check_mobile(mobile)
    except DeedError as exc:
        return exc if hit(f"rate:c:{client}", limit, seconds) else throttled
    key = phone_key(mobile)
    rating = Rating(
        deed=deed,
        level=level,
        first_level=level,
        comment=(comment or "").strip()[:500],
        channel=Rating.Channel.PUBLIC,
        rater_key=key,
        mobile_encrypted=crypto.encrypt(mobile),
    )
    count, code_id, used, rating_id = _count_spend_insert(
        f"rate:c:{client}", key, (code or "").strip(), rating
    )
    if count > limit:
        return throttled
    if code_id is None:
        return DeedError(_why_no_code(deed, key), "code")
    if not used:
        return DeedError("验证码不正确", "code")
    if rating_id is None:
        PhoneCode.objects.filter(pk=code_id).update(used=False)
        return DeedError("您已评价过这件实事，每人只能评价一次", "level")
    rating.pk = rating_id
    rating._state.adding = False
    rating._state.db = connection.alias
    audit.record_created(rating)
    if level in BAD_LEVELS:
        rectification_open(rating)
    return rating


def _count_spend_insert(
    client_key: str, key: str, code: str, rating: Rating
) -> tuple[int, int | None, bool | None, int | None]:
    """Count the client's submission; if within the limit, check the phone's latest live code
    — spent if right, one attempt more if wrong; if spent, insert the rating unless the
    rater has rated the deed (ON CONFLICT: no error, no savepoint). Returns (count, code id
    or None when there was no live code with attempts left, whether the code was right,
    rating id or None). PostgreSQL does it in one statement (each step reads the one
    before's RETURNING), SQLite in three.

    Concurrent submissions for one code queue on its row and see each other's result, as a
    row lock would give. Comparing the keyed hashes in SQL is safe: without the key nobody
    can aim a guess at a stored hash."""
    limit, seconds = RATINGS_PER_CLIENT
    count_sql, count_params = _count_sql(client_key, seconds)
    codes = PhoneCode._meta.db_table
    given = crypto.blind_index(f"{key}:{code}")
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    spend_sql = (
        f"UPDATE {codes} SET used = (code_hash = %s), "  # noqa: S608 (model's table)
        "attempts = attempts + CASE WHEN code_hash = %s THEN 0 ELSE 1 END "
        f"WHERE id = (SELECT id FROM {codes} WHERE phone_key = %s AND used = %s "
        "AND expires_at > %s ORDER BY id DESC LIMIT 1) AND used = %s AND attempts < %s "
    )
    spend_params = [given, given, key, False, now, False, CODE_ATTEMPTS]
    fields = [f for f in Rating._meta.concrete_fields if not f.primary_key]
    ops = connection.ops
    insert_sql = (
        f"INSERT INTO {ops.quote_name(Rating._meta.db_table)} "  # noqa: S608 (model's table)
        f"({', '.join(ops.quote_name(f.column) for f in fields)}) "
        "SELECT {marks} {source} ON CONFLICT (deed_id, rater_key) DO NOTHING RETURNING id"
    ).replace("{marks}", ", ".join(["%s"] * len(fields)))
    insert_params = [f.get_db_prep_save(f.pre_save(rating, True), connection) for f in fields]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH counted AS ({count_sql}), "  # noqa: S608 (the statements above)
                f'spent AS ({spend_sql} AND (SELECT "count" FROM counted) <= %s '
                "RETURNING id, used), "
                f"rated AS ({insert_sql.replace('{source}', 'FROM spent WHERE spent.used')}) "
                'SELECT (SELECT "count" FROM counted), (SELECT id FROM spent), '
                "(SELECT used FROM spent), (SELECT id FROM rated)",
                [*count_params, *spend_params, limit, *insert_params],
            )
            count, code_id, used, rating_id = cursor.fetchone()
            return count, code_id, used, rating_id
        cursor.execute(count_sql, count_params)
        (count,) = cursor.fetchone()
        if count > limit:
            return count, None, None, None
        cursor.execute(spend_sql + "RETURNING id, used", spend_params)
        row = cursor.fetchone()
        if row is None or not row[1]:
            return count, row and row[0], row and bool(row[1]), None
        # WHERE: SQLite's parser needs one between an INSERT's SELECT and ON CONFLICT.
        cursor.execute(insert_sql.replace("{source}", "WHERE true"), insert_params)
        inserted = cursor.fetchone()
        return count, row[0], True, inserted and inserted[0]


def _why_no_code(deed: Deed, key: str) -> str:
    latest = (
        PhoneCode.objects.filter(phone_key=key, used=False, expires_at__gt=timezone.now())
        .order_by("-id")
        .values_list("attempts", flat=True)
        .first()
    )
    if latest is not None and latest >= CODE_ATTEMPTS:
        return "验证码错误次数过多，请重新获取"
    if Rating.objects.filter(deed=deed, rater_key=key).exists():
        return "您已评价过这件实事，每人只能评价一次"
    return "验证码已过期或未获取，请重新获取"


@transaction.atomic
def rate_panel(
    *, deed: Deed, member: PanelMember, level, channel: str, comment: str = ""
) -> Rating:
    """An invited panel member (群众评议团) rates a deed, saying how he judged it."""
    if not member.active:
        raise DeedError("该评议邀请已失效", "level")
    _check_open_for_rating(deed)
    if channel not in (c for c in Rating.Channel.values if c != Rating.Channel.PUBLIC):
        raise DeedError("请选择评议方式：实地看、现场问、座谈议或网络评", "channel")
    level = _level(level)
    rating = Rating(
        deed=deed,
        level=level,
        first_level=level,
        comment=(comment or "").strip()[:500],
        channel=channel,
        rater_key=panel_key(member),
        panel_member=member,
        mobile_encrypted=member.mobile_encrypted,
    )
    return _save_rating(rating)


@transaction.atomic
def panel_member_add(*, by: User, name: str, community: str = "", mobile: str = "") -> PanelMember:
    if not (name or "").strip():
        raise DeedError("请填写姓名", "name")
    member = PanelMember(
        name=name.strip(),
        community=(community or "").strip(),
        created_by=by,
        token=secrets.token_urlsafe(18),
    )
    if mobile:
        member.mobile = _check_mobile(mobile)
    member.save()
    return member


# --- rectification and appeals ---------------------------------------------------------------


def rectification_deadline(start: date) -> date:
    from guazhi.core.workdays import add_working_days

    return add_working_days(start, policy().rectify_working_days)


def rectification_open(rating: Rating) -> Rectification:
    today = _today()
    return Rectification.objects.create(
        rating=rating,
        deed=rating.deed,
        unit_id=rating.deed.unit_id,
        opened_on=today,
        deadline=rectification_deadline(today),
        rerate_token=secrets.token_urlsafe(18),
    )


@transaction.atomic
def rectification_done(*, rectification: Rectification, by: User, action: str) -> Rectification:
    if rectification.status == Rectification.Status.DONE:
        raise DeedError("该整改已完成", "action")
    if not (action or "").strip():
        raise DeedError("请填写整改措施", "action")
    rectification.action = action.strip()
    rectification.status = Rectification.Status.DONE
    rectification.done_on = _today()
    rectification.done_by = by
    rectification.save()
    return rectification


@transaction.atomic
def callback_record(
    *, rectification: Rectification, by: User, day: date, note: str
) -> Rectification:
    """回访: someone calls the rater back and records what was said."""
    if not (note or "").strip():
        raise DeedError("请填写回访情况", "note")
    _not_future(day, "回访日期", "day")
    if day < rectification.opened_on:
        raise DeedError(
            f"回访日期不能早于整改启动日期（{rectification.opened_on:%Y-%m-%d}）", "day"
        )
    rectification.callback_on, rectification.callback_note = day, note.strip()
    rectification.callback_by = by
    rectification.save()
    return rectification


@transaction.atomic
def rerate(*, token: str, level, comment: str = "") -> Rating:
    """The rater, invited after the rectification, rates the fix: the rating keeps its first
    level and takes the new one for the figures. Once only."""
    rectification = (
        Rectification.objects.select_for_update()
        .select_related("rating")
        .filter(rerate_token=token or "-")
        .first()
    )
    if rectification is None:
        raise DeedError("再评价链接无效", "level")
    rating = rectification.rating
    if rectification.status != Rectification.Status.DONE:
        raise DeedError("整改尚未完成，完成后可再次评价", "level")
    if rating.rerated_at is not None:
        raise DeedError("您已再次评价过，感谢参与", "level")
    rating.level = _level(level)
    if comment and comment.strip():
        rating.comment = (rating.comment + "｜再评价：" + comment.strip())[:500]
    rating.rerated_at = timezone.now()
    rating.save()
    return rating


@transaction.atomic
def appeal_file(*, rating: Rating, by: User, reason: str) -> Appeal:
    if not (reason or "").strip():
        raise DeedError("请填写申诉理由（如恶意评价、误评的依据）", "reason")
    if rating.appeals.filter(decision="").exists():
        raise DeedError("该评价已有待复核的申诉", "reason")
    if rating.excluded:
        raise DeedError("该评价已因申诉成立不计入统计", "reason")
    return Appeal.objects.create(
        rating=rating, reason=reason.strip(), filed_by=by, filed_at=timezone.now()
    )


@transaction.atomic
def appeal_decide(*, appeal: Appeal, by: User, decision: str, note: str) -> Appeal:
    """A reviewer decides; whoever filed the appeal may not decide it. Upheld → the rating no
    longer counts in the figures but stays in the record."""
    appeal = Appeal.objects.select_for_update().select_related("rating").get(pk=appeal.pk)
    if appeal.decision:
        raise DeedError("该申诉已复核", "decision")
    if appeal.filed_by_id == by.pk:
        raise DeedError("申诉人不能复核自己的申诉", "decision")
    if decision not in Appeal.Decision.values:
        raise DeedError("请选择复核结论", "decision")
    if not (note or "").strip():
        raise DeedError("请填写复核意见", "note")
    appeal.decision, appeal.decision_note = decision, note.strip()
    appeal.decided_by, appeal.decided_at = by, timezone.now()
    appeal.save()
    if decision == Appeal.Decision.UPHELD:
        Rating.objects.filter(pk=appeal.rating_id).update(excluded=True)
    return appeal


# --- figures ---------------------------------------------------------------------------------


@dataclass
class RatingFigures:
    counts: dict[int, int]  # level → valid ratings (current level)
    valid: int
    excluded: int
    bad: int  # valid ratings whose first level was bad
    rectified: int  # of those, rectification done
    satisfaction: Decimal | None  # %
    rectify_rate: Decimal | None  # %


def _pct(n, d) -> Decimal | None:
    if not d:
        return None
    return (Decimal(100) * Decimal(n) / Decimal(d)).quantize(Decimal("0.1"))


def rating_figures(qs: QuerySet[Rating]) -> RatingFigures:
    """满意率 and 差评整改率 of the ratings (one query)."""
    return rating_figures_by(qs, None, [None])[None]


def rating_figures_by(qs: QuerySet[Rating], group: str | None, keys) -> dict:
    """`rating_figures` for each group of the ratings — `group` a Rating field path such as
    "deed_id" or "deed__unit_id", None for one group — in one query whatever the number of
    groups; every key of `keys` gets figures (zero ratings: rates None)."""
    fields = [group] if group else []
    counts = {key: dict.fromkeys(Level.values, 0) for key in keys}
    excluded = dict.fromkeys(keys, 0)
    bad: dict = {}
    first_bad = Q(first_level__in=BAD_LEVELS)
    rows = (
        qs.values_list(*fields, "level", "excluded")
        .annotate(
            n=Count("pk"),
            n_bad=Count("pk", filter=first_bad),
            n_fixed=Count(
                "pk", filter=first_bad & Q(rectification__status=Rectification.Status.DONE)
            ),
        )
        .order_by()
    )  # one pass over the ratings (a rating has at most one rectification: no duplicates)
    for row in rows:
        key, (level, is_excluded, n, n_bad, n_fixed) = (row[0] if group else None), row[-5:]
        if key not in counts:
            continue
        if is_excluded:
            excluded[key] += n
            continue
        counts[key][level] += n
        so_far = bad.get(key, (0, 0))
        bad[key] = (so_far[0] + n_bad, so_far[1] + n_fixed)
    weight = policy().basic_weight
    return {
        key: _rating_figures(counts[key], excluded[key], *bad.get(key, (0, 0)), weight)
        for key in keys
    }


def _rating_figures(counts: dict, excluded: int, n_bad: int, done: int, weight) -> RatingFigures:
    valid = sum(counts.values())
    happy = counts[Level.VERY_GOOD] + counts[Level.GOOD] + weight * counts[Level.FAIR]
    return RatingFigures(
        counts=counts,
        valid=valid,
        excluded=excluded,
        bad=n_bad,
        rectified=done,
        satisfaction=_pct(happy, valid),
        rectify_rate=_pct(done, n_bad),
    )


@dataclass
class Figures:
    deeds: int
    responded: int
    solved: int
    on_time: int
    response_rate: Decimal | None
    solve_rate: Decimal | None
    on_time_rate: Decimal | None
    ratings: RatingFigures


def figures(qs: QuerySet[Deed]) -> Figures:
    """The rates of a set of deeds (e.g. one unit's or one cadre's): see the module docstring.
    A fixed number of queries."""
    return figures_by(qs, None)[None]


def figures_by(qs: QuerySet[Deed], group: str | None) -> dict:
    """`figures` per value of a Deed field (e.g. "unit_id", "cadre_id"; None: one group
    keyed None), in four queries whatever the number of groups (the statuses, the deeds,
    their rating tallies, the policy)."""
    first = first_open()
    # Responded: some progress recorded or a status other than the first reached. As IN
    # (SELECT …) the database hashes each list once instead of probing it per deed.
    progress = Evidence.objects.values("deed_id")
    moved = StatusChange.objects.exclude(to_status=first).values("deed_id")
    done_q = Q(done_on__isnull=False)
    aggregates = {
        "deeds": Count("pk"),
        "responded": Count("pk", filter=Q(pk__in=progress) | Q(pk__in=moved)),
        "solved": Count("pk", filter=done_q),
        "on_time": Count("pk", filter=done_q & Q(done_on__lte=F("promised_on"))),
    }
    # The ratings from the deeds' tallies (RatingTally, about one row per deed), not from
    # their ratings (ten per deed).
    tallies = RatingTally.objects.filter(deed__in=qs.values("pk")).order_by()
    sums = {column: Sum(column) for column in TALLY_COLUMNS}
    if group:
        rows = {row[group]: row for row in qs.values(group).annotate(**aggregates).order_by()}
        path = f"deed__{group}"
        summed = {row[path]: row for row in tallies.values(path).annotate(**sums)}
    else:
        rows = {None: qs.aggregate(**aggregates)}
        summed = {None: tallies.aggregate(**sums)}
    weight = policy().basic_weight
    ratings = {}
    for key in rows:
        n = {column: (summed.get(key) or {}).get(column) or 0 for column in TALLY_COLUMNS}
        counts = {level: n[f"n_{level}"] for level in Level.values}
        ratings[key] = _rating_figures(counts, n["n_excluded"], n["n_bad"], n["n_fixed"], weight)
    return {
        key: Figures(
            deeds=row["deeds"],
            responded=row["responded"],
            solved=row["solved"],
            on_time=row["on_time"],
            response_rate=_pct(row["responded"], row["deeds"]),
            solve_rate=_pct(row["solved"], row["deeds"]),
            on_time_rate=_pct(row["on_time"], row["solved"]),
            ratings=ratings[key],
        )
        for key, row in rows.items()
    }


# --- rules -----------------------------------------------------------------------------------


@transaction.atomic
def policy_save(*, by: User, **values) -> Policy:
    row = policy()
    for key in ("lookback_days", "recurrence_days", "rectify_working_days", "basic_weight"):
        if key in values:
            setattr(row, key, values[key])
    if not 0 <= row.basic_weight <= 1:
        raise DeedError("“基本满意”的权重应在 0 到 1 之间", "basic_weight")
    row.save()
    return row


@transaction.atomic
def statuses_save(*, by: User, rows: list[tuple[int | None, str, str]]) -> list[Status]:
    """Save the status workflow in the given order: rename, change kind, add (pk None) and
    drop the statuses left out (only those no deed has ever had). At least one open and one
    done status; names unique; the first status must be open (new deeds start there)."""
    names = [(name or "").strip() for _pk, name, _kind in rows]
    if any(not n for n in names):
        raise DeedError("状态名称不能为空", "rows")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise DeedError("状态名称重复：" + "、".join(dupes), "rows")
    kinds = [kind for _pk, _name, kind in rows]
    if any(k not in Status.Kind.values for k in kinds):
        raise DeedError("请为每个状态选择类型", "rows")
    if not rows or kinds[0] != K.OPEN:
        raise DeedError("第一个状态须为“办理中”类型：新登记的实事从这里开始", "rows")
    if K.DONE not in kinds:
        raise DeedError("至少要有一个“已办结”类型的状态", "rows")
    existing = {s.pk: s for s in Status.objects.all()}
    kept = {pk for pk, _n, _k in rows if pk}
    if kept - set(existing):
        raise DeedError("状态列表已被他人修改，请刷新后重试", "rows")
    for pk in set(existing) - kept:
        used = (
            Deed.objects.filter(status_id=pk).exists()
            or StatusChange.objects.filter(Q(to_status_id=pk) | Q(from_status_id=pk)).exists()
        )
        if used:
            raise DeedError(f"状态“{existing[pk].name}”已有实事使用过，不能删除", "rows")
    for pk in set(existing) - kept:
        existing[pk].delete()
    # Move names and orders out of the way first, so two statuses may exchange them.
    for pk in kept:
        Status.objects.filter(pk=pk).update(name=f"__{pk}", order=1000 + pk)
    result = []
    for order, (pk, name, kind) in enumerate(
        zip([r[0] for r in rows], names, kinds, strict=True), start=1
    ):
        status = existing.get(pk) if pk else Status()
        status.order, status.name, status.kind = order, name, kind
        status.save()
        result.append(status)
        # The deeds' copy of the order (their lists sort by it).
        Deed.objects.filter(status=status).exclude(status_order=order).update(status_order=order)
    return result
