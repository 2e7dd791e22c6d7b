"""/api/v1/daily-records/: daily work records (工作纪实).

A cadre writes records for his own open placement and changes or deletes them until the team
leader has marked them as evidence; the leader and deputies of his team comment and mark; the
sending side and the host unit read them in their scope (access.py). Outside the scope → 404;
visible but not allowed → 403 with a Chinese reason; a refused value is a 400 naming its field,
another refusal a 400 with {"detail": message}.
"""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiDenied
from rest_framework.response import Response

from guazhi.core.apifields import DETAIL_400, DisplayField, IdFilter, Refused
from guazhi.core.pagination import NewestFirstCursorPagination

from . import access, services
from .models import DailyRecord

NOT_WRITER = "只有在岗的挂职干部本人可以填写工作纪实；您当前没有在岗的挂职任职。"
NOT_COMMENTER = "只有该干部所在工作队的队长、副队长可以点评和标记工作纪实。"


def refusal(user, record: DailyRecord) -> str:
    """Why the user may not change or delete this record."""
    if record.cadre.user_id != user.pk:
        return "只有本人可以修改或删除自己的工作纪实。"
    if record.is_locked:
        return (
            f"这条纪实已被队长标记为“{record.get_evidence_display()}”，不能再修改或删除。"
            "如需更正，请联系队长。"
        )
    return "您的角色不能修改工作纪实。"


def refused(exc: services.RecordError) -> Exception:
    """A service refusal as the API says it: on its field when it has one."""
    if exc.field:
        return serializers.ValidationError({exc.field: [str(exc)]})
    return Refused(str(exc))


class DailyRecordSerializer(serializers.ModelSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    unit_name = serializers.CharField(source="cadre.unit.name", read_only=True)
    category_display = DisplayField("category")
    evidence_display = DisplayField("evidence")
    commented_by_name = serializers.CharField(
        source="commented_by.full_name", read_only=True, allow_null=True
    )
    week = serializers.SerializerMethodField(help_text="所在 ISO 周，如 2027-W19")
    locked = serializers.BooleanField(
        source="is_locked", read_only=True, help_text="队长已标记实绩，本人不能再修改或删除"
    )

    class Meta:
        model = DailyRecord
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "unit_name",
            "placement",
            "date",
            "week",
            "category",
            "category_display",
            "content",
            "linked",
            "leader_comment",
            "evidence",
            "evidence_display",
            "locked",
            "commented_by",
            "commented_by_name",
            "commented_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_week(self, record: DailyRecord) -> str:
        return services.week_code(services.week_start(record.date))


class DailyRecordWriteSerializer(serializers.Serializer):
    cadre = serializers.IntegerField(
        required=False,
        help_text="可省略：纪实总是记在调用者本人当前在岗的任职上；填写他人 id 将被拒绝（403）",
    )
    date = serializers.DateField(
        help_text="不晚于今天，不早于到岗日期", error_messages={"required": "请填写日期"}
    )
    category = serializers.ChoiceField(
        choices=DailyRecord.Category.choices,
        error_messages={"invalid_choice": "请从列表中选择类别", "required": "请选择类别"},
    )
    content = serializers.CharField(
        max_length=services.CONTENT_MAX,
        error_messages={
            "required": "请填写工作内容",
            "blank": "请填写工作内容",
            "max_length": f"工作内容不能超过 {services.CONTENT_MAX} 字",
        },
    )
    linked = serializers.CharField(
        max_length=120, required=False, allow_blank=True, default="", help_text="关联企业或项目"
    )


class CommentSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=services.COMMENT_MAX,
        required=False,
        allow_blank=True,
        default="",
        error_messages={"max_length": f"点评不能超过 {services.COMMENT_MAX} 字"},
    )
    evidence = serializers.ChoiceField(
        choices=DailyRecord.Evidence.choices,
        required=False,
        default="",
        help_text="positive 正面实绩，negative 负面情况，空为不标记（标记后本人不能再修改）",
        error_messages={"invalid_choice": "请从列表中选择实绩标记"},
    )


class DailyRecordFilter(django_filters.rest_framework.FilterSet):
    cadre = IdFilter(field_name="cadre_id", label="干部 id")
    category = django_filters.rest_framework.ChoiceFilter(choices=DailyRecord.Category.choices)
    evidence = django_filters.rest_framework.ChoiceFilter(
        choices=[("positive", "正面实绩"), ("negative", "负面情况"), ("none", "未标记")],
        method="with_evidence",
    )
    date_from = django_filters.rest_framework.DateFilter(
        field_name="date", lookup_expr="gte", label="起始日期（含）"
    )
    date_to = django_filters.rest_framework.DateFilter(
        field_name="date", lookup_expr="lte", label="截止日期（含）"
    )
    week = django_filters.rest_framework.CharFilter(
        method="in_week", label="ISO 周次，如 2027-W19（周一至周日）"
    )

    class Meta:
        model = DailyRecord
        fields = ["cadre", "category", "evidence", "date_from", "date_to", "week"]

    def with_evidence(self, queryset, name, value):
        if value == "none":
            return queryset.filter(evidence="")
        return queryset.filter(evidence=value) if value else queryset

    def in_week(self, queryset, name, value):
        if not value:
            return queryset
        monday = services.parse_week(value)
        if monday is None:
            raise serializers.ValidationError({"week": ["周次格式应为 2027-W19"]})
        return queryset.filter(date__gte=monday, date__lte=monday + timedelta(days=6))


class DailyRecordViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """工作纪实：挂职干部本人填写（记在本人当前在岗的任职上），队长标记实绩前可修改、删除；
    本队队长、副队长点评并标记正面实绩或负面情况；派出单位一方和接收单位在各自范围内只读。"""

    serializer_class = DailyRecordSerializer
    filterset_class = DailyRecordFilter
    # A million records at province scale: a cursor instead of page numbers and an exact count
    # (core/pagination.py).
    pagination_class = NewestFirstCursorPagination

    def get_queryset(self):
        return (
            access.records_for(self.request.user)
            .select_related("cadre__unit", "commented_by")
            .order_by("-date", "-pk")
        )

    def _record(self) -> DailyRecord:
        return access.access_record(self.request.user, self.kwargs["pk"])

    def _fresh(self, record: DailyRecord, code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=record.pk)
        return Response(DailyRecordSerializer(fresh).data, status=code)

    @extend_schema(
        request=DailyRecordWriteSerializer,
        responses={201: DailyRecordSerializer, 400: DETAIL_400},
    )
    def create(self, request):
        """写纪实（挂职干部本人，记在本人当前在岗的任职上）。"""
        try:
            placement = access.require_own_placement(request.user)
        except PermissionDenied as exc:
            raise ApiDenied(NOT_WRITER) from exc
        data = DailyRecordWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        cadre_id = values.pop("cadre", None)
        if cadre_id is not None and cadre_id != placement.cadre_id:
            raise ApiDenied("只能为本人填写工作纪实")
        try:
            record = services.record_create(placement=placement, by=request.user, **values)
        except services.RecordError as exc:
            raise refused(exc) from exc
        return self._fresh(record, status.HTTP_201_CREATED)

    def _change(self, request, partial: bool) -> Response:
        record = self._record()
        if not access.can_edit(request.user, record):
            raise ApiDenied(refusal(request.user, record))
        data = DailyRecordWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        given = dict(data.validated_data)
        cadre_id = given.pop("cadre", None)
        if cadre_id is not None and cadre_id != record.cadre_id:
            raise serializers.ValidationError({"cadre": ["纪实不能改到其他干部名下"]})
        values = {
            name: given[name] if name in given else getattr(record, name)
            for name in ("date", "category", "content", "linked")
        }
        try:
            record = services.record_update(record=record, by=request.user, **values)
        except services.RecordError as exc:
            raise refused(exc) from exc
        return self._fresh(record)

    @extend_schema(
        request=DailyRecordWriteSerializer,
        responses={200: DailyRecordSerializer, 400: DETAIL_400},
    )
    def update(self, request, pk=None):
        """修改本人的纪实（队长标记实绩之前）。"""
        return self._change(request, partial=False)

    @extend_schema(
        request=DailyRecordWriteSerializer,
        responses={200: DailyRecordSerializer, 400: DETAIL_400},
    )
    def partial_update(self, request, pk=None):
        """修改本人纪实的部分内容（队长标记实绩之前）。"""
        return self._change(request, partial=True)

    @extend_schema(responses={204: None, 400: DETAIL_400})
    def destroy(self, request, pk=None):
        """删除本人的纪实（队长标记实绩之前）。"""
        record = self._record()
        if not access.can_delete(request.user, record):
            raise ApiDenied(refusal(request.user, record))
        try:
            services.record_delete(record=record, by=request.user)
        except services.RecordError as exc:
            raise refused(exc) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        request=CommentSerializer,
        responses={200: DailyRecordSerializer, 400: DETAIL_400},
    )
    @action(detail=True, methods=["post"])
    def comment(self, request, pk=None):
        """点评并标记实绩（该干部所在工作队的队长、副队长）：comment 与 evidence 至少填一项；
        标记为正面实绩或负面情况后本人不能再修改，取消标记（空）则解除。"""
        record = self._record()
        if not access.can_comment(request.user, record):
            raise ApiDenied(NOT_COMMENTER)
        data = CommentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            record = services.record_comment(record=record, by=request.user, **data.validated_data)
        except services.RecordError as exc:
            raise refused(exc) from exc
        return self._fresh(record)
