"""Optimistic versioning (乐观锁) for the records several people edit together: the cadre
profile, the assessment plan, the project and the deed.

Each such model inherits `Versioned`: a `lock_version` column (1 for a new row) that every
`save()` raises by one in the same UPDATE statement, whatever path saves it (edit form, API,
status or stage change). Bulk writes that bypass save() raise it themselves (`BUMP`).

An edit form and an API write carry the `lock_version` they were loaded with; the service
calls `claim(record, lock_version)` before it changes anything. The claim is one conditional
UPDATE (`… SET lock_version = lock_version + 1 WHERE id = … AND lock_version = …`): when it
matches no row, someone saved the record since it was loaded and `StaleEdit` says who and
when (from the audit log); otherwise the row stays locked until the request's transaction
ends, so a second editor waits and is then refused instead of overwriting. The save that
follows a claim does not raise the version again.

(The field is not called `version`: the assessment plan already numbers its revisions so.)
"""

from __future__ import annotations

from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .services import ServiceError

FIELD = "lock_version"
BUMP = {FIELD: F(FIELD) + 1}  # for QuerySet.update(**BUMP, …) on a versioned model


class StaleEdit(ServiceError):
    """The record was saved by someone else since this edit was loaded; nothing was saved."""

    def __init__(self, instance: models.Model):
        self.instance = instance
        who, when = last_change(instance)
        label = instance._meta.verbose_name
        super().__init__(
            f"{label}“{instance}”已被 {who} 于 {when} 修改，您的修改未保存。"
            "请刷新页面，在最新内容上重新编辑。"
        )


def _when(moment) -> str:
    local = timezone.localtime(moment)
    if local.date() == timezone.localdate():
        return f"{local:%H:%M}"
    return f"{local:%Y-%m-%d %H:%M}"


def last_change(instance: models.Model) -> tuple[str, str]:
    """Who last changed the record and when, for the conflict message: the newest audit entry
    about it, else its `updated_at`."""
    from .audit import label_of
    from .models import AuditEntry

    entry = (
        AuditEntry.objects.filter(object_type=label_of(instance), object_id=str(instance.pk))
        .select_related("actor")
        .order_by("-pk")
        .first()
    )
    if entry is not None:
        if entry.actor is not None:
            who = entry.actor.get_full_name()
        elif entry.actor_username in ("", "system"):
            who = "系统"
        else:
            who = entry.actor_username  # an import or command's label
        return who or "他人", _when(entry.at)
    updated = (
        type(instance)._base_manager.filter(pk=instance.pk).values_list("updated_at", flat=True)
        if hasattr(instance, "updated_at")
        else None
    )
    moment = updated.first() if updated is not None else None
    return "他人", _when(moment) if moment else "刚才"


class Versioned(models.Model):
    lock_version = models.PositiveIntegerField(
        _("编辑版本"),
        default=1,
        editable=False,
        help_text=_("每次保存加一；编辑时带上载入时的值，已被他人修改则拒绝保存"),
    )

    class Meta:
        abstract = True

    def _do_update(self, base_qs, using, pk_val, values, update_fields, forced_update):
        field = self._meta.get_field(FIELD)
        values = [v for v in values if v[0] is not field]
        claimed = self.__dict__.pop("_lock_claimed", False)
        if not claimed:
            values.append((field, None, F(FIELD) + 1))
        updated = super()._do_update(base_qs, using, pk_val, values, update_fields, forced_update)
        if updated and not claimed:
            # The new value is in the database only; read on first use (a deferred field).
            self.__dict__.pop(FIELD, None)
        return updated


def claim(instance: Versioned, expected: int | None = None) -> None:
    """Take the record for this edit: refuse (StaleEdit) unless its version is still
    `expected` (the one the form or client loaded; None: the one `instance` was read with),
    then raise the version and hold the row until the transaction ends."""
    if expected is None:
        expected = instance.lock_version
    matched = (
        type(instance)._base_manager.filter(pk=instance.pk, **{FIELD: expected}).update(**BUMP)
    )
    if not matched:
        raise StaleEdit(instance)
    instance.lock_version = expected + 1
    instance._lock_claimed = True


def check(instance: Versioned, expected: int | None) -> None:
    """For a record already read with select_for_update: refuse (StaleEdit) when the form or
    client loaded another version. None (an API client that sent none): no check."""
    if expected is not None and instance.lock_version != expected:
        raise StaleEdit(instance)


def form_field():
    """The hidden field an edit form carries: the version the page was loaded with. Optional,
    so a post without it (an old page, a script) saves as before, unchecked."""
    from django import forms

    return forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
