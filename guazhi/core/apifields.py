"""Small pieces every app's API uses, so they live below all of them."""

from __future__ import annotations

import django_filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import APIException


class Refused(APIException):
    """A workflow action the service refused: 400 with the service's own message. Raised (not
    returned) so the request's transaction is rolled back as for any other error."""

    status_code = 400
    default_detail = "操作未能完成"
    default_code = "refused"


DETAIL_400 = OpenApiResponse(
    inline_serializer("RefusedResponse", {"detail": serializers.CharField()}),
    description="操作被拒绝，detail 为中文原因",
)


def codes(choices) -> str:
    """Help text listing a choice set's codes (read-only code fields are plain strings in the
    schema: the enum is documented once, on the field that accepts it)."""
    return "；".join(f"{value} {label}" for value, label in choices)


@extend_schema_field(OpenApiTypes.INT)
class IdFilter(django_filters.rest_framework.NumberFilter):
    """An id in the query string (?cadre=12): an integer, matched without revealing whether
    a record outside the caller's scope exists."""
