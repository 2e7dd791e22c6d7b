"""The public rating endpoints in the OpenAPI document. They are plain Django views (public.py:
no session, token or DRF request parsing on a path that takes bursts), which drf-spectacular
does not see, so this postprocessing hook describes them by hand; a test checks the paths
against the URL patterns."""

from __future__ import annotations

from .models import Level

_ERRORS = {
    "type": "object",
    "description": "字段名 → 中文错误信息；空字段名为整体错误",
    "additionalProperties": {"type": "string"},
    "example": {"code": "验证码不正确"},
}
_KEY = {
    "name": "key",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
    "description": "实事的公开编号（公开页链接和二维码中的编号）",
}


def _answer(description: str, schema: dict | None = None) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema or _ERRORS}},
    }


def _operation(operation_id: str, summary: str, body: dict, ok: tuple[str, dict]) -> dict:
    status, schema = ok
    return {
        "post": {
            "operationId": operation_id,
            "summary": summary,
            "tags": ["public"],
            "security": [],
            "parameters": [_KEY],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": body}},
            },
            "responses": {
                status: _answer("成功", schema),
                "400": _answer("内容有误（按字段给出中文说明），未写入任何评价"),
                "404": _answer("找不到这件实事"),
                "429": _answer("提交或获取验证码过于频繁"),
                **({"503": _answer("短信发送失败")} if operation_id.endswith("code") else {}),
            },
        }
    }


def public_rating_paths(result, generator, request, public):
    paths = result.setdefault("paths", {})
    mobile = {"type": "string", "example": "13800138000", "description": "11 位手机号"}
    paths["/api/v1/public/deeds/{key}/code/"] = _operation(
        "public_deeds_code",
        "获取评价验证码（短信发送；非生产环境同时返回 demo_code）",
        {"type": "object", "required": ["mobile"], "properties": {"mobile": mobile}},
        (
            "200",
            {
                "type": "object",
                "properties": {"sent": {"type": "boolean"}, "demo_code": {"type": "string"}},
                "required": ["sent"],
            },
        ),
    )
    paths["/api/v1/public/deeds/{key}/ratings/"] = _operation(
        "public_deeds_rate",
        "群众评价：每个手机号对每件实事只能评价一次",
        {
            "type": "object",
            "required": ["mobile", "code", "level"],
            "properties": {
                "mobile": mobile,
                "code": {"type": "string", "example": "123456", "description": "短信验证码"},
                "level": {
                    "type": "integer",
                    "enum": Level.values,
                    "description": "，".join(f"{value} {label}" for value, label in Level.choices),
                },
                "comment": {"type": "string", "maxLength": 500, "description": "意见建议（可选）"},
            },
        },
        (
            "201",
            {
                "type": "object",
                "properties": {"id": {"type": "integer"}, "level": {"type": "integer"}},
                "required": ["id", "level"],
            },
        ),
    )
    return result
