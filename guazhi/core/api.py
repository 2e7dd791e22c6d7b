"""/api/v1/ for the platform: org units, users, the caller's own account, token login.
Every queryset comes from access.py, exactly as the pages do."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from . import access, services
from .apifields import DisplayField
from .models import OrgUnit, Role, User


class OrgUnitSerializer(serializers.ModelSerializer):
    kind_display = DisplayField("kind")

    class Meta:
        model = OrgUnit
        fields = [
            "id",
            "name",
            "short_name",
            "code",
            "kind",
            "kind_display",
            "region",
            "parent",
            "depth",
            "is_active",
        ]


class RoleBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Role
        fields = ["code", "name", "scope"]


class UserSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    roles = RoleBriefSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "unit", "unit_name", "roles", "is_active"]


class OrgUnitViewSet(viewsets.ReadOnlyModelViewSet):
    """组织单位（只读），按调用者的数据范围过滤。"""

    serializer_class = OrgUnitSerializer
    filterset_fields = ["kind", "parent", "is_active"]

    def get_queryset(self):
        return access.units_for(self.request.user).order_by("path")


class UserViewSet(viewsets.ReadOnlyModelViewSet):
    """用户（只读），按调用者的数据范围过滤。"""

    serializer_class = UserSerializer
    filterset_fields = ["unit", "is_active"]

    def get_queryset(self):
        return (
            access.users_for(self.request.user)
            .select_related("unit")
            .prefetch_related("roles")
            .order_by("id")
        )

    @action(detail=False, methods=["get"])
    def me(self, request):
        """当前调用者本人的账号信息。"""
        return Response(UserSerializer(request.user).data)


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, style={"input_type": "password"})


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()


class LoginThrottle(AnonRateThrottle):
    rate = "30/min"


class TokenView(APIView):
    """用用户名和密码换取 API 令牌（适用连续失败锁定规则；启用双因素认证的账号请在网页中生成令牌）。"""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [LoginThrottle]

    @staticmethod
    def refuse(message: str) -> Response:
        return Response({"detail": message}, status=401, headers={"WWW-Authenticate": "Token"})

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenResponseSerializer})
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        # Refusals are returned, not raised: DRF rolls back the request's transaction on
        # exceptions, which would also undo the failure count and the audit entry.
        try:
            user = services.login_check(request=request._request, **data.validated_data)
        except services.ServiceError as exc:
            return self.refuse(str(exc))
        if user.needs_second_factor():
            return self.refuse("该账号启用了双因素认证，请登录网页后在“个人设置”中生成令牌。")
        try:
            token = services.token_regenerate(user=user)
        except services.ServiceError as exc:
            return self.refuse(str(exc))
        user_logged_in.send(sender=User, request=request._request, user=user)
        return Response({"token": token.key})
