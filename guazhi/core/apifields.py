"""Small pieces every app's API uses, so they live below all of them."""

from __future__ import annotations

import django_filters
from django import forms
from django.utils import translation
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import APIException


class Refused(APIException):
    """A workflow action the service refused: 400 with the service's own message. Raised (not
    returned) so the request's transaction is rolled back as for any other error."""

    status_code = 400
    default_detail = "操作未能完成"
    default_code = "refused"


def refused(exc, rename: dict[str, str] | None = None) -> Exception:
    """A service refusal (an exception with `errors`: field → Chinese message, "" for the
    whole request) as the API says it: on the fields it names, `rename`d to the API's field
    names; only a whole-request refusal is a {"detail": message}."""
    rename = rename or {}
    fields = {rename.get(k, k): [v] for k, v in exc.errors.items() if k}
    if not fields:
        return Refused(str(exc))
    if "" in exc.errors:
        fields["non_field_errors"] = [exc.errors[""]]
    return serializers.ValidationError(fields)


class Conflict(APIException):
    """409: the record was saved by someone else since the client read it (core/versioning.py);
    nothing was written."""

    status_code = 409
    default_detail = "该记录已被他人修改，您的修改未保存。请重新读取后再提交。"
    default_code = "conflict"


def exception_handler(exc, context):
    """DRF's handler, with a stale edit (versioning.StaleEdit, raised by a service) as 409,
    and a body that cannot be parsed or is `null` told in Chinese (DRF's own messages for
    these, "JSON parse error - …" and "No data provided", are English only)."""
    from rest_framework.exceptions import ErrorDetail, ParseError, ValidationError
    from rest_framework.settings import api_settings
    from rest_framework.views import exception_handler as drf_handler

    from .versioning import StaleEdit

    if isinstance(exc, StaleEdit):
        exc = Conflict(str(exc))
    elif isinstance(exc, ParseError):
        exc = ParseError("请求内容无法解析：应为 JSON 对象或表单，请检查格式和 Content-Type")
    elif isinstance(exc, ValidationError) and isinstance(exc.detail, dict):
        # A body of `null`: DRF's "No data provided" is not translatable.
        key = api_settings.NON_FIELD_ERRORS_KEY
        if isinstance(exc.detail.get(key), list):
            exc.detail[key] = [
                ErrorDetail(_EMPTY_BODY, code="null") if getattr(e, "code", None) == "null" else e
                for e in exc.detail[key]
            ]
    return drf_handler(exc, context)


_EMPTY_BODY = "请求内容为空：应为 JSON 对象或表单"


CONFLICT_409 = OpenApiResponse(
    inline_serializer("ConflictResponse", {"detail": serializers.CharField()}),
    description="lock_version 与当前记录不符：记录在读取后已被他人修改（detail 说明谁、何时），"
    "本次修改未保存。请重新读取（GET）后在最新内容上修改并带上新的 lock_version。",
)


def lock_version_field():
    """The `lock_version` a write may carry (optimistic versioning, core/versioning.py)."""
    return serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="读取该记录时得到的 lock_version。带上时，若记录在此之后已被他人修改（含阶段、"
        "状态变更），返回 409 且不写入；省略时不作此检查（直接按当前内容修改）。",
        error_messages={"invalid": "lock_version 应为整数", "min_value": "lock_version 应为正整数"},
    )


def require_role(user, perm: str, message: str) -> None:
    """403 with `message` unless an active user holds `perm` in some scope."""
    from rest_framework.exceptions import PermissionDenied

    from .access import scope_for

    if not user.is_active or scope_for(user, perm).is_none:
        raise PermissionDenied(message)


DETAIL_400 = OpenApiResponse(
    inline_serializer("RefusedResponse", {"detail": serializers.CharField()}),
    description="操作被拒绝，detail 为中文原因",
)


def codes(choices) -> str:
    """Help text listing a choice set's codes (read-only code fields are plain strings in the
    schema: the enum is documented once, on the field that accepts it)."""
    return "；".join(f"{value} {label}" for value, label in choices)


# The largest id the database holds (BigAutoField); a larger number in a query overflowed it
# (SQLite: OverflowError, PostgreSQL: DataError) and answered 500 (found by the API fuzz test).
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(django_filters.rest_framework.NumberFilter):
    """An id in the query string (?cadre=12): a positive integer, matched without revealing
    whether a record outside the caller's scope exists."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": "应为 id（正整数）",
                "min_value": "应为 id（正整数）",
                "max_value": "id 超出范围",
            },
        )
        super().__init__(*args, **kwargs)


# --- fields with Chinese messages (shared by the apps' write serializers) --------------------


def related_field(queryset, required_message: str, missing_message: str, **kwargs):
    """A primary-key field whose missing or unknown value is told in Chinese."""
    return serializers.PrimaryKeyRelatedField(
        queryset=queryset,
        error_messages={
            "required": required_message,
            "null": required_message,
            "does_not_exist": missing_message,
            "incorrect_type": missing_message,
        },
        **kwargs,
    )


def text_field(max_length: int, required_message: str | None = None, **kwargs):
    """A text field; with `required_message` it is required and may not be blank."""
    messages = {"max_length": f"不能超过 {max_length} 个字"}
    if required_message:
        messages.update(required=required_message, blank=required_message)
    else:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
    return serializers.CharField(max_length=max_length, error_messages=messages, **kwargs)


def date_field(required_message: str | None = None, **kwargs):
    messages = {"invalid": "日期格式应为 2027-10-01"}
    if required_message:
        messages.update(required=required_message, null=required_message)
    else:
        kwargs.setdefault("required", False)
    return serializers.DateField(error_messages=messages, **kwargs)


def choice_field(choices, required_message: str | None = None, **kwargs):
    messages = {"invalid_choice": "请从列表中选择：" + codes(choices)}
    if required_message:
        messages.update(required=required_message, blank=required_message)
    else:
        kwargs.setdefault("required", False)
    return serializers.ChoiceField(choices=choices, error_messages=messages, **kwargs)


class DisplayField(serializers.CharField):
    """The label of a model field's choice, read-only: what `get_<field>_display()` gives.

    `serializers.CharField(source="get_status_display")` costs, for every row, an
    `inspect.signature` of the bound method in DRF (is it a simple callable?) and, in Django, a
    hash of every choice's translated label (`make_hashable(flatchoices)`). Here each field
    reads its labels once per serializer and language. In the API's project list (four labels a
    row) that was a third of the CPU. `DisplayField("status")`, on a ModelSerializer or a
    Serializer of model instances.
    """

    def __init__(self, model_field: str, **kwargs):
        kwargs.update(source=model_field, read_only=True)
        super().__init__(**kwargs)
        self._labels: dict[str, dict] = {}

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        model = getattr(getattr(parent, "Meta", None), "model", None)
        self._choices = model._meta.get_field(self.source).flatchoices if model else None

    def get_attribute(self, instance):
        if self._choices is None:  # a plain Serializer over model instances
            self._choices = type(instance)._meta.get_field(self.source).flatchoices
        return super().get_attribute(instance)

    def to_representation(self, value):
        language = translation.get_language()
        labels = self._labels.get(language)
        if labels is None:
            labels = self._labels[language] = {key: str(label) for key, label in self._choices}
        return str(labels.get(value, value))
