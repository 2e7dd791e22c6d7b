"""The audit log: who did what, when, from where, to which record, with before and after.

`record()` appends one entry to the hash chain. Model changes are captured by signals for
every model passed to `track()`; logins and logouts by Django's auth signals; exports and
reveals are recorded explicitly by the code that performs them.
"""

from __future__ import annotations

import contextvars
import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db import connections, models, router, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save
from django.utils import timezone

from .models import AuditEntry, AuditHead, AuditPending

_request: contextvars.ContextVar = contextvars.ContextVar("guazhi_audit_request", default=None)
_actor_label: contextvars.ContextVar = contextvars.ContextVar("guazhi_audit_label", default="")

MASKED = "******"
# Never written to the log in clear, whatever the model.
ALWAYS_MASKED = {"password", "key", "secret_key", "key_encrypted"}


@dataclass
class _Tracked:
    exclude: frozenset[str]
    masked: frozenset[str]


_tracked: dict[type[models.Model], _Tracked] = {}


def set_request(request) -> contextvars.Token:
    return _request.set(request)


def reset_request(token: contextvars.Token) -> None:
    _request.reset(token)


class acting_as:
    """Label entries written outside a request (management commands, imports)."""

    def __init__(self, label: str):
        self.label = label

    def __enter__(self):
        self._token = _actor_label.set(self.label)
        return self

    def __exit__(self, *exc):
        _actor_label.reset(self._token)


def client_ip(request) -> str | None:
    from django.conf import settings

    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | float):
        return str(value)
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def label_of(model) -> str:
    """'app.model' for a model class or instance (also through a lazy user object)."""
    return f"{model._meta.app_label}.{model._meta.model_name}"


def _build_entry(
    action: str,
    *,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict | None = None,
    message: str = "",
    actor=None,
    request=None,
    jsonable=None,
) -> AuditEntry:
    """The unsaved, unchained entry that `record()` and `record_many()` both append."""
    request = request or _request.get()
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if obj is not None:
        object_type = object_type or label_of(obj)
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)
    username = actor.get_username() if actor is not None else (_actor_label.get() or "system")
    agent = request.META.get("HTTP_USER_AGENT", "") if request is not None else ""
    return AuditEntry(
        at=timezone.now(),
        actor_id=actor.pk if actor is not None else None,
        actor_username=username[:150],
        action=action,
        object_type=object_type[:60],
        object_id=str(object_id)[:64],
        object_repr=object_repr[:200],
        changes=(jsonable or _jsonable)(changes or {}),
        message=message[:300],
        ip=client_ip(request) if request is not None else None,
        user_agent=agent[:200],
    )


def record(action: str, **kwargs) -> AuditEntry:
    """Append one entry to the chain (inside the caller's transaction, if any). Keyword
    arguments: obj, object_type, object_id, object_repr, changes, message, actor, request.

    The head is locked, any pending entries (see `deferred`) taken, and they and this one
    chained in order, inserted and the head moved: two statements on PostgreSQL (lock and
    take; insert and move), four on SQLite — the fewest a chained append can take, because
    every other append waits for the head until the caller's transaction ends."""
    entry = _build_entry(action, **kwargs)
    connection = connections[router.db_for_write(AuditEntry)]
    wait = not _deferred.get()
    with transaction.atomic(using=connection.alias, savepoint=False):
        if _append(connection, [entry], wait=wait) is None:
            _defer(connection, entry)
    return entry


_deferred: contextvars.ContextVar = contextvars.ContextVar("guazhi_audit_deferred", default=False)
_ENTRY_FIELDS = (
    "actor_id", "actor_username", "action", "object_type", "object_id", "object_repr",
    "changes", "message", "ip", "user_agent",
)  # fmt: skip


class deferred:
    """Inside, an entry never waits for the chain's head: if another transaction holds it,
    the entry is stored as pending (in the caller's transaction, so both or neither survive a
    crash) and whoever next takes the head chains it — the holder of the head chains every
    pending entry committed so far before its own. For bursts of independent writes (public
    ratings) that would otherwise queue one after another on the head until each commits. A
    pending entry is protected by the chain only once chained: under load within the next
    few submissions, at the latest by the next audited action, the audit log page or
    `guazhi audit verify`."""

    def __enter__(self):
        self._token = _deferred.set(True)
        return self

    def __exit__(self, *exc):
        _deferred.reset(self._token)


def _defer(connection, entry: AuditEntry) -> None:
    payload = {name: getattr(entry, name) for name in _ENTRY_FIELDS}
    payload["at"] = entry.at.astimezone(UTC).isoformat(timespec="microseconds")
    table = connection.ops.quote_name(AuditPending._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (payload) VALUES (%s)",  # noqa: S608 (model's table)
            [json.dumps(payload, ensure_ascii=False)],
        )


def chain_pending() -> int:
    """Chain the pending entries (see `deferred`) now; the number chained."""
    connection = connections[router.db_for_write(AuditEntry)]
    with transaction.atomic(using=connection.alias, savepoint=False):
        return _append(connection, [], wait=True) or 0


def _append(connection, entries: list[AuditEntry], *, wait: bool) -> int | None:
    """Lock the head, chain the pending entries then `entries`, insert them, move the head.
    Inside a transaction. Returns the number of pending entries chained; None (nothing
    done) when wait is False and another transaction holds the head."""
    ops = connection.ops
    head_table = ops.quote_name(AuditHead._meta.db_table)
    lock = ""
    if connection.features.has_select_for_update:
        lock = " FOR UPDATE" if wait else " FOR UPDATE SKIP LOCKED"
    select = f"SELECT seq, hash FROM {head_table} WHERE id = 1{lock}"  # noqa: S608
    pending_table = ops.quote_name(AuditPending._meta.db_table)
    take = f"DELETE FROM {pending_table} RETURNING id, payload"  # noqa: S608
    if connection.vendor == "postgresql":
        # One statement: the head (locked), and the pending entries only if it was got.
        # Rows committed while this waited for the head are not seen (the statement's
        # snapshot is older) and stay pending; rows its previous holder took are skipped.
        select = (
            f"WITH head AS ({select}), taken AS (DELETE FROM {pending_table} "  # noqa: S608
            "WHERE EXISTS (SELECT 1 FROM head) RETURNING id, payload) "
            "SELECT head.seq, head.hash, taken.id, taken.payload FROM head LEFT JOIN taken ON true"
        )
    with connection.cursor() as cursor:
        cursor.execute(select)
        rows = cursor.fetchall()
        if not rows:
            if not wait:
                return None  # held by another (or not created yet: the next append creates it)
            AuditHead.objects.using(connection.alias).get_or_create(pk=1)
            cursor.execute(select)
            rows = cursor.fetchall()
        seq, prev_hash = rows[0][:2]
        if connection.vendor == "postgresql":
            taken = [row[2:] for row in rows if row[2] is not None]
        else:
            cursor.execute(take)
            taken = cursor.fetchall()
        pending = [_undefer(payload) for _, payload in sorted(taken)]
        chained = pending + entries
        if not chained:
            return 0
        for entry in chained:
            seq += 1
            entry.seq = seq
            entry.prev_hash = prev_hash
            entry.hash = prev_hash = entry.compute_hash()
        fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
        table = ops.quote_name(AuditEntry._meta.db_table)
        columns = ", ".join(ops.quote_name(f.column) for f in fields)
        row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
        move = f"UPDATE {head_table} SET seq = %s, hash = %s WHERE id = 1"  # noqa: S608
        by_seq = {entry.seq: entry for entry in chained}
        for start in range(0, len(chained), _CHUNK):
            chunk = chained[start : start + _CHUNK]
            insert = (
                f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 (model's table)
                + ", ".join([row_marks] * len(chunk))
                + " RETURNING id, seq"
            )
            params = [
                f.get_db_prep_save(getattr(e, f.attname), connection) for e in chunk for f in fields
            ]
            if start + _CHUNK >= len(chained) and connection.vendor == "postgresql":
                cursor.execute(
                    f"WITH added AS ({insert}), moved AS ({move}) SELECT id, seq FROM added",  # noqa: S608
                    [*params, seq, prev_hash],
                )
            else:
                cursor.execute(insert, params)
            for pk, number in cursor.fetchall():  # inserted rows, matched by number
                entry = by_seq[number]
                entry.pk = pk
                entry._state.adding = False
                entry._state.db = connection.alias
        if connection.vendor != "postgresql":
            cursor.execute(move, [seq, prev_hash])
    return len(pending)


_CHUNK = 500  # rows per INSERT: 12 parameters each, under both databases' limits


def _undefer(payload: str) -> AuditEntry:
    values = json.loads(payload)
    at = datetime.fromisoformat(values.pop("at"))
    return AuditEntry(at=at, **{name: values[name] for name in _ENTRY_FIELDS})


def record_many(entries: Iterable[dict[str, Any]], *, batch_size: int = 500) -> list[AuditEntry]:
    """Append many entries at once (bulk imports). Each item holds `record()`'s keyword
    arguments (`action`, `obj`, `changes`, `actor`…). The chain is exactly the one that
    calling `record()` for each item in turn would build: the same fields and hash, numbers
    following one another, the head moved to the last entry; the head is locked once and
    the rows are inserted in bulk (the returned entries carry no primary key)."""
    plain_types = {str, int, bool, type(None)}

    def plain(value):
        # The same as _jsonable(value), without a call per value of the dicts of lists of
        # plain values that imports pass.
        kind = type(value)
        if kind in plain_types:
            return value
        if kind is dict:
            return {
                k if type(k) is str else str(k): v if type(v) in plain_types else plain(v)
                for k, v in value.items()
            }
        if kind is list or kind is tuple:
            return [v if type(v) in plain_types else plain(v) for v in value]
        return _jsonable(value)

    built = [_build_entry(**item, jsonable=plain) for item in entries]
    if not built:
        return built
    connection = connections[router.db_for_write(AuditEntry)]
    with transaction.atomic(using=connection.alias):
        head = AuditHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = AuditHead.objects.create(pk=1)
        seq, prev_hash = head.seq, head.hash
        for entry in built:
            seq += 1
            entry.seq = seq
            entry.prev_hash = prev_hash
            entry.hash = prev_hash = entry.compute_hash()
        # Plain INSERTs (PostgreSQL: COPY): bulk_create's per-value SQL compilation costs
        # more than hashing the entries.
        fields = [f for f in AuditEntry._meta.concrete_fields if not f.primary_key]
        ops = connection.ops
        table = ops.quote_name(AuditEntry._meta.db_table)
        columns = ", ".join(ops.quote_name(f.column) for f in fields)
        rows = [
            [f.get_db_prep_save(getattr(e, f.attname), connection) for f in fields] for e in built
        ]
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                for start in range(0, len(rows), batch_size):
                    cursor.executemany(
                        f"INSERT INTO {table} ({columns}) VALUES "  # noqa: S608 (model names)
                        f"({', '.join(['%s'] * len(fields))})",
                        rows[start : start + batch_size],
                    )
        AuditHead.objects.filter(pk=1).update(seq=seq, hash=prev_hash)
    return built


# --- verification -------------------------------------------------------------------------------


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    problem: str = ""
    seq: int | None = None


def verify(chunk_size: int = 2000) -> VerifyResult:
    """Walk the chain in order and report the first broken link (pending entries are chained
    first)."""
    chain_pending()
    expected_seq = 1
    prev_hash = "0" * 64
    checked = 0
    rows: Iterator[AuditEntry] = AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk_size)
    for entry in rows:
        if entry.seq != expected_seq:
            return VerifyResult(
                False,
                checked,
                f"第 {expected_seq} 条审计记录缺失（下一条为第 {entry.seq} 条）",
                expected_seq,
            )
        if entry.prev_hash != prev_hash:
            return VerifyResult(
                False,
                checked,
                f"第 {entry.seq} 条审计记录的链接断开：上一条记录被改动或替换",
                entry.seq,
            )
        if entry.compute_hash() != entry.hash:
            return VerifyResult(
                False, checked, f"第 {entry.seq} 条审计记录的内容被篡改（哈希不符）", entry.seq
            )
        prev_hash = entry.hash
        expected_seq += 1
        checked += 1
    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, "0" * 64)
    if head_seq != checked or head_hash != prev_hash:
        if head_seq > checked:
            return VerifyResult(
                False,
                checked,
                f"最后 {head_seq - checked} 条审计记录缺失（链头为第 {head_seq} 条）",
                checked + 1,
            )
        return VerifyResult(False, checked, "审计链头与最后一条记录不符", checked)
    return VerifyResult(True, checked)


# --- model change capture ------------------------------------------------------------------------


def track(model: type[models.Model], *, exclude: Iterable[str] = (), masked: Iterable[str] = ()):
    """Audit every create, update and delete of `model` (and its many-to-many fields)."""
    # lock_version (core/versioning.py) changes on every save and means nothing to a reader.
    exclude = frozenset(exclude) | {"lock_version"}
    _tracked[model] = _Tracked(exclude, frozenset(masked) | ALWAYS_MASKED)
    for field in model._meta.many_to_many:
        m2m_changed.connect(_on_m2m, sender=field.remote_field.through, weak=False)
    return model


def _field_values(instance: models.Model, spec: _Tracked) -> dict[str, Any]:
    values = {}
    for field in instance._meta.concrete_fields:
        if field.name in spec.exclude:
            continue
        values[field.name] = getattr(instance, field.attname)
    return values


def _display(value: Any, name: str, spec: _Tracked) -> Any:
    if name in spec.masked:
        return MASKED if value not in (None, "") else value
    return _jsonable(value)


def _on_pre_save(sender, instance, raw=False, **kwargs):
    spec = _tracked.get(sender)
    if spec is None or raw or instance._state.adding or instance.pk is None:
        return
    fields = [f.attname for f in sender._meta.concrete_fields if f.name not in spec.exclude]
    old = sender._base_manager.filter(pk=instance.pk).values(*fields).first()
    instance._audit_before = old


def record_created(instance: models.Model) -> None:
    """The entry that saving a new tracked instance writes, for code that inserts one by SQL
    (which sends no signal)."""
    spec = _tracked[type(instance)]
    changes = {
        name: [None, _display(value, name, spec)]
        for name, value in _field_values(instance, spec).items()
        if value not in (None, "")
    }
    record(AuditEntry.Action.CREATE, obj=instance, changes=changes)


def _on_post_save(sender, instance, created, raw=False, update_fields=None, **kwargs):
    spec = _tracked.get(sender)
    if spec is None or raw:
        return
    if created:
        record_created(instance)
        return
    after = _field_values(instance, spec)
    before = getattr(instance, "_audit_before", None) or {}
    instance._audit_before = None
    changes = {}
    for field in sender._meta.concrete_fields:
        if field.name not in after:
            continue
        old, new = before.get(field.attname), after[field.name]
        if old != new:
            changes[field.name] = [_display(old, field.name, spec), _display(new, field.name, spec)]
    if changes:
        record(AuditEntry.Action.UPDATE, obj=instance, changes=changes)


def _on_post_delete(sender, instance, **kwargs):
    spec = _tracked.get(sender)
    if spec is None:
        return
    before = _field_values(instance, spec)
    changes = {
        name: [_display(value, name, spec), None]
        for name, value in before.items()
        if value not in (None, "")
    }
    record(AuditEntry.Action.DELETE, obj=instance, changes=changes)


def _on_m2m(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in {"post_add", "post_remove", "pre_clear"} or reverse:
        return
    if type(instance) not in _tracked:
        return
    field = next(
        f.name for f in type(instance)._meta.many_to_many if f.remote_field.through is sender
    )
    if action == "pre_clear":
        pk_set = set(getattr(instance, field).values_list("pk", flat=True))
        if not pk_set:
            return
    names = sorted(str(o) for o in model._base_manager.filter(pk__in=pk_set or []))
    key = "added" if action == "post_add" else "removed"
    record(AuditEntry.Action.UPDATE, obj=instance, changes={field: {key: names}})


def _on_login(sender, request, user, **kwargs):
    record(AuditEntry.Action.LOGIN, obj=user, actor=user, request=request)


def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        reason = getattr(request, "_logout_reason", "")
        record(AuditEntry.Action.LOGOUT, obj=user, actor=user, request=request, message=reason)


def _on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    user = get_user_model()._default_manager.filter(username=username).first()
    record(
        AuditEntry.Action.LOGIN_FAILED,
        object_type="core.user",
        object_id=str(user.pk) if user else "",
        object_repr=username,
        message="用户名或密码错误",
        request=request,
    )


def connect_signals() -> None:
    pre_save.connect(_on_pre_save, dispatch_uid="guazhi_audit_pre_save")
    post_save.connect(_on_post_save, dispatch_uid="guazhi_audit_post_save")
    post_delete.connect(_on_post_delete, dispatch_uid="guazhi_audit_post_delete")
    user_logged_in.connect(_on_login, dispatch_uid="guazhi_audit_login")
    user_logged_out.connect(_on_logout, dispatch_uid="guazhi_audit_logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="guazhi_audit_login_failed")


# --- export ----------------------------------------------------------------------------------------

EXPORT_HEADERS = [
    "序号",
    "时间",
    "操作账号",
    "操作",
    "对象类型",
    "对象编号",
    "对象",
    "说明",
    "变更内容",
    "客户端地址",
    "哈希",
]


def csv_safe(value: Any) -> str:
    """Neutralise spreadsheet formulas (cells starting with = + - @ tab or CR)."""
    text = "" if value is None else str(value)
    if text and text[0] in "=+-@\t\r":
        return "'" + text
    return text


class _Echo:
    def write(self, value):
        return value


def export_rows(queryset) -> Iterator[str]:
    import json

    writer = csv.writer(_Echo())
    yield "\ufeff"  # lets Excel open the UTF-8 file with Chinese intact
    yield writer.writerow(EXPORT_HEADERS)
    for e in queryset.order_by("seq").iterator(chunk_size=2000):
        yield writer.writerow(
            [
                csv_safe(v)
                for v in (
                    e.seq,
                    timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"),
                    e.actor_username,
                    e.get_action_display(),
                    e.object_type,
                    e.object_id,
                    e.object_repr,
                    e.message,
                    json.dumps(e.changes, ensure_ascii=False) if e.changes else "",
                    e.ip or "",
                    e.hash,
                )
            ]
        )
