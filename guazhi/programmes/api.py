"""/api/v1/ for programmes, batches, posts and placements.

Every queryset comes from access.py: programmes, batches and posts are shared reference data
(seen by everyone holding the view permission, changed only by the city organisation
department, see `access.require_manager`); placements are scoped to the sending and the host
unit. Outside the scope → 404; visible but not allowed → 403. A refused workflow action
(PlacementError) is a 400 with {"detail": message}.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from guazhi.cadres.models import ExpertiseTag, Rank
from guazhi.core.apifields import DETAIL_400, DisplayField, Refused
from guazhi.core.forms import TEXT_MAX
from guazhi.core.models import OrgUnit

from . import access, services
from .models import Batch, Placement, PlacementChange, Post, PostRequirement, Programme

# --- programmes ----------------------------------------------------------------------------


class ReviewLevelSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    order = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    role = serializers.CharField(source="role.code", read_only=True)
    role_name = serializers.CharField(source="role.name", read_only=True)
    assigns_post = serializers.BooleanField(read_only=True)
    needs_document = serializers.BooleanField(read_only=True)


class ProgrammeSerializer(serializers.ModelSerializer):
    owner_unit_name = serializers.CharField(source="owner_unit.name", read_only=True)
    levels = ReviewLevelSerializer(many=True, read_only=True)

    class Meta:
        model = Programme
        fields = [
            "id",
            "name",
            "partner_city",
            "description",
            "owner_unit",
            "owner_unit_name",
            "young_age_max",
            "is_active",
            "created_at",
            "levels",
        ]
        read_only_fields = fields


class ProgrammeViewSet(viewsets.ReadOnlyModelViewSet):
    """选派项目（只读），含各审核层级（按顺序）。"""

    serializer_class = ProgrammeSerializer
    filterset_fields = ["is_active"]

    def get_queryset(self):
        return (
            access.programmes_for(self.request.user)
            .select_related("owner_unit")
            .prefetch_related("levels__role")
            .order_by("-is_active", "name", "pk")
        )


# --- batches -------------------------------------------------------------------------------


class BatchSerializer(serializers.ModelSerializer):
    programme = serializers.PrimaryKeyRelatedField(
        queryset=Programme.objects.none(),
        error_messages={"does_not_exist": "选派项目不存在", "required": "请选择选派项目"},
    )
    programme_name = serializers.CharField(source="programme.name", read_only=True)
    label = serializers.CharField(read_only=True)
    number = serializers.IntegerField(
        min_value=1, max_value=999, error_messages={"min_value": "批次须为正整数"}
    )
    start = serializers.DateField(error_messages={"required": "请填写开始日期"})
    end = serializers.DateField(error_messages={"required": "请填写计划结束日期"})
    quota = serializers.IntegerField(
        min_value=1,
        max_value=9999,
        error_messages={"min_value": "选派名额至少为 1", "required": "请填写选派名额"},
    )
    min_young_share = serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        help_text="年轻干部最低占比（%），0–100；空表示不限制",
        error_messages={
            "min_value": "年轻干部最低占比须在 0 到 100 之间",
            "max_value": "年轻干部最低占比须在 0 到 100 之间",
        },
    )
    max_per_unit = serializers.IntegerField(
        min_value=1,
        max_value=9999,
        required=False,
        allow_null=True,
        help_text="每个派出单位最多人数；空表示不限制",
        error_messages={"min_value": "每个派出单位最多人数至少为 1"},
    )
    required_tags = serializers.SlugRelatedField(
        slug_field="name",
        many=True,
        required=False,
        queryset=ExpertiseTag.objects.filter(is_active=True),
        help_text="整批选派干部合起来应具备的专长（专长名称）",
    )
    direction_display = DisplayField("direction")
    status_display = DisplayField("status")

    class Meta:
        model = Batch
        fields = [
            "id",
            "programme",
            "programme_name",
            "number",
            "label",
            "direction",
            "direction_display",
            "start",
            "end",
            "quota",
            "status",
            "status_display",
            "min_young_share",
            "max_per_unit",
            "required_tags",
            "note",
        ]
        # Uniqueness and dates are checked in validate() with field-level messages.
        validators: list = []
        extra_kwargs = {"note": {"max_length": TEXT_MAX}}  # a TextField: no bound of its own

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "programme" in self.fields:
            self.fields["programme"].queryset = access.programmes_for(request.user)

    def validate(self, attrs):
        instance = self.instance
        programme = attrs.get("programme", instance.programme if instance else None)
        if instance is not None and programme != instance.programme:
            raise serializers.ValidationError({"programme": ["批次创建后不能改到其他选派项目"]})
        start = attrs.get("start", instance.start if instance else None)
        end = attrs.get("end", instance.end if instance else None)
        if start and end and end <= start:
            raise serializers.ValidationError({"end": ["计划结束日期必须晚于开始日期"]})
        number = attrs.get("number", instance.number if instance else None)
        clash = Batch.objects.filter(programme=programme, number=number)
        if instance is not None:
            clash = clash.exclude(pk=instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"number": [f"本项目已有第{number}批"]})
        return attrs


class CompositionRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    count = serializers.IntegerField()
    share = serializers.CharField(help_text="占比，如 25.0%")


class BatchViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """批次：所有有查看权限的用户可读；新增和修改限市委组织部（全部范围）。"""

    serializer_class = BatchSerializer
    filterset_fields = ["programme", "status"]

    def get_queryset(self):
        return (
            access.batches_for(self.request.user)
            .prefetch_related("required_tags")
            .order_by("programme__name", "-number", "pk")
        )

    def get_object(self):
        if self.action in {"update", "partial_update"}:
            batch = access.access_batch(
                self.request.user, self.kwargs["pk"], "programmes.change_batch"
            )
            self.check_object_permissions(self.request, batch)
            return batch
        return super().get_object()

    def create(self, request, *args, **kwargs):
        access.require_manager(request.user, "programmes.add_batch")
        return super().create(request, *args, **kwargs)

    @extend_schema(
        responses={
            200: inline_serializer(
                "BatchComposition",
                {
                    "total": serializers.IntegerField(),
                    "young": serializers.IntegerField(),
                    "young_share": serializers.CharField(),
                    "gender": CompositionRowSerializer(many=True),
                    "cohorts": CompositionRowSerializer(many=True),
                    "ranks": CompositionRowSerializer(many=True),
                    "education": CompositionRowSerializer(many=True),
                    "units": CompositionRowSerializer(many=True),
                },
            )
        }
    )
    @action(detail=True, methods=["get"])
    def composition(self, request, pk=None):
        """批次构成：按性别、年龄段、职级、学历和派出单位统计选派干部（限调用者可见的任职记录）。
        每项为 {label, count, share} 的列表。"""
        batch = self.get_object()
        placements = access.placements_for(request.user).filter(batch=batch)
        comp = services.batch_composition(batch, placements)

        def rows(counter, ordered=False):
            items = sorted(counter.items()) if ordered else counter.most_common()
            return [{"label": k, "count": v, "share": comp.share(v)} for k, v in items]

        return Response(
            {
                "total": comp.total,
                "young": comp.young,
                "young_share": comp.share(comp.young),
                "gender": rows(comp.gender),
                "cohorts": rows(comp.cohorts, ordered=True),
                "ranks": rows(comp.ranks),
                "education": rows(comp.education),
                "units": rows(comp.units),
            }
        )


# --- posts ---------------------------------------------------------------------------------


class RequirementSerializer(serializers.Serializer):
    tag = serializers.SlugRelatedField(
        slug_field="name",
        queryset=ExpertiseTag.objects.filter(is_active=True),
        help_text="专长名称",
        error_messages={"does_not_exist": "专长“{value}”不存在或已停用"},
    )
    weight = serializers.IntegerField(
        min_value=1,
        max_value=10,
        default=1,
        error_messages={
            "min_value": "权重须在 1 到 10 之间",
            "max_value": "权重须在 1 到 10 之间",
        },
    )
    mandatory = serializers.BooleanField(default=False)


class PostSerializer(serializers.ModelSerializer):
    batch = serializers.PrimaryKeyRelatedField(
        queryset=Batch.objects.none(), error_messages={"does_not_exist": "批次不存在"}
    )
    batch_label = serializers.CharField(source="batch.label", read_only=True)
    host_unit = serializers.PrimaryKeyRelatedField(
        queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.HOST, is_active=True),
        error_messages={"does_not_exist": "接收单位不存在或不是启用的接收单位"},
    )
    host_unit_name = serializers.CharField(source="host_unit.name", read_only=True)
    capacity = serializers.IntegerField(
        min_value=1,
        max_value=50,
        default=1,
        error_messages={
            "min_value": "人数须在 1 到 50 之间",
            "max_value": "人数须在 1 到 50 之间",
        },
    )
    age_max = serializers.IntegerField(
        min_value=20,
        max_value=65,
        required=False,
        allow_null=True,
        help_text="批次开始时的周岁",
        error_messages={
            "min_value": "年龄上限须在 20 到 65 之间",
            "max_value": "年龄上限须在 20 到 65 之间",
        },
    )
    rank_min = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Rank.objects.all(),
        required=False,
        allow_null=True,
        help_text="最低职级名称，如 副处级",
        error_messages={"does_not_exist": "职级“{value}”不存在"},
    )
    rank_max = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Rank.objects.all(),
        required=False,
        allow_null=True,
        help_text="最高职级名称，如 正处级",
        error_messages={"does_not_exist": "职级“{value}”不存在"},
    )
    requirements = RequirementSerializer(many=True, required=False)

    class Meta:
        model = Post
        fields = [
            "id",
            "batch",
            "batch_label",
            "title",
            "host_unit",
            "host_unit_name",
            "capacity",
            "duties",
            "cooperation_fields",
            "rank_min",
            "rank_max",
            "rank_mandatory",
            "age_max",
            "age_mandatory",
            "experience_keywords",
            "experience_mandatory",
            "requirements",
        ]
        extra_kwargs = {"duties": {"max_length": TEXT_MAX}}  # a TextField: no bound of its own

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "batch" in self.fields:
            self.fields["batch"].queryset = access.batches_for(request.user)

    def validate_requirements(self, value):
        seen = set()
        for row in value:
            if row["tag"].pk in seen:
                raise serializers.ValidationError(f"专长“{row['tag'].name}”重复填写")
            seen.add(row["tag"].pk)
        if len(value) > 20:
            raise serializers.ValidationError("专长要求最多 20 项")
        return value

    def validate(self, attrs):
        instance = self.instance
        if instance is not None and "batch" in attrs and attrs["batch"] != instance.batch:
            raise serializers.ValidationError({"batch": ["岗位创建后不能改到其他批次"]})
        low = attrs.get("rank_min", instance.rank_min if instance else None)
        high = attrs.get("rank_max", instance.rank_max if instance else None)
        if low and high and low.order > high.order:
            raise serializers.ValidationError({"rank_max": ["最高职级不能低于最低职级"]})
        return attrs

    @transaction.atomic
    def save(self, **kwargs):
        requirements = self.validated_data.pop("requirements", None)
        post = super().save(**kwargs)
        if requirements is not None:
            post.requirements.all().delete()
            PostRequirement.objects.bulk_create(
                PostRequirement(post=post, **row) for row in requirements
            )
        return post


def _post_in_use(post: Post) -> bool:
    return post.placements.exists() or post.nominations.exists()


@extend_schema_view(destroy=extend_schema(responses={204: None, 400: DETAIL_400}))
class PostViewSet(viewsets.ModelViewSet):
    """岗位及其需求画像：所有有查看权限的用户可读；新增、修改、删除限市委组织部。
    已有拟任人选或任职记录的岗位不能删除。"""

    serializer_class = PostSerializer
    filterset_fields = ["batch"]

    def get_queryset(self):
        return (
            access.posts_for(self.request.user)
            .select_related("rank_min", "rank_max")
            .prefetch_related(
                Prefetch(
                    "requirements",
                    queryset=PostRequirement.objects.select_related("tag"),
                )
            )
            .order_by("batch", "host_unit__path", "title", "pk")
        )

    def get_object(self):
        perm = {
            "update": "programmes.change_post",
            "partial_update": "programmes.change_post",
            "destroy": "programmes.delete_post",
        }.get(self.action)
        if perm is not None:
            post = access.access_post(self.request.user, self.kwargs["pk"], perm)
            self.check_object_permissions(self.request, post)
            return post
        return super().get_object()

    def create(self, request, *args, **kwargs):
        access.require_manager(request.user, "programmes.add_post")
        return super().create(request, *args, **kwargs)

    def perform_destroy(self, instance):
        if _post_in_use(instance):
            raise Refused("该岗位已有拟任人选或任职记录，不能删除。可以修改岗位信息。")
        instance.delete()


# --- placements ----------------------------------------------------------------------------


class PlacementChangeSerializer(serializers.ModelSerializer):
    """A change request as shown, and (kind, new_end, reason) when requesting one."""

    kind = serializers.ChoiceField(
        choices=PlacementChange.Kind.choices,
        help_text="extend 延期；end_early 提前结束",
        error_messages={
            "invalid_choice": "申请类型只能是 extend（延期）或 end_early（提前结束）",
            "required": "请选择申请类型",
        },
    )
    new_end = serializers.DateField(error_messages={"required": "请填写新的结束日期"})
    reason = serializers.CharField(
        max_length=300, error_messages={"required": "请填写申请理由", "blank": "请填写申请理由"}
    )
    kind_display = DisplayField("kind")
    status_display = DisplayField("status")
    requested_by_name = serializers.CharField(source="requested_by.full_name", read_only=True)
    decided_by_name = serializers.CharField(
        source="decided_by.full_name", read_only=True, allow_null=True
    )

    class Meta:
        model = PlacementChange
        fields = [
            "id",
            "kind",
            "kind_display",
            "new_end",
            "reason",
            "status",
            "status_display",
            "requested_by",
            "requested_by_name",
            "requested_at",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "decision_note",
        ]
        read_only_fields = [
            "status",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
        ]


class PlacementSerializer(serializers.ModelSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    sending_unit = serializers.IntegerField(source="cadre.unit_id", read_only=True)
    sending_unit_name = serializers.CharField(source="cadre.unit.name", read_only=True)
    programme = serializers.IntegerField(source="batch.programme_id", read_only=True)
    programme_name = serializers.CharField(source="batch.programme.name", read_only=True)
    batch_label = serializers.CharField(source="batch.label", read_only=True)
    post_title = serializers.CharField(source="post.title", read_only=True)
    host_unit_name = serializers.CharField(source="host_unit.name", read_only=True)
    status_display = DisplayField("status")
    changes = PlacementChangeSerializer(many=True, read_only=True)

    class Meta:
        model = Placement
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "sending_unit",
            "sending_unit_name",
            "programme",
            "programme_name",
            "batch",
            "batch_label",
            "post",
            "post_title",
            "host_unit",
            "host_unit_name",
            "start",
            "planned_end",
            "actual_end",
            "status",
            "status_display",
            "note",
            "changes",
        ]
        read_only_fields = fields


class FinishSerializer(serializers.Serializer):
    end = serializers.DateField(
        help_text="实际结束日期", error_messages={"required": "请填写实际结束日期"}
    )
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class ChangeDecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField(help_text="true 批准，false 不批准（须填写意见）")
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class PlacementViewSet(viewsets.ReadOnlyModelViewSet):
    """任职记录：派出单位一方和接收单位一方在各自范围内可见；办理期满、申请延期或提前结束、
    审批申请（申请人不能审批自己的申请）。"""

    serializer_class = PlacementSerializer
    filterset_fields = ["batch", "status"]

    def get_queryset(self):
        return (
            access.placements_for(self.request.user)
            .select_related("cadre__unit", "batch__programme", "post", "host_unit")
            .prefetch_related(
                Prefetch(
                    "changes",
                    queryset=PlacementChange.objects.select_related("requested_by", "decided_by"),
                )
            )
            .order_by("-start", "cadre__name", "pk")
        )

    def _placement(self, perm: str) -> Placement:
        return access.access_placement(self.request.user, self.kwargs["pk"], perm)

    def _fresh(self, placement: Placement) -> Response:
        placement = self.get_queryset().get(pk=placement.pk)
        return Response(PlacementSerializer(placement, context=self.get_serializer_context()).data)

    @extend_schema(request=FinishSerializer, responses={200: PlacementSerializer, 400: DETAIL_400})
    @action(detail=True, methods=["post"])
    def finish(self, request, pk=None):
        """期满：在计划结束日期或之后结束任职。更早结束请申请提前结束。"""
        placement = self._placement("programmes.change_placement")
        data = FinishSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.placement_finish(placement=placement, by=request.user, **data.validated_data)
        except services.PlacementError as exc:
            raise Refused(str(exc)) from exc
        return self._fresh(placement)

    @extend_schema(
        request=PlacementChangeSerializer,
        responses={201: PlacementChangeSerializer, 400: DETAIL_400},
    )
    @action(detail=True, methods=["post"], url_path="change-request")
    def change_request(self, request, pk=None):
        """申请延期（extend）或提前结束（end_early），须由另一位有审批权限的同志审批。"""
        placement = self._placement("programmes.change_placement")
        data = PlacementChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            change = services.change_request(
                placement=placement, by=request.user, **data.validated_data
            )
        except services.PlacementError as exc:
            raise Refused(str(exc)) from exc
        return Response(PlacementChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=ChangeDecisionSerializer,
        responses={200: PlacementChangeSerializer, 400: DETAIL_400},
        parameters=[
            OpenApiParameter("change_id", int, OpenApiParameter.PATH, description="变更申请 id")
        ],
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"changes/(?P<change_id>\d+)/decide",
        url_name="change-decide",
    )
    def decide_change(self, request, pk=None, change_id=None):
        """审批延期或提前结束申请：approve=true 批准；不批准时须填写 note。"""
        placement = self._placement("programmes.approve_placement_change")
        change = get_object_or_404(PlacementChange, pk=change_id, placement=placement)
        data = ChangeDecisionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            change = services.change_decide(
                change=change,
                by=request.user,
                approve=data.validated_data["approve"],
                note=data.validated_data["note"],
            )
        except services.PlacementError as exc:
            raise Refused(str(exc)) from exc
        return Response(PlacementChangeSerializer(change).data)
