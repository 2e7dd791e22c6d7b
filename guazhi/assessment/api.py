"""/api/v1/assessment/…: the indicator library, personalised plans, quarterly results (平时考核),
rounds (年度/期满) with their entries, the caller's own rating tasks, and appeals.

Every queryset comes from access.py; every change goes through services.py (the indicator
library, a single table with no workflow, is saved here). Outside the scope → 404; visible but
not allowed → 403 with a Chinese reason; a refused value is a 400 naming its field, a refused
workflow action a 400 with {"detail": message} naming the rule and the numbers.

What a reader sees of an entry's reviews: the organisation department ("all" scope) sees every
rating with its rater; the cadre himself sees the average per rater kind (民主测评 included) and
never who rated him; everyone else who sees the entry (sending side, host unit, team leader)
sees its scores and grade but no ratings. A rater reaches the ratings he must give through
/my-ratings/, which shows the assessed cadre's name and post only.
"""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiDenied
from rest_framework.response import Response

from guazhi.core.access import scope_for
from guazhi.core.apifields import (
    CONFLICT_409,
    DETAIL_400,
    MAX_ID,
    DisplayField,
    IdFilter,
    Refused,
    codes,
    lock_version_field,
)
from guazhi.programmes import access as programme_access
from guazhi.programmes.models import Batch, Placement

from . import access, services, sources
from .models import (
    GRADES,
    Appeal,
    Dimension,
    Entry,
    Indicator,
    IndicatorScore,
    Plan,
    PlanItem,
    QuarterResult,
    Rating,
    Round,
)

PLAN_PERM = "assessment.change_plan"
NOT_MANAGER = "只有市委组织部（全部范围）可以办理此项"
NOT_PLAN_EDITOR = "只有干部本人或市委组织部可以编制考核指标方案"
NOT_PLAN_OWNER = "只有干部本人可以确认自己的考核指标方案"
NOT_PLAN_APPROVER = "只有市委组织部可以审定考核指标方案"
NOT_PROPOSER = "只有该干部所在工作队的队长、副队长可以提出平时考核等次"
NOT_QUARTER_CONFIRMER = "只有市委组织部可以确认平时考核"
NOT_ROUND_MANAGER = "只有市委组织部可以组织考核"
NOT_ROUND_CONFIRMER = "只有市委组织部可以确认考核结果"
NOT_SUMMARY_WRITER = "只有干部本人可以填写个人总结"
NOT_SCORER = "只有市委组织部可以评定指标得分"
NOT_INTEGRITY = "只有市委组织部可以记录廉洁自律情况"
NOT_APPELLANT = "只有干部本人或市委组织部可以提出申诉"
NOT_APPEAL_DECIDER = "只有市委组织部可以复核申诉"
ASPECTS = ["political", "conduct", "performance", "integrity"]
ASPECT_LABELS = {
    "political": "政治表现",
    "conduct": "能力作风",
    "performance": "工作实绩",
    "integrity": "廉洁自律",
}


def refused(exc: services.AssessmentError) -> Exception:
    """A service refusal as the API says it: on its field when it names one."""
    field = getattr(exc, "field", None)
    if field:
        return serializers.ValidationError({field: [str(exc)]})
    return Refused(str(exc))


def is_own(user, placement: Placement) -> bool:
    return placement.cadre.user_id is not None and placement.cadre.user_id == user.pk


def require_manager(user, perm: str, message: str) -> None:
    """The organisation department's actions: 403 with a reason for anyone else."""
    try:
        access.require_manager(user, perm)
    except PermissionDenied as exc:
        raise ApiDenied(message) from exc


def leads(user, placement: Placement) -> bool:
    return access.led_batches(user).filter(batch_id=placement.batch_id).exists()


def source_label(code: str) -> str:
    return sources.label(code)


def _decimal(value) -> float | None:
    return None if value is None else float(value)


# --- indicators ----------------------------------------------------------------------------


class IndicatorSerializer(serializers.ModelSerializer):
    dimension = serializers.ChoiceField(
        choices=Dimension.choices,
        help_text=codes(Dimension.choices),
        error_messages={"invalid_choice": "请从列表中选择维度", "required": "请选择维度"},
    )
    dimension_display = DisplayField("dimension")
    kind = serializers.ChoiceField(
        choices=Indicator.Kind.choices,
        help_text=codes(Indicator.Kind.choices),
        error_messages={"invalid_choice": "类型只能是定量或定性", "required": "请选择类型"},
    )
    kind_display = DisplayField("kind")
    name = serializers.CharField(
        max_length=60,
        error_messages={
            "required": "请填写指标名称",
            "blank": "请填写指标名称",
            "max_length": "指标名称不能超过 60 字",
        },
    )
    unit = serializers.CharField(max_length=12, required=False, allow_blank=True, default="")
    default_target = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        min_value=Decimal("0.01"),
        error_messages={"min_value": "目标值须大于 0", "invalid": "目标值须为数字"},
    )
    source = serializers.CharField(
        max_length=30,
        required=False,
        allow_blank=True,
        default="",
        help_text="定量指标自动取数的来源代码；空表示由考核人填报",
    )
    source_label = serializers.SerializerMethodField(
        help_text="数据来源说明；空来源为“人工填报”，项目库来源上线前也由人工填报"
    )
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    is_active = serializers.BooleanField(required=False, default=True)

    class Meta:
        model = Indicator
        fields = [
            "id",
            "name",
            "dimension",
            "dimension_display",
            "kind",
            "kind_display",
            "unit",
            "default_target",
            "source",
            "source_label",
            "description",
            "is_active",
        ]

    def get_source_label(self, indicator: Indicator) -> str:
        return source_label(indicator.source)

    def validate_name(self, value: str) -> str:
        value = value.strip()
        others = Indicator.objects.filter(name=value)
        if self.instance is not None:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise serializers.ValidationError(f"指标“{value}”已在指标库中")
        return value

    def validate_source(self, value: str) -> str:
        value = value.strip()
        if value and value not in sources.SOURCES and value not in sources.PLANNED:
            offered = "、".join(
                [f"{code}（{s.label}）" for code, s in sources.SOURCES.items()]
                + [f"{code}（{label}）" for code, (label, _unit) in sources.PLANNED.items()]
            )
            raise serializers.ValidationError(f"未知的数据来源“{value}”；可用：{offered}")
        return value

    def validate(self, attrs):
        def given(name):
            if name in attrs:
                return attrs[name]
            return getattr(self.instance, name) if self.instance is not None else None

        if given("kind") == Indicator.Kind.QUALITATIVE:
            errors = {}
            if given("source"):
                errors["source"] = ["定性指标由评价人打分，不能设置数据来源"]
            if given("default_target") is not None:
                errors["default_target"] = ["定性指标没有目标值"]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class IndicatorFilter(django_filters.rest_framework.FilterSet):
    dimension = django_filters.rest_framework.ChoiceFilter(choices=Dimension.choices)
    kind = django_filters.rest_framework.ChoiceFilter(choices=Indicator.Kind.choices)
    is_active = django_filters.rest_framework.BooleanFilter()

    class Meta:
        model = Indicator
        fields = ["dimension", "kind", "is_active"]


class IndicatorViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """考核指标库（六个维度：推进招商引资、项目落实、转变观念、提升能力、调研学习、工作状态）：
    能看到考核指标方案的用户可读；新增、修改限市委组织部。不再使用的指标停用（is_active=false），
    不删除。"""

    serializer_class = IndicatorSerializer
    filterset_class = IndicatorFilter

    def get_queryset(self):
        user = self.request.user
        if (
            scope_for(user, "assessment.view_indicator").is_none
            and scope_for(user, "assessment.view_plan").is_none
        ):
            return Indicator.objects.none()
        return Indicator.objects.order_by("dimension", "name", "pk")

    @extend_schema(responses={201: IndicatorSerializer, 400: DETAIL_400})
    def create(self, request, *args, **kwargs):
        """新增指标（市委组织部）。"""
        require_manager(request.user, "assessment.add_indicator", NOT_MANAGER)
        return super().create(request, *args, **kwargs)

    @extend_schema(responses={200: IndicatorSerializer, 400: DETAIL_400})
    def update(self, request, *args, **kwargs):
        """修改指标（市委组织部）。已在方案中使用的指标改动会反映到这些方案。"""
        self.get_object()
        require_manager(request.user, "assessment.change_indicator", NOT_MANAGER)
        return super().update(request, *args, **kwargs)


# --- plans ---------------------------------------------------------------------------------


class PlanItemSerializer(serializers.ModelSerializer):
    indicator_name = serializers.CharField(source="indicator.name", read_only=True)
    dimension = serializers.CharField(
        source="indicator.dimension", read_only=True, help_text=codes(Dimension.choices)
    )
    dimension_display = serializers.CharField(
        source="indicator.get_dimension_display", read_only=True
    )
    kind = serializers.CharField(
        source="indicator.kind", read_only=True, help_text=codes(Indicator.Kind.choices)
    )
    unit = serializers.CharField(source="indicator.unit", read_only=True)
    source = serializers.CharField(source="indicator.source", read_only=True)

    class Meta:
        model = PlanItem
        fields = [
            "id",
            "indicator",
            "indicator_name",
            "dimension",
            "dimension_display",
            "kind",
            "unit",
            "source",
            "weight",
            "target",
        ]
        read_only_fields = fields


class PlanVersionSerializer(serializers.ModelSerializer):
    status = serializers.CharField(read_only=True, help_text=codes(Plan.Status.choices))
    status_display = DisplayField("status")

    class Meta:
        model = Plan
        fields = ["id", "version", "status", "status_display", "note", "created_at", "approved_at"]
        read_only_fields = fields


class PlanSerializer(serializers.ModelSerializer):
    cadre = serializers.IntegerField(source="placement.cadre_id", read_only=True)
    cadre_name = serializers.CharField(source="placement.cadre.name", read_only=True)
    post_title = serializers.CharField(source="placement.post.title", read_only=True)
    batch = serializers.IntegerField(source="placement.batch_id", read_only=True)
    batch_label = serializers.CharField(source="placement.batch.label", read_only=True)
    status = serializers.CharField(read_only=True, help_text=codes(Plan.Status.choices))
    status_display = DisplayField("status")
    created_by_name = serializers.CharField(source="created_by.full_name", read_only=True)
    approved_by_name = serializers.CharField(
        source="approved_by.full_name", read_only=True, allow_null=True
    )
    weight_total = serializers.SerializerMethodField(
        help_text="权重合计（干部确认和审定时须为 100）"
    )
    items = PlanItemSerializer(many=True, read_only=True)

    class Meta:
        model = Plan
        fields = [
            "id",
            "placement",
            "cadre",
            "cadre_name",
            "post_title",
            "batch",
            "batch_label",
            "version",
            "status",
            "status_display",
            "note",
            "created_by",
            "created_by_name",
            "created_at",
            "agreed_at",
            "approved_by",
            "approved_by_name",
            "approved_at",
            "weight_total",
            "items",
            "lock_version",
        ]
        read_only_fields = fields

    def get_weight_total(self, plan: Plan) -> float:
        return float(sum((item.weight for item in plan.items.all()), Decimal(0)))


class PlanDetailSerializer(PlanSerializer):
    versions = PlanVersionSerializer(
        many=True, read_only=True, help_text="该任职的全部方案版本（新版本在前）"
    )

    class Meta(PlanSerializer.Meta):
        fields = [*PlanSerializer.Meta.fields, "versions"]
        read_only_fields = fields


class PlanStartSerializer(serializers.Serializer):
    placement = serializers.PrimaryKeyRelatedField(
        queryset=Placement.objects.none(),
        help_text="任职记录 id；已有方案时返回当前版本",
        error_messages={
            "does_not_exist": "任职记录不存在或不在您的范围内",
            "required": "请选择任职记录",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["placement"].queryset = access.placements_for(request.user)


class PlanItemWriteSerializer(serializers.Serializer):
    indicator = serializers.PrimaryKeyRelatedField(
        queryset=Indicator.objects.filter(is_active=True),
        error_messages={
            "does_not_exist": "指标 {pk_value} 不存在或已停用",
            "required": "请选择指标",
        },
    )
    weight = serializers.DecimalField(
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        error_messages={
            "required": "请填写权重",
            "invalid": "权重须为数字",
            "min_value": "权重须在 0–100 之间",
            "max_value": "权重须在 0–100 之间",
        },
    )
    target = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        help_text="目标值（定量指标必填）",
        error_messages={"invalid": "目标值须为数字"},
    )


class PlanItemsSerializer(serializers.Serializer):
    items = PlanItemWriteSerializer(
        many=True,
        help_text="方案的全部指标（整体替换）。已确认或已审定的方案另存为新版本草稿，须重新确认和审定",
        error_messages={"required": "请填写指标", "not_a_list": "items 须为指标列表"},
    )
    note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="修改说明"
    )
    lock_version = lock_version_field()


class PlanActionSerializer(serializers.Serializer):
    lock_version = lock_version_field()


class PlanFilter(django_filters.rest_framework.FilterSet):
    placement = IdFilter(field_name="placement_id", label="任职记录 id")
    batch = IdFilter(field_name="placement__batch_id", label="批次 id")
    status = django_filters.rest_framework.ChoiceFilter(choices=Plan.Status.choices)

    class Meta:
        model = Plan
        fields = ["placement", "batch", "status"]


def plans_queryset(user):
    items = PlanItem.objects.select_related("indicator")
    return (
        access.plans_for(user)
        .select_related(
            "placement__cadre",
            "placement__post",
            "placement__batch",
            "created_by",
            "approved_by",
        )
        .prefetch_related(Prefetch("items", queryset=items))
        .order_by("placement__batch_id", "placement__cadre__name", "placement_id", "-version")
    )


class PlanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """考核指标方案：每个任职一份，按版本保存。干部本人或市委组织部编制（草稿可反复修改，
    已确认或已审定的方案修改后成为新版本草稿），干部本人确认（权重合计须为 100），
    市委组织部审定；审定新版本后旧版本标为已替代。与工作纪实的可见范围相同。"""

    serializer_class = PlanSerializer
    filterset_class = PlanFilter

    def get_queryset(self):
        return plans_queryset(self.request.user)

    def get_serializer_class(self):
        return PlanSerializer if self.action == "list" else PlanDetailSerializer

    def _plan(self) -> Plan:
        return access.access_plan(self.request.user, self.kwargs["pk"])

    def _detail(self, plan: Plan, code: int = 200) -> Response:
        fresh = plans_queryset(self.request.user).get(pk=plan.pk)
        fresh.versions = list(
            access.plans_for(self.request.user)
            .filter(placement_id=fresh.placement_id)
            .order_by("-version")
        )
        return Response(PlanDetailSerializer(fresh).data, status=code)

    def retrieve(self, request, pk=None):
        """方案详情：指标、权重、目标值和该任职的全部版本。"""
        return self._detail(self._plan())

    @extend_schema(request=PlanStartSerializer, responses={201: PlanDetailSerializer})
    def create(self, request):
        """开始编制方案：按岗位的方案模板（没有时用通用模板）生成第 1 版草稿；
        已有方案时返回当前版本（200）。"""
        data = PlanStartSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        placement = data.validated_data["placement"]
        if not (is_own(request.user, placement) or access.is_manager(request.user, PLAN_PERM)):
            raise ApiDenied(NOT_PLAN_EDITOR)
        existing = services.plan_current(placement)
        try:
            plan = services.plan_start(placement=placement, by=request.user)
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        return self._detail(plan, status.HTTP_200_OK if existing else status.HTTP_201_CREATED)

    @extend_schema(
        request=PlanItemsSerializer,
        responses={200: PlanDetailSerializer, 400: DETAIL_400, 409: CONFLICT_409},
    )
    @action(detail=True, methods=["post"])
    def items(self, request, pk=None):
        """替换方案的指标（干部本人或市委组织部）：草稿直接修改；已确认或已审定的方案
        另存为新版本草稿（返回新版本），原版本在新版本审定前继续有效。"""
        plan = self._plan()
        if not (is_own(request.user, plan.placement) or access.is_manager(request.user, PLAN_PERM)):
            raise ApiDenied(NOT_PLAN_EDITOR)
        data = PlanItemsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        items = [
            (row["indicator"], row["weight"], row["target"]) for row in data.validated_data["items"]
        ]
        try:
            plan = services.plan_save(
                plan=plan,
                items=items,
                by=request.user,
                note=data.validated_data["note"],
                lock_version=data.validated_data.get("lock_version"),
            )
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        return self._detail(plan)

    @extend_schema(
        request=PlanActionSerializer,
        responses={200: PlanDetailSerializer, 400: DETAIL_400, 409: CONFLICT_409},
    )
    @action(detail=True, methods=["post"])
    def agree(self, request, pk=None):
        """干部本人确认方案（权重合计须为 100）；干部没有账号时由市委组织部代为登记。"""
        plan = self._plan()
        # A cadre without an account: the organisation department records his agreement.
        on_behalf = plan.placement.cadre.user_id is None and access.is_manager(
            request.user, "assessment.approve_plan"
        )
        if not (is_own(request.user, plan.placement) or on_behalf):
            raise ApiDenied(NOT_PLAN_OWNER)
        data = PlanActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            plan = services.plan_agree(plan=plan, by=request.user, **data.validated_data)
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        return self._detail(plan)

    @extend_schema(
        request=PlanActionSerializer,
        responses={200: PlanDetailSerializer, 400: DETAIL_400, 409: CONFLICT_409},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """市委组织部审定干部已确认的方案；此前审定的版本标为已替代。"""
        plan = self._plan()
        require_manager(request.user, "assessment.approve_plan", NOT_PLAN_APPROVER)
        data = PlanActionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            plan = services.plan_approve(plan=plan, by=request.user, **data.validated_data)
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        return self._detail(plan)


# --- quarterly results (平时考核) -----------------------------------------------------------


class QuarterResultSerializer(serializers.ModelSerializer):
    cadre = serializers.IntegerField(source="placement.cadre_id", read_only=True)
    cadre_name = serializers.CharField(source="placement.cadre.name", read_only=True)
    post_title = serializers.CharField(source="placement.post.title", read_only=True)
    batch = serializers.IntegerField(source="placement.batch_id", read_only=True)
    batch_label = serializers.CharField(source="placement.batch.label", read_only=True)
    grade = serializers.CharField(read_only=True, help_text=codes(QuarterResult.Grade.choices))
    status = serializers.CharField(read_only=True, help_text=codes(QuarterResult.Status.choices))
    status_display = DisplayField("status")
    proposed_by_name = serializers.CharField(source="proposed_by.full_name", read_only=True)
    confirmed_by_name = serializers.CharField(
        source="confirmed_by.full_name", read_only=True, allow_null=True
    )

    class Meta:
        model = QuarterResult
        fields = [
            "id",
            "placement",
            "cadre",
            "cadre_name",
            "post_title",
            "batch",
            "batch_label",
            "year",
            "quarter",
            "grade",
            "note",
            "status",
            "status_display",
            "proposed_by",
            "proposed_by_name",
            "proposed_at",
            "confirmed_by",
            "confirmed_by_name",
            "confirmed_at",
        ]
        read_only_fields = fields


class QuarterProposeSerializer(serializers.Serializer):
    placement = serializers.PrimaryKeyRelatedField(
        queryset=Placement.objects.none(),
        error_messages={
            "does_not_exist": "任职记录不存在或不在您的范围内",
            "required": "请选择任职记录",
        },
    )
    year = serializers.IntegerField(
        min_value=2000,
        max_value=2100,
        error_messages={"required": "请填写年度", "invalid": "年度须为整数"},
    )
    quarter = serializers.IntegerField(
        min_value=1,
        max_value=4,
        error_messages={
            "required": "请填写季度",
            "min_value": "季度须为 1–4",
            "max_value": "季度须为 1–4",
        },
    )
    grade = serializers.ChoiceField(
        choices=QuarterResult.Grade.choices,
        error_messages={
            "invalid_choice": "等次只能是 好、较好、一般、较差",
            "required": "请选择等次",
        },
    )
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["placement"].queryset = access.placements_for(
                request.user, "assessment.view_quarterresult"
            )


class IdsSerializer(serializers.Serializer):
    ids = serializers.ListField(
        child=serializers.IntegerField(
            min_value=1,
            max_value=MAX_ID,
            error_messages={
                "invalid": "应为 id（正整数）",
                "min_value": "应为 id（正整数）",
                "max_value": "id 超出范围",
            },
        ),
        min_length=1,
        help_text="待确认的平时考核 id",
        error_messages={
            "required": "请选择要确认的平时考核",
            "min_length": "请选择要确认的平时考核",
            "not_a_list": "ids 须为 id 列表",
        },
    )


class QuarterEvidenceQuerySerializer(serializers.Serializer):
    placement = serializers.IntegerField(error_messages={"required": "请选择任职记录"})
    year = serializers.IntegerField(error_messages={"required": "请填写年度"})
    quarter = serializers.IntegerField(
        min_value=1,
        max_value=4,
        error_messages={
            "required": "请填写季度",
            "min_value": "季度须为 1–4",
            "max_value": "季度须为 1–4",
        },
    )


class QuarterResultFilter(django_filters.rest_framework.FilterSet):
    batch = IdFilter(field_name="placement__batch_id", label="批次 id")
    placement = IdFilter(field_name="placement_id", label="任职记录 id")
    year = django_filters.rest_framework.NumberFilter()
    quarter = django_filters.rest_framework.NumberFilter()
    status = django_filters.rest_framework.ChoiceFilter(choices=QuarterResult.Status.choices)

    class Meta:
        model = QuarterResult
        fields = ["batch", "placement", "year", "quarter", "status"]


def quarter_results_queryset(user):
    return (
        access.quarter_results_for(user)
        .select_related(
            "placement__cadre",
            "placement__post",
            "placement__batch",
            "proposed_by",
            "confirmed_by",
        )
        .order_by("-year", "-quarter", "placement__cadre__name", "pk")
    )


class QuarterResultViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """平时考核（每季度）：工作队队长、副队长根据本季度工作纪实和指标进度提出等次
    （好、较好、一般、较差），市委组织部确认；项目设有“好”等次比例上限时确认时按批次、
    季度检查。"""

    serializer_class = QuarterResultSerializer
    filterset_class = QuarterResultFilter

    def get_queryset(self):
        return quarter_results_queryset(self.request.user)

    @extend_schema(
        request=QuarterProposeSerializer,
        responses={201: QuarterResultSerializer, 400: DETAIL_400},
    )
    def create(self, request):
        """提出（或在确认前修改）某干部某季度的等次（本队队长、副队长）。"""
        data = QuarterProposeSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        placement = values.pop("placement")
        manager = access.is_manager(request.user, "assessment.confirm_quarterresult")
        if not (manager or leads(request.user, placement)):
            raise ApiDenied(NOT_PROPOSER)
        try:
            result = services.quarter_propose(placement=placement, by=request.user, **values)
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        fresh = quarter_results_queryset(request.user).get(pk=result.pk)
        return Response(QuarterResultSerializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=IdsSerializer,
        responses={200: QuarterResultSerializer(many=True), 400: DETAIL_400},
    )
    # Not paginated: the answer is the plain list of the results confirmed (the document had
    # described a page of results).
    @action(detail=False, methods=["post"], pagination_class=None)
    def confirm(self, request):
        """确认平时考核（市委组织部）：一次确认多条；超过“好”等次比例上限时整体拒绝，
        说明批次、季度和人数。"""
        require_manager(request.user, "assessment.confirm_quarterresult", NOT_QUARTER_CONFIRMER)
        data = IdsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        ids = list(dict.fromkeys(data.validated_data["ids"]))
        found = {r.pk: r for r in access.quarter_results_for(request.user).filter(pk__in=ids)}
        missing = [str(pk) for pk in ids if pk not in found]
        if missing:
            raise serializers.ValidationError({"ids": [f"平时考核 {'、'.join(missing)} 不存在"]})
        try:
            services.quarter_confirm(results=[found[pk] for pk in ids], by=request.user)
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        rows = quarter_results_queryset(request.user).filter(pk__in=ids)
        return Response(QuarterResultSerializer(rows, many=True).data)

    @extend_schema(
        parameters=[QuarterEvidenceQuerySerializer],
        responses={200: OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"])
    def evidence(self, request):
        """某干部某季度的依据，供提出等次时参考：records 工作纪实条数（total、positive、
        negative、commented、weeks_due、weeks_with_records、weeks_missing、by_category），
        progress 已审定方案各指标自年初至季末的完成值和完成率（系统不能取数的指标为 null），
        plan 方案 id，result 已有的平时考核 id。"""
        data = QuarterEvidenceQuerySerializer(data=request.query_params)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        placement = (
            access.placements_for(request.user, "assessment.view_quarterresult")
            .filter(pk=v["placement"])
            .first()
        )
        if placement is None:
            raise serializers.ValidationError({"placement": ["任职记录不存在或不在您的范围内"]})
        evidence = services.quarter_evidence(
            placement=placement, year=v["year"], quarter=v["quarter"]
        )
        plan, result = evidence.pop("plan"), evidence.pop("result")
        evidence["plan"] = None if plan is None else plan.pk
        evidence["result"] = None if result is None else result.pk
        evidence["progress"] = [
            {**row, "item": row["item"].pk} for row in evidence.get("progress", [])
        ]
        return Response(jsonable(evidence))


def jsonable(value):
    """Service dicts (decimals, dates, model objects) as plain JSON."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return float(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --- rounds --------------------------------------------------------------------------------


class RoundSerializer(serializers.ModelSerializer):
    batch_label = serializers.CharField(source="batch.label", read_only=True)
    programme = serializers.IntegerField(source="batch.programme_id", read_only=True)
    programme_name = serializers.CharField(source="batch.programme.name", read_only=True)
    kind = serializers.CharField(read_only=True, help_text=codes(Round.Kind.choices))
    kind_display = DisplayField("kind")
    status = serializers.CharField(read_only=True, help_text=codes(Round.Status.choices))
    status_display = DisplayField("status")
    frozen = serializers.BooleanField(
        source="is_frozen", read_only=True, help_text="已确认（冻结）：此后只能通过申诉改变等次"
    )
    n_entries = serializers.IntegerField(read_only=True, help_text="考核人数")
    created_by_name = serializers.CharField(source="created_by.full_name", read_only=True)
    confirmed_by_name = serializers.CharField(
        source="confirmed_by.full_name", read_only=True, allow_null=True
    )

    class Meta:
        model = Round
        fields = [
            "id",
            "batch",
            "batch_label",
            "programme",
            "programme_name",
            "kind",
            "kind_display",
            "year",
            "period_start",
            "period_end",
            "status",
            "status_display",
            "frozen",
            "n_entries",
            "created_by",
            "created_by_name",
            "created_at",
            "confirmed_by",
            "confirmed_by_name",
            "confirmed_at",
        ]
        read_only_fields = fields


class GradeCountSerializer(serializers.Serializer):
    grade = serializers.CharField()
    count = serializers.IntegerField()


class RoundDetailSerializer(RoundSerializer):
    grade_distribution = GradeCountSerializer(
        many=True, read_only=True, help_text="各等次人数（确定等次；未确定时为建议等次）"
    )
    excellent_quota = serializers.IntegerField(
        read_only=True, help_text="项目规则中的优秀比例（%）"
    )
    excellent_max = serializers.IntegerField(
        read_only=True, help_text="本轮最多可评优秀的人数（向下取整）"
    )

    class Meta(RoundSerializer.Meta):
        fields = [
            *RoundSerializer.Meta.fields,
            "grade_distribution",
            "excellent_quota",
            "excellent_max",
        ]
        read_only_fields = fields


class RoundCreateSerializer(serializers.Serializer):
    batch = serializers.PrimaryKeyRelatedField(
        queryset=Batch.objects.none(),
        error_messages={"does_not_exist": "批次不存在", "required": "请选择批次"},
    )
    kind = serializers.ChoiceField(
        choices=Round.Kind.choices,
        help_text=codes(Round.Kind.choices),
        error_messages={
            "invalid_choice": "类型只能是年度考核（annual）或期满考核（term_end）",
            "required": "请选择考核类型",
        },
    )
    year = serializers.IntegerField(
        min_value=2000,
        max_value=2100,
        error_messages={"required": "请填写考核年度", "invalid": "考核年度须为整数"},
    )
    period_start = serializers.DateField(error_messages={"required": "请填写考核期起始日期"})
    period_end = serializers.DateField(error_messages={"required": "请填写考核期截止日期"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["batch"].queryset = programme_access.batches_for(request.user)

    def validate(self, attrs):
        if attrs["period_end"] < attrs["period_start"]:
            raise serializers.ValidationError({"period_end": ["考核期截止日期不能早于起始日期"]})
        return attrs


class RoundConfirmSerializer(serializers.Serializer):
    grades = serializers.DictField(
        child=serializers.ChoiceField(
            choices=[(g, g) for g in GRADES],
            error_messages={"invalid_choice": "等次只能是 优秀、称职、基本称职、不称职"},
        ),
        required=False,
        default=dict,
        help_text="{考核对象 id: 等次}；未列出的考核对象采用建议等次",
        error_messages={"not_a_dict": "grades 须为 {考核对象 id: 等次}"},
    )


class RoundFilter(django_filters.rest_framework.FilterSet):
    batch = IdFilter(field_name="batch_id", label="批次 id")
    kind = django_filters.rest_framework.ChoiceFilter(choices=Round.Kind.choices)
    year = django_filters.rest_framework.NumberFilter()
    status = django_filters.rest_framework.ChoiceFilter(choices=Round.Status.choices)

    class Meta:
        model = Round
        fields = ["batch", "kind", "year", "status"]


def rounds_queryset(user):
    return (
        access.rounds_for(user)
        .select_related("batch__programme", "created_by", "confirmed_by")
        .annotate(n_entries=Count("entries"))
        .order_by("-year", "-created_at", "-pk")
    )


class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """年度、期满考核轮次：市委组织部按批次组织，生成考核对象和各评价方的评价任务，计算
    指标得分、综合评价得分和总分，按分数线给出建议等次，确认时检查优秀比例和否决规则并冻结。
    有本轮考核对象可见的用户可读本轮。"""

    serializer_class = RoundSerializer
    filterset_class = RoundFilter

    def get_queryset(self):
        return rounds_queryset(self.request.user)

    def get_serializer_class(self):
        return RoundSerializer if self.action == "list" else RoundDetailSerializer

    def _detail(self, round_: Round, code: int = 200) -> Response:
        fresh = rounds_queryset(self.request.user).get(pk=round_.pk)
        distribution = services.grade_distribution(fresh)
        fresh.grade_distribution = [
            {"grade": grade, "count": count} for grade, count in distribution.items()
        ]
        policy = services.policy_for(fresh.batch.programme)
        fresh.excellent_quota = policy.excellent_quota
        fresh.excellent_max = fresh.n_entries * policy.excellent_quota // 100
        return Response(RoundDetailSerializer(fresh).data, status=code)

    def retrieve(self, request, pk=None):
        """轮次详情，含各等次人数和优秀名额。"""
        return self._detail(access.access_round(request.user, pk))

    @extend_schema(
        request=RoundCreateSerializer, responses={201: RoundDetailSerializer, 400: DETAIL_400}
    )
    def create(self, request):
        """组织考核（市委组织部）：考核期内在岗的每个任职成为考核对象（带已审定的方案），
        并为接收单位、工作队、组织部门、民主测评（同队其他干部）和本人生成评价任务。"""
        require_manager(request.user, "assessment.add_round", NOT_ROUND_MANAGER)
        data = RoundCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        try:
            round_ = services.round_create(by=request.user, **data.validated_data)
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        return self._detail(round_, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: RoundDetailSerializer, 400: DETAIL_400})
    @action(detail=True, methods=["post"])
    def compute(self, request, pk=None):
        """计算（市委组织部）：定量指标按数据来源在考核期内取数，算出指标得分、综合评价
        得分、总分和建议等次。已确认（冻结）的轮次不能再计算。"""
        round_ = access.access_round(request.user, pk)
        require_manager(request.user, "assessment.change_round", NOT_ROUND_MANAGER)
        try:
            services.round_compute(round=round_)
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        return self._detail(round_)

    @extend_schema(
        request=RoundConfirmSerializer, responses={200: RoundDetailSerializer, 400: DETAIL_400}
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        """确认等次并冻结（市委组织部）：检查优秀比例、廉洁自律否决、平时考核“较差”否决和
        优秀须半数季度为“好”；违反时整体拒绝并说明规则和人数。确认后写入干部的年度考核结果。"""
        round_ = access.access_round(request.user, pk)
        require_manager(request.user, "assessment.confirm_round", NOT_ROUND_CONFIRMER)
        data = RoundConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        given = data.validated_data["grades"]
        grades, errors = {}, []
        for key, grade in given.items():
            try:
                grades[int(key)] = grade
            except (TypeError, ValueError):
                errors.append(f"“{key}”不是考核对象 id")
        known = set(round_.entries.filter(pk__in=list(grades)).values_list("pk", flat=True))
        errors += [f"考核对象 {pk} 不在本轮" for pk in grades if pk not in known]
        if errors:
            raise serializers.ValidationError({"grades": errors})
        try:
            round_ = services.round_confirm(round=round_, by=request.user, grades=grades or None)
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        return self._detail(round_)


# --- entries -------------------------------------------------------------------------------


class IndicatorScoreSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(read_only=True, allow_null=True, help_text="尚未得分时为 null")
    indicator = serializers.IntegerField(source="item.indicator_id", read_only=True)
    indicator_name = serializers.CharField(source="item.indicator.name", read_only=True)
    dimension = serializers.CharField(
        source="item.indicator.dimension", read_only=True, help_text=codes(Dimension.choices)
    )
    dimension_display = serializers.CharField(
        source="item.indicator.get_dimension_display", read_only=True
    )
    kind = serializers.CharField(
        source="item.indicator.kind", read_only=True, help_text=codes(Indicator.Kind.choices)
    )
    unit = serializers.CharField(source="item.indicator.unit", read_only=True)
    weight = serializers.DecimalField(
        source="item.weight", max_digits=5, decimal_places=2, read_only=True
    )
    target = serializers.DecimalField(
        source="item.target", max_digits=12, decimal_places=2, read_only=True, allow_null=True
    )

    class Meta:
        model = IndicatorScore
        fields = [
            "id",
            "item",
            "indicator",
            "indicator_name",
            "dimension",
            "dimension_display",
            "kind",
            "unit",
            "weight",
            "target",
            "value",
            "score",
            "evidence",
        ]
        read_only_fields = fields


class ReviewSerializer(serializers.Serializer):
    rater_kind = serializers.CharField(help_text=codes(Rating.Rater.choices))
    rater_kind_display = serializers.CharField()
    weight = serializers.IntegerField(help_text="该评价方在综合评价中的权重（%）")
    raters = serializers.IntegerField(help_text="评价人数")
    submitted = serializers.IntegerField(help_text="已提交人数")
    political = serializers.FloatField(allow_null=True, help_text="政治表现平均分")
    conduct = serializers.FloatField(allow_null=True, help_text="能力作风平均分")
    performance = serializers.FloatField(allow_null=True, help_text="工作实绩平均分")
    integrity = serializers.FloatField(allow_null=True, help_text="廉洁自律平均分")
    average = serializers.FloatField(allow_null=True, help_text="四项平均分")


class RatingDetailSerializer(serializers.ModelSerializer):
    rater_kind = serializers.CharField(read_only=True, help_text=codes(Rating.Rater.choices))
    rater_kind_display = DisplayField("rater_kind")
    rater_name = serializers.CharField(source="rater.full_name", read_only=True)
    average = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Rating
        fields = [
            "id",
            "rater_kind",
            "rater_kind_display",
            "rater",
            "rater_name",
            *ASPECTS,
            "average",
            "comment",
            "submitted_at",
        ]
        read_only_fields = fields


class EntrySerializer(serializers.ModelSerializer):
    round_label = serializers.CharField(source="round.__str__", read_only=True)
    kind = serializers.CharField(
        source="round.kind", read_only=True, help_text=codes(Round.Kind.choices)
    )
    year = serializers.IntegerField(source="round.year", read_only=True)
    frozen = serializers.BooleanField(source="round.is_frozen", read_only=True)
    cadre = serializers.IntegerField(source="placement.cadre_id", read_only=True)
    cadre_name = serializers.CharField(source="placement.cadre.name", read_only=True)
    unit_name = serializers.CharField(source="placement.cadre.unit.name", read_only=True)
    post_title = serializers.CharField(source="placement.post.title", read_only=True)
    host_unit_name = serializers.CharField(source="placement.host_unit.name", read_only=True)
    plan_version = serializers.IntegerField(source="plan.version", read_only=True, allow_null=True)
    grade = serializers.CharField(read_only=True, help_text="确定等次（确认前为空）")

    class Meta:
        model = Entry
        fields = [
            "id",
            "round",
            "round_label",
            "kind",
            "year",
            "frozen",
            "placement",
            "cadre",
            "cadre_name",
            "unit_name",
            "post_title",
            "host_unit_name",
            "plan",
            "plan_version",
            "indicator_score",
            "review_score",
            "final_score",
            "proposed_grade",
            "grade",
            "integrity_finding",
            "integrity_note",
        ]
        read_only_fields = fields


class EntryDetailSerializer(EntrySerializer):
    indicator_scores = IndicatorScoreSerializer(
        source="score_rows",
        many=True,
        read_only=True,
        help_text="方案的每项指标及其完成值、得分和依据（尚未计算或评定的为 null）",
    )
    reviews = ReviewSerializer(
        source="review_rows",
        many=True,
        read_only=True,
        allow_null=True,
        help_text="各评价方的平均分（干部本人和市委组织部可见；民主测评只给平均分）；"
        "其他用户为 null",
    )
    ratings = RatingDetailSerializer(
        source="rating_rows",
        many=True,
        read_only=True,
        allow_null=True,
        help_text="每条评价及评价人（仅市委组织部可见，其他用户为 null）",
    )

    class Meta(EntrySerializer.Meta):
        fields = [
            *EntrySerializer.Meta.fields,
            "self_summary",
            "indicator_scores",
            "reviews",
            "ratings",
        ]
        read_only_fields = fields


class SummarySerializer(serializers.Serializer):
    text = serializers.CharField(
        max_length=5000,
        allow_blank=True,
        error_messages={"required": "请填写个人总结", "max_length": "个人总结不能超过 5000 字"},
    )


class ScoreWriteSerializer(serializers.Serializer):
    item = serializers.IntegerField(
        help_text="方案指标 id（indicator_scores[].item）",
        error_messages={"required": "请选择指标"},
    )
    score = serializers.DecimalField(
        max_digits=6,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
        allow_null=True,
        default=None,
        help_text="得分（0–100）；定量指标也可只填完成值 value",
        error_messages={
            "invalid": "得分须为数字",
            "min_value": "得分须在 0–100 之间",
            "max_value": "得分须在 0–100 之间",
        },
    )
    value = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal(0),
        required=False,
        allow_null=True,
        default=None,
        help_text="完成值（系统不能自动取数的定量指标）：得分 = min(100, 完成值 ÷ 目标值 × 100)",
        error_messages={"invalid": "完成值须为数字", "min_value": "完成值不能为负数"},
    )
    evidence = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if attrs["score"] is None and attrs["value"] is None:
            raise serializers.ValidationError({"score": ["请填写得分或完成值"]})
        return attrs


class IntegritySerializer(serializers.Serializer):
    finding = serializers.BooleanField(
        help_text="true 廉洁自律有问题（开启否决规则时不能评为优秀）",
        error_messages={"required": "请选择廉洁自律情况"},
    )
    note = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        default="",
        help_text="有问题时须说明",
        error_messages={"max_length": "说明不能超过 300 字"},
    )

    def validate(self, attrs):
        if attrs["finding"] and not attrs["note"].strip():
            raise serializers.ValidationError({"note": ["请说明廉洁自律方面的问题"]})
        return attrs


class EntryFilter(django_filters.rest_framework.FilterSet):
    round = IdFilter(field_name="round_id", label="轮次 id")
    placement = IdFilter(field_name="placement_id", label="任职记录 id")
    grade = django_filters.rest_framework.ChoiceFilter(choices=[(g, g) for g in GRADES])

    class Meta:
        model = Entry
        fields = ["round", "placement", "grade"]


def visible_entries(user):
    """Entries the user sees as part of a placement's assessment: entries_for() less those he
    reaches only as one of their raters (a rater gets his task through /my-ratings/)."""
    qs = access.entries_for(user)
    q = access.placement_q(user, "assessment.view_round", "placement__")
    return qs if q is None else qs.filter(q)


def entries_queryset(user):
    return visible_entries(user).select_related(
        "round__batch__programme",
        "placement__cadre__unit",
        "placement__post",
        "placement__host_unit",
        "plan",
    )


def reviews_of(entry: Entry, ratings: list[Rating]) -> list[dict]:
    policy = services.policy_for(entry.round.batch.programme)
    rows = []
    for kind, label in Rating.Rater.choices:
        mine = [r for r in ratings if r.rater_kind == kind]
        if not mine:
            continue
        done = [r for r in mine if r.submitted_at is not None and r.average is not None]
        row = {
            "rater_kind": kind,
            "rater_kind_display": str(label),
            "weight": getattr(policy, f"weight_{kind}"),
            "raters": len(mine),
            "submitted": len(done),
        }
        for aspect in ASPECTS:
            values = [getattr(r, aspect) for r in done]
            row[aspect] = round(sum(values) / len(values), 2) if values else None
        averages = [r.average for r in done]
        row["average"] = _decimal(round(sum(averages) / len(averages), 2)) if averages else None
        rows.append(row)
    return rows


class EntryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """考核对象：得分、建议等次和确定等次，详情含各指标的完成值、得分和依据。评价的可见性：
    市委组织部看到每条评价及评价人；干部本人只看到各评价方的平均分（民主测评匿名）；
    其他可见该干部考核的用户不看评价。评价人通过 /my-ratings/ 办理自己的评价任务。"""

    serializer_class = EntrySerializer
    filterset_class = EntryFilter

    def get_queryset(self):
        return entries_queryset(self.request.user).order_by(
            "round_id", "-final_score", "placement__cadre__name", "pk"
        )

    def get_serializer_class(self):
        return EntrySerializer if self.action == "list" else EntryDetailSerializer

    def _entry(self) -> Entry:
        scores = IndicatorScore.objects.select_related("item__indicator")
        entry = (
            entries_queryset(self.request.user)
            .select_related("round__batch__programme")
            .prefetch_related(Prefetch("indicator_scores", queryset=scores))
            .filter(pk=self.kwargs["pk"])
            .first()
        )
        if entry is None:
            raise Http404
        return entry

    def _detail(self, entry: Entry) -> Response:
        """The entry with what the caller may see of its reviews (see the module's doc)."""
        user = self.request.user
        manager = access.is_manager(user, "assessment.view_rating")
        scored = {s.item_id: s for s in entry.indicator_scores.all()}
        items = (
            entry.plan.items.select_related("indicator").order_by(
                "indicator__dimension", "indicator__name", "pk"
            )
            if entry.plan_id
            else []
        )
        rows = [scored.pop(i.pk, None) or IndicatorScore(entry=entry, item=i) for i in items]
        entry.score_rows = rows + list(scored.values())  # scores of items no longer planned
        entry.review_rows = entry.rating_rows = None
        if manager or is_own(user, entry.placement):
            ratings = list(entry.ratings.select_related("rater").order_by("rater_kind", "pk"))
            entry.review_rows = reviews_of(entry, ratings)
            if access.can_see_rater_names(user, entry):
                entry.rating_rows = ratings
        return Response(EntryDetailSerializer(entry).data)

    @extend_schema(responses={200: EntryDetailSerializer})
    def retrieve(self, request, pk=None):
        """考核对象详情：指标得分及依据；按调用者身份给出评价平均分或每条评价。"""
        return self._detail(self._entry())

    @extend_schema(
        request=SummarySerializer, responses={200: EntryDetailSerializer, 400: DETAIL_400}
    )
    @action(detail=True, methods=["post"])
    def summary(self, request, pk=None):
        """填写个人总结（干部本人，轮次确认前）。"""
        entry = self._entry()
        if not is_own(request.user, entry.placement):
            raise ApiDenied(NOT_SUMMARY_WRITER)
        data = SummarySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.self_summary_save(
                entry=entry, by=request.user, text=data.validated_data["text"]
            )
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        return self._detail(self._entry())

    @extend_schema(
        request=ScoreWriteSerializer, responses={200: EntryDetailSerializer, 400: DETAIL_400}
    )
    @action(detail=True, methods=["post"])
    def scores(self, request, pk=None):
        """评定指标得分（市委组织部，轮次确认前）：定性指标填得分（0–100）；系统不能自动
        取数的定量指标填完成值或得分。"""
        entry = self._entry()
        require_manager(request.user, "assessment.change_entry", NOT_SCORER)
        data = ScoreWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        item = PlanItem.objects.filter(plan_id=entry.plan_id, pk=v["item"]).first()
        if entry.plan_id is None or item is None:
            raise serializers.ValidationError({"item": [f"指标 {v['item']} 不在该干部的方案中"]})
        try:
            services.indicator_score_set(
                entry=entry,
                item=item,
                score=v["score"],
                value=v["value"],
                by=request.user,
                evidence=v["evidence"],
            )
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        return self._detail(self._entry())

    @extend_schema(
        request=IntegritySerializer, responses={200: EntryDetailSerializer, 400: DETAIL_400}
    )
    @action(detail=True, methods=["post"])
    def integrity(self, request, pk=None):
        """记录廉洁自律情况（市委组织部，轮次确认前）。"""
        entry = self._entry()
        require_manager(request.user, "assessment.change_entry", NOT_INTEGRITY)
        data = IntegritySerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.integrity_set(entry=entry, by=request.user, **data.validated_data)
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        return self._detail(self._entry())


# --- my ratings ----------------------------------------------------------------------------


class MyRatingSerializer(serializers.ModelSerializer):
    round = serializers.IntegerField(source="entry.round_id", read_only=True)
    round_label = serializers.CharField(source="entry.round.__str__", read_only=True)
    round_open = serializers.SerializerMethodField(help_text="轮次进行中才能提交或修改")
    cadre_name = serializers.CharField(source="entry.placement.cadre.name", read_only=True)
    post_title = serializers.CharField(source="entry.placement.post.title", read_only=True)
    rater_kind = serializers.CharField(read_only=True, help_text=codes(Rating.Rater.choices))
    rater_kind_display = DisplayField("rater_kind")
    average = serializers.FloatField(read_only=True, allow_null=True)

    class Meta:
        model = Rating
        fields = [
            "id",
            "round",
            "round_label",
            "round_open",
            "cadre_name",
            "post_title",
            "rater_kind",
            "rater_kind_display",
            *ASPECTS,
            "average",
            "comment",
            "submitted_at",
        ]
        read_only_fields = fields

    def get_round_open(self, rating: Rating) -> bool:
        return not rating.entry.round.is_frozen


def _score_field(label: str, required: bool = True):
    return serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=required,
        help_text=f"{label}（0–100）",
        error_messages={
            "required": f"请填写{label}得分",
            "null": f"请填写{label}得分",
            "invalid": f"{label}得分须为整数",
            "min_value": f"{label}得分须在 0–100 之间",
            "max_value": f"{label}得分须在 0–100 之间",
        },
    )


class RatingWriteSerializer(serializers.Serializer):
    political = _score_field("政治表现")
    conduct = _score_field("能力作风")
    performance = _score_field("工作实绩")
    integrity = _score_field("廉洁自律")
    comment = serializers.CharField(
        max_length=2000,
        required=False,
        allow_blank=True,
        error_messages={"max_length": "评价意见不能超过 2000 字"},
    )


class MyRatingFilter(django_filters.rest_framework.FilterSet):
    round = IdFilter(field_name="entry__round_id", label="轮次 id")
    submitted = django_filters.rest_framework.BooleanFilter(
        field_name="submitted_at", lookup_expr="isnull", exclude=True, label="是否已提交"
    )

    class Meta:
        model = Rating
        fields = ["round", "submitted"]


def my_ratings_queryset(user):
    return (
        access.my_ratings(user)
        .select_related(
            "entry__round__batch__programme", "entry__placement__cadre", "entry__placement__post"
        )
        .order_by(
            "-entry__round__year",
            "entry__round_id",
            "rater_kind",
            "entry__placement__cadre__name",
            "pk",
        )
    )


@extend_schema_view(
    partial_update=extend_schema(
        request=RatingWriteSerializer, responses={200: MyRatingSerializer, 400: DETAIL_400}
    )
)
class MyRatingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """我的评价任务：调用者须给出的评价（接收单位、工作队、组织部门、民主测评、个人自评），
    只显示被评价干部的姓名和岗位。对政治表现、能力作风、工作实绩、廉洁自律四项各打 0–100 分，
    轮次确认前可修改。看不到其他人的评价。"""

    serializer_class = MyRatingSerializer
    filterset_class = MyRatingFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return my_ratings_queryset(self.request.user)

    def _submit(self, request, pk, partial: bool) -> Response:
        rating = access.access_my_rating(request.user, pk)
        data = RatingWriteSerializer(data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        given = data.validated_data
        values = {name: given.get(name, getattr(rating, name)) for name in ASPECTS}
        missing = {
            name: [f"请填写{ASPECT_LABELS[name]}得分"] for name, v in values.items() if v is None
        }
        if missing:
            raise serializers.ValidationError(missing)
        comment = given.get("comment", rating.comment)
        try:
            rating = services.rating_submit(
                rating=rating, by=request.user, comment=comment, **values
            )
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        fresh = my_ratings_queryset(request.user).get(pk=rating.pk)
        return Response(MyRatingSerializer(fresh).data)

    def partial_update(self, request, pk=None):
        """修改并提交评价（只改给出的项，其余沿用已填的分数）。"""
        return self._submit(request, pk, partial=True)

    @extend_schema(
        request=RatingWriteSerializer, responses={200: MyRatingSerializer, 400: DETAIL_400}
    )
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """提交评价：四项分数都要填写。"""
        return self._submit(request, pk, partial=False)


# --- appeals -------------------------------------------------------------------------------


class AppealSerializer(serializers.ModelSerializer):
    round = serializers.IntegerField(source="entry.round_id", read_only=True)
    round_label = serializers.CharField(source="entry.round.__str__", read_only=True)
    cadre = serializers.IntegerField(source="entry.placement.cadre_id", read_only=True)
    cadre_name = serializers.CharField(source="entry.placement.cadre.name", read_only=True)
    filed_by_name = serializers.CharField(source="filed_by.full_name", read_only=True)
    status = serializers.CharField(read_only=True, help_text=codes(Appeal.Status.choices))
    status_display = DisplayField("status")
    decided_by_name = serializers.CharField(
        source="decided_by.full_name", read_only=True, allow_null=True
    )

    class Meta:
        model = Appeal
        fields = [
            "id",
            "entry",
            "round",
            "round_label",
            "cadre",
            "cadre_name",
            "reason",
            "filed_by",
            "filed_by_name",
            "filed_at",
            "status",
            "status_display",
            "old_grade",
            "new_grade",
            "decision",
            "decided_by",
            "decided_by_name",
            "decided_at",
        ]
        read_only_fields = fields


class AppealFileSerializer(serializers.Serializer):
    entry = serializers.IntegerField(
        help_text="考核对象 id", error_messages={"required": "请选择考核对象"}
    )
    reason = serializers.CharField(
        max_length=2000,
        error_messages={
            "required": "请填写申诉理由",
            "blank": "请填写申诉理由",
            "max_length": "申诉理由不能超过 2000 字",
        },
    )


class AppealDecideSerializer(serializers.Serializer):
    new_grade = serializers.ChoiceField(
        choices=[(g, g) for g in GRADES],
        help_text="复核后的等次（与原等次相同即维持）",
        error_messages={
            "invalid_choice": "等次只能是 优秀、称职、基本称职、不称职",
            "required": "请选择复核等次",
        },
    )
    decision = serializers.CharField(
        max_length=2000,
        error_messages={"required": "请填写复核意见", "blank": "请填写复核意见"},
    )


class AppealFilter(django_filters.rest_framework.FilterSet):
    round = IdFilter(field_name="entry__round_id", label="轮次 id")
    status = django_filters.rest_framework.ChoiceFilter(choices=Appeal.Status.choices)

    class Meta:
        model = Appeal
        fields = ["round", "status"]


def appeals_queryset(user):
    return (
        access.appeals_for(user)
        .filter(entry__in=visible_entries(user))
        .select_related(
            "entry__round__batch__programme", "entry__placement__cadre", "filed_by", "decided_by"
        )
        .order_by("-filed_at", "-pk")
    )


class AppealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """申诉：考核结果确认（冻结）后，干部本人或市委组织部提出；市委组织部（非申诉人）复核，
    维持或改变等次（改变后仍须符合优秀比例），改变的等次同步到干部的年度考核结果。"""

    serializer_class = AppealSerializer
    filterset_class = AppealFilter

    def get_queryset(self):
        return appeals_queryset(self.request.user)

    def _fresh(self, appeal: Appeal, code: int = 200) -> Response:
        fresh = appeals_queryset(self.request.user).get(pk=appeal.pk)
        return Response(AppealSerializer(fresh).data, status=code)

    @extend_schema(request=AppealFileSerializer, responses={201: AppealSerializer, 400: DETAIL_400})
    def create(self, request):
        """提出申诉（干部本人或市委组织部；仅限已确认的轮次）。"""
        data = AppealFileSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        entry = (
            visible_entries(request.user)
            .select_related("round", "placement__cadre")
            .filter(pk=v["entry"])
            .first()
        )
        if entry is None:
            raise serializers.ValidationError({"entry": ["考核对象不存在或不在您的范围内"]})
        if not (is_own(request.user, entry.placement) or access.is_manager(request.user)):
            raise ApiDenied(NOT_APPELLANT)
        try:
            appeal = services.appeal_file(entry=entry, by=request.user, reason=v["reason"])
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        return self._fresh(appeal, status.HTTP_201_CREATED)

    @extend_schema(
        request=AppealDecideSerializer, responses={200: AppealSerializer, 400: DETAIL_400}
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """复核申诉（市委组织部，申诉人本人除外）。"""
        appeal = self.get_object()
        require_manager(request.user, "assessment.decide_appeal", NOT_APPEAL_DECIDER)
        data = AppealDecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            appeal = services.appeal_decide(appeal=appeal, by=request.user, **data.validated_data)
        except services.AssessmentError as exc:
            raise refused(exc) from exc
        return self._fresh(appeal)
