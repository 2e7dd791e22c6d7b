"""The error answers every operation can give, added to the OpenAPI document in one place.

drf-spectacular documents the success answer and whatever a view annotates; the errors DRF
gives every view alike (400 on bad input, 401/403 on authentication and permission, 404 on an
unknown or out-of-scope record or page, 429 when throttled) it leaves out. Clients need them,
and the API fuzz test (core/tests/test_api_fuzz.py) holds every answer to the document.
"""

from __future__ import annotations

ERROR_DETAIL = {
    "type": "object",
    "description": "整体的中文错误信息",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
FIELD_ERRORS = {
    "type": "object",
    "description": "输入有误：字段名 → 该字段的中文错误信息列表（嵌套字段为对象，列表项按位置）；"
    "non_field_errors 为几个字段合起来的问题；操作整体被拒绝时只有 detail（中文原因）",
    "additionalProperties": {
        "anyOf": [{"type": "string"}, {"type": "array"}, {"type": "object"}],
    },
    "example": {"birth": ["出生年月格式应为 1985-03"], "unit": ["请选择所在单位"]},
}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema_name: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": _ref(schema_name)}},
    }


def _schema_name(response: dict) -> str | None:
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] or None


def error_responses(result, generator, request, public):
    """drf-spectacular postprocessing hook (settings.SPECTACULAR_SETTINGS)."""
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas["ErrorDetail"] = ERROR_DETAIL
    schemas["FieldErrors"] = FIELD_ERRORS
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            parameters = operation.get("parameters", [])
            takes_input = "requestBody" in operation or any(
                p.get("in") == "query" for p in parameters
            )
            existing = responses.get("400")
            # A hand-written "refused" answer ({detail}) also stands for the field errors the
            # same view's serializer gives; FieldErrors covers both.
            if (existing is None and takes_input) or (
                existing is not None and _schema_name(existing) == "RefusedResponse"
            ):
                responses["400"] = _answer(
                    (existing or {}).get("description") or "输入有误或操作被拒绝", "FieldErrors"
                )
            if operation.get("security") == []:
                continue  # public: documented by its own hook (deeds/schema.py)
            responses.setdefault(
                "401",
                _answer("未登录：缺少或无效的令牌（Authorization: Token 令牌值）", "ErrorDetail"),
            )
            if path.endswith("/auth/token/"):
                responses.setdefault("429", _answer("尝试过于频繁，请稍后再试", "ErrorDetail"))
                continue
            responses.setdefault("403", _answer("无权执行该操作", "ErrorDetail"))
            # A record named in the path or the query (?programme=…) that does not exist or
            # is out of scope, or a page past the last.
            if parameters:
                responses.setdefault(
                    "404", _answer("记录或页码不存在，或不在您的数据范围内", "ErrorDetail")
                )
    return result
