"""/api/v1/ for deeds (办实事 · 回头看 · 好差评): deeds with their status changes, targets,
progress (photos by multipart), ratings without the rater and rating figures; the status
workflow; look-backs and their conclusion; rectifications with the callback and the audited
reveal of the rater's phone; appeals; the rates over the deeds in scope; the review panel.

Every queryset comes from access.py and every write goes through services.py, with the same
scope and rules as the pages: a role without the permission → 403; outside the scope → 404;
visible but not allowed → 403 with a Chinese reason; a refused value is a 400 naming its field
(a DeedError keeps the field it names), another refusal a 400 with {"detail": message}.
Ratings never carry the rater's key, phone or panel member. The public rating endpoints
(no login) are in public.py.
"""

from __future__ import annotations

import django_filters
from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import FileResponse, Http404
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from guazhi.cadres import access as cadre_access
from guazhi.cadres.models import Cadre
from guazhi.core.access import scope_for
from guazhi.core.apifields import (
    CONFLICT_409,
    DETAIL_400,
    DisplayField,
    IdFilter,
    choice_field,
    codes,
    date_field,
    lock_version_field,
    refused,
    related_field,
    require_role,
    text_field,
)
from guazhi.core.models import OrgUnit

from . import access, services
from .models import (
    Appeal,
    Deed,
    Evidence,
    Level,
    LookBack,
    PanelMember,
    Rating,
    Rectification,
    ReworkTask,
    Status,
    StatusChange,
    Target,
)

NOT_VIEWER = "您的角色不能查看办实事"
NOT_ADDER = "您的角色不能登记实事"
NOT_CHANGER = "您不能修改该实事：只有范围覆盖责任单位的组织部门、责任单位和责任干部本人可以操作。"
NOT_REVIEWER = "只有范围覆盖该实事的组织部门可以进行回头看"
NOT_RECTIFIER = "只有整改单位和范围覆盖它的组织部门可以办理该整改"
NOT_REVEALER = "您的角色不能查看评价人手机号"
NOT_APPEAL_ROLE = "您的角色不能提出或复核差评申诉"
NOT_APPELLANT = "只有能办理该实事整改或修改该实事的单位和组织部门可以对其评价提出申诉"
NOT_DECIDER = "只有范围覆盖该实事的组织部门可以复核申诉"
OWN_APPEAL = "申诉人不能复核自己的申诉"
NOT_PANEL_VIEWER = "您的角色不能查看群众评议团"
NOT_PANEL_ADDER = "您的角色不能邀请评议团成员"


def _today():
    return timezone.localdate()


def _name(user) -> str:
    return (user.full_name or user.username) if user is not None else ""


def _public_url(request, name: str, key: str) -> str:
    """The absolute address of a public page (deed, panel, rerate) to hand out."""
    try:
        path = reverse(f"deeds_public:{name}", args=[key])
    except NoReverseMatch:
        return ""
    return request.build_absolute_uri(path) if request is not None else path


def _pct(value) -> float | None:
    return None if value is None else float(value)


class Gated:
    """Viewsets whose every action needs a permission in some scope (as the pages' require)."""

    required_perm = "deeds.view_deed"
    denied = NOT_VIEWER

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authenticates
        require_role(request.user, self.required_perm, self.denied)


# --- fields ------------------------------------------------------------------------------------


_related, _text, _choice = related_field, text_field, choice_field


def _date(required_message: str | None = None, **kwargs):
    """core's date field; an optional date here may also be sent as null."""
    if not required_message:
        kwargs.setdefault("allow_null", True)
    return date_field(required_message, **kwargs)


@extend_schema_field(OpenApiTypes.STR)
class CodeField(serializers.ChoiceField):
    """A choice shown in the schema as a string whose codes are in its description: the
    records app already names its own choice set "category", and a second enum of that name
    would make the schema rename both with a warning."""


def _yes_no(required_message: str, **kwargs):
    return serializers.BooleanField(
        error_messages={
            "required": required_message,
            "null": required_message,
            "invalid": "请填写 true 或 false",
        },
        **kwargs,
    )


def _number(label: str, **kwargs):
    return serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=0,
        error_messages={
            "invalid": f"请填写{label}（数字）",
            "min_value": f"{label}不能为负数",
            "max_decimal_places": f"{label}最多保留两位小数",
            "max_digits": f"{label}过大",
            "max_whole_digits": f"{label}过大",
            "required": f"请填写{label}",
            "null": f"请填写{label}",
        },
        **kwargs,
    )


def _rate(help_text: str):
    return serializers.FloatField(
        read_only=True, allow_null=True, help_text=help_text + "（%）；无可计算时为 null"
    )


# --- deeds: what is shown ---------------------------------------------------------------------


class DeedTargetSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True, help_text="完成百分比（至多 100）")

    class Meta:
        model = Target
        fields = ["id", "deed", "name", "unit_label", "planned", "achieved", "percent"]
        read_only_fields = fields


class DeedStatusChangeSerializer(serializers.ModelSerializer):
    from_status_name = serializers.CharField(
        source="from_status.name", read_only=True, allow_null=True
    )
    to_status_name = serializers.CharField(source="to_status.name", read_only=True)
    by_name = serializers.SerializerMethodField()

    class Meta:
        model = StatusChange
        fields = [
            "id",
            "from_status",
            "from_status_name",
            "to_status",
            "to_status_name",
            "date",
            "note",
            "by",
            "by_name",
            "created_at",
        ]
        read_only_fields = fields

    def get_by_name(self, change: StatusChange) -> str:
        return _name(change.by)


class DeedReworkTaskSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReworkTask
        fields = ["id", "title", "deadline", "done_on"]
        read_only_fields = fields


class DeedLookBackSerializer(serializers.ModelSerializer):
    deed_title = serializers.CharField(source="deed.title", read_only=True)
    unit = serializers.IntegerField(source="deed.unit_id", read_only=True)
    unit_name = serializers.CharField(source="deed.unit.name", read_only=True)
    overdue = serializers.SerializerMethodField(help_text="尚无结论且已过应回头看日期")
    satisfaction = _rate("结论时的满意率")
    conclusion = serializers.CharField(
        read_only=True, help_text="空为尚无结论；" + codes(LookBack.Conclusion.choices)
    )
    conclusion_display = DisplayField("conclusion")
    tasks = DeedReworkTaskSerializer(many=True, read_only=True)
    reviewed_by_name = serializers.SerializerMethodField()

    class Meta:
        model = LookBack
        fields = [
            "id",
            "deed",
            "deed_title",
            "unit",
            "unit_name",
            "due_on",
            "overdue",
            "real_need",
            "real_note",
            "recurrences",
            "lasting",
            "mechanism",
            "lasting_note",
            "ratings",
            "satisfaction",
            "happy_note",
            "conclusion",
            "conclusion_display",
            "rework_deadline",
            "tasks",
            "reviewed_by",
            "reviewed_by_name",
            "reviewed_at",
        ]
        read_only_fields = fields

    def get_overdue(self, lookback: LookBack) -> bool:
        return not lookback.conclusion and lookback.due_on < _today()

    def get_reviewed_by_name(self, lookback: LookBack) -> str:
        return _name(lookback.reviewed_by)


class DeedLookBackDetailSerializer(DeedLookBackSerializer):
    recurrences_now = serializers.SerializerMethodField(
        help_text="现在查得的同地同类问题再次反映件数（办结后、判定期内）；结论时记入 recurrences"
    )

    class Meta(DeedLookBackSerializer.Meta):
        fields = [*DeedLookBackSerializer.Meta.fields, "recurrences_now"]
        read_only_fields = fields

    def get_recurrences_now(self, lookback: LookBack) -> int:
        return services.recurrences(lookback.deed).count()


class DeedSerializer(serializers.ModelSerializer):
    source = serializers.CharField(read_only=True, help_text=codes(Deed.Source.choices))
    source_display = DisplayField("source")
    category = serializers.CharField(read_only=True, help_text=codes(Deed.Category.choices))
    category_display = DisplayField("category")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    cadre_name = serializers.CharField(source="cadre.name", read_only=True, allow_null=True)
    status_name = serializers.CharField(source="status.name", read_only=True)
    status_kind = serializers.CharField(
        source="status.kind", read_only=True, help_text=codes(Status.Kind.choices)
    )
    overdue = serializers.SerializerMethodField(help_text="办理中且已过承诺办结日期")
    ratings_count = serializers.IntegerField(
        read_only=True, help_text="有效评价数（申诉成立的不计）"
    )
    open_rectifications = serializers.IntegerField(read_only=True, help_text="整改中的差评数")
    created_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Deed
        fields = [
            "id",
            "title",
            "content",
            "source",
            "source_display",
            "category",
            "category_display",
            "urgent",
            "location",
            "unit",
            "unit_name",
            "cadre",
            "cadre_name",
            "opened_on",
            "promised_on",
            "status",
            "status_name",
            "status_kind",
            "done_on",
            "closed_on",
            "overdue",
            "reworks",
            "ratings_count",
            "open_rectifications",
            "created_by",
            "created_by_name",
            "created_at",
            "updated_at",
            "lock_version",
        ]
        read_only_fields = fields

    def get_overdue(self, deed: Deed) -> bool:
        return deed.status.kind == Status.Kind.OPEN and deed.promised_on < _today()

    def get_created_by_name(self, deed: Deed) -> str:
        return _name(deed.created_by)


class DeedDetailSerializer(DeedSerializer):
    targets = DeedTargetSerializer(many=True, read_only=True)
    history = DeedStatusChangeSerializer(many=True, read_only=True, help_text="状态变化，按日期")
    lookbacks = DeedLookBackSerializer(many=True, read_only=True)
    public_url = serializers.SerializerMethodField(
        help_text="公开评价页地址（可制成二维码发放给群众）"
    )
    can_change = serializers.SerializerMethodField(help_text="调用者可记进展、加指标、变更状态")
    can_review = serializers.SerializerMethodField(help_text="调用者可对该实事进行回头看")

    class Meta(DeedSerializer.Meta):
        fields = [
            *DeedSerializer.Meta.fields,
            "targets",
            "history",
            "lookbacks",
            "public_url",
            "can_change",
            "can_review",
        ]
        read_only_fields = fields

    def get_public_url(self, deed: Deed) -> str:
        return _public_url(self.context.get("request"), "deed", deed.public_key)

    def _can(self, perm: str, deed: Deed) -> bool:
        request = self.context.get("request")
        return request is not None and access.can(request.user, perm, deed)

    def get_can_change(self, deed: Deed) -> bool:
        return self._can("deeds.change_deed", deed)

    def get_can_review(self, deed: Deed) -> bool:
        return self._can("deeds.review_deed", deed)


class DeedEvidenceSerializer(serializers.ModelSerializer):
    target_name = serializers.CharField(source="target.name", read_only=True, allow_null=True)
    by_name = serializers.SerializerMethodField()
    photo_url = serializers.SerializerMethodField(help_text="照片地址（须同样认证，空为无照片）")

    class Meta:
        model = Evidence
        fields = [
            "id",
            "deed",
            "date",
            "note",
            "target",
            "target_name",
            "value",
            "photo_name",
            "photo_url",
            "by",
            "by_name",
            "created_at",
        ]
        read_only_fields = fields

    def get_by_name(self, evidence: Evidence) -> str:
        return _name(evidence.by)

    def get_photo_url(self, evidence: Evidence) -> str:
        if not evidence.photo:
            return ""
        path = reverse(
            "deed-progress-photo", kwargs={"pk": evidence.deed_id, "evidence": evidence.pk}
        )
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class DeedRatingRowSerializer(serializers.Serializer):
    """One row of access.rating_rows(): nothing about who rated."""

    id = serializers.IntegerField(source="pk")
    level = serializers.IntegerField(
        help_text="当前评价（再评价后为新评价）：" + codes(Level.choices)
    )
    level_display = serializers.SerializerMethodField()
    first_level = serializers.IntegerField(help_text="首次评价")
    first_level_display = serializers.SerializerMethodField()
    comment = serializers.CharField()
    channel = serializers.CharField(help_text=codes(Rating.Channel.choices))
    channel_display = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    rerated_at = serializers.DateTimeField(allow_null=True)
    excluded = serializers.BooleanField(help_text="申诉成立，不计入统计")

    def get_level_display(self, row: dict) -> str:
        return str(Level(row["level"]).label)

    def get_first_level_display(self, row: dict) -> str:
        return str(Level(row["first_level"]).label)

    def get_channel_display(self, row: dict) -> str:
        return str(Rating.Channel(row["channel"]).label)


class DeedLevelCountSerializer(serializers.Serializer):
    level = serializers.IntegerField(help_text=codes(Level.choices))
    level_display = serializers.CharField()
    count = serializers.IntegerField(help_text="有效评价中当前为该等级的数量")


class DeedRatingFiguresSerializer(serializers.Serializer):
    levels = DeedLevelCountSerializer(many=True)
    valid = serializers.IntegerField(help_text="有效评价数")
    excluded = serializers.IntegerField(help_text="申诉成立、不计入统计的评价数")
    bad = serializers.IntegerField(help_text="首次评价为不满意或非常不满意的有效评价数")
    rectified = serializers.IntegerField(help_text="其中已完成整改的")
    satisfaction = _rate("满意率 =（非常满意 + 满意 + 权重 × 基本满意）÷ 有效评价数")
    rectify_rate = _rate("差评整改率 = 已整改 ÷ 差评")


def rating_figures_body(figures: services.RatingFigures) -> dict:
    return {
        "levels": [
            {"level": lv.value, "level_display": str(lv.label), "count": figures.counts[lv.value]}
            for lv in Level
        ],
        "valid": figures.valid,
        "excluded": figures.excluded,
        "bad": figures.bad,
        "rectified": figures.rectified,
        "satisfaction": _pct(figures.satisfaction),
        "rectify_rate": _pct(figures.rectify_rate),
    }


# --- deeds: what is written -------------------------------------------------------------------


class DeedTargetWriteSerializer(serializers.Serializer):
    name = _text(60, "请填写指标名称，如“组建紧密型教育集团”")
    unit_label = _text(10, help_text="计量单位，如“个”")
    planned = _number("目标值")


class DeedWriteSerializer(serializers.Serializer):
    title = _text(120, "请填写实事名称")
    content = _text(4000, "请填写具体内容")
    source = _choice(Deed.Source.choices, "请选择来源")
    category = CodeField(
        choices=Deed.Category.choices,
        help_text=codes(Deed.Category.choices),
        error_messages={
            "invalid_choice": "请从列表中选择：" + codes(Deed.Category.choices),
            "required": "请选择类别",
            "blank": "请选择类别",
        },
    )
    urgent = serializers.BooleanField(required=False, help_text="属于群众急难愁盼")
    location = _text(
        120,
        "请填写地点（如某街道某小区），回头看据此判断问题是否反弹",
        help_text="如某街道某小区；回头看据此判断同地同类问题是否反弹",
    )
    unit = _related(
        OrgUnit.objects.none(),
        "请选择责任单位",
        "该单位不存在或您不能为它登记实事",
        help_text="责任单位，决定谁能看到和办理该实事",
    )
    cadre = _related(
        Cadre.objects.none(),
        "请选择责任干部",
        "该干部不存在或不在您的范围内",
        required=False,
        allow_null=True,
        help_text="责任干部（其本人可看到并办理该实事）",
    )
    opened_on = _date(help_text="登记日期，省略为今天；不晚于今天")
    promised_on = _date("请填写承诺办结日期", help_text="不早于登记日期")
    targets = DeedTargetWriteSerializer(many=True, required=False, help_text="量化目标")

    def __init__(self, *args, deed: Deed | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        user = request.user
        units = access.units_for_new(user)
        cadres = cadre_access.cadres_for(user)
        if deed is not None:  # keep the unit and cadre it has, whoever set them
            units = OrgUnit.objects.filter(Q(pk__in=units.values("pk")) | Q(pk=deed.unit_id))
            cadres = Cadre.objects.filter(Q(pk__in=cadres.values("pk")) | Q(pk=deed.cadre_id))
        self.fields["unit"].queryset = units
        self.fields["cadre"].queryset = cadres


class DeedChangeSerializer(DeedWriteSerializer):
    """The fields services.deed_update changes (status, targets and progress have actions)."""

    opened_on = None
    targets = None
    lock_version = lock_version_field()


class DeedStatusWriteSerializer(serializers.Serializer):
    to_status = _related(
        Status.objects.all(),
        "请选择要变更的状态",
        "该状态不存在",
        help_text="目标状态 id（见 deed-statuses/）",
    )
    day = _date(help_text="变更日期，省略为今天；不晚于今天，不早于登记日期")
    note = _text(500, help_text="说明；关闭、退回办理或指标未完成即办结时必填")
    lock_version = lock_version_field()


class DeedEvidenceWriteSerializer(serializers.Serializer):
    day = _date(help_text="进展日期，省略为今天；不晚于今天，不早于登记日期")
    note = _text(2000, "请填写进展情况")
    target = _related(
        Target.objects.none(),
        "请选择指标",
        "所选指标不属于该实事",
        required=False,
        allow_null=True,
        help_text="更新完成值的量化目标 id（与 value 同时填写）",
    )
    value = _number("指标完成值", required=False, allow_null=True)
    photo = serializers.FileField(
        required=False,
        allow_null=True,
        help_text="照片（jpg、png 或 webp，不超过 8 MB；须以 multipart/form-data 上传）",
        error_messages={
            "invalid": "请以 multipart/form-data 上传图片文件",
            "empty": "上传的照片是空文件",
        },
    )

    def __init__(self, *args, deed: Deed | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if deed is not None:
            self.fields["target"].queryset = deed.targets.all()


class FileRenderer(BaseRenderer):
    """Lets a file download pass content negotiation whatever the client accepts."""

    media_type = "*/*"
    format = "file"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data


class DeedFilter(django_filters.rest_framework.FilterSet):
    kind = django_filters.rest_framework.ChoiceFilter(
        choices=Status.Kind.choices, field_name="status__kind", label="状态类型"
    )
    status = IdFilter(field_name="status_id", label="状态 id")
    category = django_filters.rest_framework.ChoiceFilter(choices=Deed.Category.choices)
    source = django_filters.rest_framework.ChoiceFilter(choices=Deed.Source.choices)
    unit = IdFilter(method="in_unit", label="责任单位 id（含其下级单位）")
    cadre = IdFilter(field_name="cadre_id", label="责任干部 id")
    urgent = django_filters.rest_framework.BooleanFilter(label="急难愁盼")
    overdue = django_filters.rest_framework.BooleanFilter(
        method="with_overdue", label="超期未办结（办理中且已过承诺办结日期）"
    )
    q = django_filters.rest_framework.CharFilter(method="search", label="名称或地点")

    class Meta:
        model = Deed
        fields = ["kind", "status", "category", "source", "unit", "cadre", "urgent", "overdue", "q"]

    def in_unit(self, queryset, name, value):
        if value is None:
            return queryset
        path = OrgUnit.objects.filter(pk=value).values_list("path", flat=True).first()
        return queryset.filter(unit__path__startswith=path) if path else queryset.none()

    def with_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = Q(status__kind=Status.Kind.OPEN, promised_on__lt=_today())
        return queryset.filter(late) if value else queryset.exclude(late)

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__contains=value) | Q(location__contains=value))


class DeedViewSet(Gated, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """实事项目（我为群众办实事）：组织部门看范围内各单位的，责任单位看本单位的，干部看自己负责或
    登记的。修改、记进展、加指标、变更状态需 deeds.change_deed 且范围覆盖该实事；登记需
    deeds.add_deed。评价列表不含评价人的任何身份信息。"""

    queryset = Deed.objects.none()  # the model for the schema; get_queryset() is the real one
    serializer_class = DeedSerializer
    filterset_class = DeedFilter

    def get_queryset(self):
        qs = (
            access.deeds_for(self.request.user)
            .select_related("unit", "cadre", "status", "created_by")
            .annotate(
                ratings_count=access.count_of(Rating, excluded=False),
                open_rectifications=access.count_of(
                    Rectification, status=Rectification.Status.OPEN
                ),
            )
            .order_by(*Deed.LIST_ORDER)
        )
        if self.action == "list":
            return qs
        return qs.prefetch_related(
            "targets",
            Prefetch(
                "history",
                queryset=StatusChange.objects.select_related("from_status", "to_status", "by"),
            ),
            Prefetch(
                "lookbacks",
                queryset=LookBack.objects.select_related("reviewed_by").prefetch_related("tasks"),
            ),
        )

    def get_serializer_class(self):
        return DeedSerializer if self.action == "list" else DeedDetailSerializer

    def _fresh(self, deed: Deed, code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=deed.pk)
        return Response(
            DeedDetailSerializer(fresh, context=self.get_serializer_context()).data, code
        )

    def _deed(self, pk, *, change: bool = False) -> Deed:
        """The deed in scope (404 otherwise); with `change`, one the user may change (403)."""
        deed = access.access_deed(self.request.user, pk)
        if change and not access.can(self.request.user, "deeds.change_deed", deed):
            raise ApiDenied(NOT_CHANGER)
        return deed

    @extend_schema(
        request=DeedWriteSerializer, responses={201: DeedDetailSerializer, 400: DETAIL_400}
    )
    def create(self, request):
        """登记实事：从第一个“办理中”类型的状态开始；可同时列出量化目标。"""
        if not access.can_add(request.user):
            raise ApiDenied(NOT_ADDER)
        data = DeedWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.setdefault("opened_on", None)
        values["opened_on"] = values["opened_on"] or _today()
        values["targets"] = [
            (t["name"], t.get("unit_label", ""), t["planned"]) for t in values.get("targets", [])
        ]
        try:
            deed = services.deed_create(by=request.user, **values)
        except services.DeedError as exc:
            raise refused(exc, {"name": "targets", "planned": "targets"}) from exc
        return self._fresh(deed, status.HTTP_201_CREATED)

    @extend_schema(
        request=DeedChangeSerializer,
        responses={200: DeedDetailSerializer, 400: DETAIL_400, 409: CONFLICT_409},
    )
    def partial_update(self, request, pk=None):
        """修改实事信息（状态、指标和进展通过各自的操作变更）。带上读取时的 lock_version 可防止
        覆盖他人在此之后的修改（含状态变更）：不符时返回 409，不写入。"""
        deed = self._deed(pk, change=True)
        data = DeedChangeSerializer(
            data=request.data, partial=True, deed=deed, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        try:
            services.deed_update(deed=deed, by=request.user, **data.validated_data)
        except services.DeedError as exc:
            raise refused(exc) from exc
        return self._fresh(deed)

    @extend_schema(
        request=DeedStatusWriteSerializer,
        responses={200: DeedDetailSerializer, 400: DETAIL_400, 409: CONFLICT_409},
    )
    @action(detail=True, methods=["post"], url_path="status")
    def change_status(self, request, pk=None):
        """变更状态：办结时记办结日期并安排回头看；指标未完成即办结、关闭、从办结或关闭退回
        办理须说明原因。"""
        deed = self._deed(pk, change=True)
        data = DeedStatusWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.status_change(deed=deed, by=request.user, **data.validated_data)
        except services.DeedError as exc:
            raise refused(exc) from exc
        return self._fresh(deed)

    @extend_schema(
        request=DeedTargetWriteSerializer, responses={201: DeedTargetSerializer, 400: DETAIL_400}
    )
    @action(detail=True, methods=["post"])
    def targets(self, request, pk=None):
        """添加量化目标（同一实事中指标名称不重复）；目标列在实事详情中。"""
        deed = self._deed(pk, change=True)
        data = DeedTargetWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            values = {"unit_label": "", **data.validated_data}
            target = services.target_save(deed=deed, by=request.user, **values)
        except services.DeedError as exc:
            raise refused(exc) from exc
        return Response(DeedTargetSerializer(target).data, status.HTTP_201_CREATED)

    @extend_schema(methods=["GET"], responses={200: DeedEvidenceSerializer(many=True)})
    @extend_schema(
        methods=["POST"],
        request={
            "multipart/form-data": DeedEvidenceWriteSerializer,
            "application/json": DeedEvidenceWriteSerializer,
        },
        responses={201: DeedEvidenceSerializer, 400: DETAIL_400},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        filter_backends=[],
        parser_classes=[JSONParser, MultiPartParser, FormParser],
    )
    def progress(self, request, pk=None):
        """GET：进展记录，最新的在前。POST：记录进展（可同时更新一个指标的完成值；照片以
        multipart/form-data 上传，按内容核验格式）。"""
        if request.method == "GET":
            deed = self._deed(pk)
            rows = deed.evidence.select_related("target", "by").order_by("-date", "-pk")
            page = self.paginate_queryset(rows)
            body = DeedEvidenceSerializer(page, many=True, context=self.get_serializer_context())
            return self.get_paginated_response(body.data)
        deed = self._deed(pk, change=True)
        data = DeedEvidenceWriteSerializer(data=request.data, deed=deed)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["day"] = values.get("day") or _today()
        try:
            evidence = services.evidence_add(deed=deed, by=request.user, **values)
        except services.DeedError as exc:
            raise refused(exc) from exc
        body = DeedEvidenceSerializer(evidence, context=self.get_serializer_context())
        return Response(body.data, status.HTTP_201_CREATED)

    @extend_schema(
        parameters=[
            OpenApiParameter("evidence", int, OpenApiParameter.PATH, description="进展 id")
        ],
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="照片文件"
            ),
            404: OpenApiResponse(description="实事不在范围内，或该进展没有照片"),
        },
    )
    @action(
        detail=True,
        methods=["get"],
        url_path=r"progress/(?P<evidence>[0-9]+)/photo",
        url_name="progress-photo",
        filter_backends=[],
        pagination_class=None,
        renderer_classes=[FileRenderer],
    )
    def progress_photo(self, request, pk=None, evidence=None):
        """进展照片（与实事同样按范围查看）。"""
        deed = self._deed(pk)
        row = deed.evidence.filter(pk=evidence).first()
        if row is None or not row.photo:
            raise Http404
        response = FileResponse(row.photo.open("rb"))
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Disposition"] = "inline"
        return response

    @extend_schema(responses={200: DeedRatingRowSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[])
    def ratings(self, request, pk=None):
        """群众评价，最新的在前：等级、首次等级、评价方式、意见和时间；不含评价人的任何身份
        信息（手机号、评议团成员、评价人标识）。"""
        deed = self._deed(pk)
        page = self.paginate_queryset(access.rating_rows(deed))
        return self.get_paginated_response(DeedRatingRowSerializer(page, many=True).data)

    @extend_schema(responses={200: DeedRatingFiguresSerializer})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def figures(self, request, pk=None):
        """该实事的评价统计：各等级数量、满意率、差评整改率。"""
        deed = self._deed(pk)
        figures = services.rating_figures(Rating.objects.filter(deed=deed))
        return Response(DeedRatingFiguresSerializer(rating_figures_body(figures)).data)


class DeedStatusSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text=codes(Status.Kind.choices))
    kind_display = DisplayField("kind")

    class Meta:
        model = Status
        fields = ["id", "order", "name", "kind", "kind_display"]
        read_only_fields = fields


class StatusViewSet(Gated, mixins.ListModelMixin, viewsets.GenericViewSet):
    """实事状态流程（按顺序；由市委组织部在“办实事规则”中配置），供变更状态时查阅状态 id。"""

    serializer_class = DeedStatusSerializer
    filter_backends: list = []

    def get_queryset(self):
        services.statuses()  # the defaults on first use
        return Status.objects.order_by("order")


# --- look-backs --------------------------------------------------------------------------------


class DeedReworkTaskWriteSerializer(serializers.Serializer):
    title = _text(120, "请填写返工任务")
    deadline = _date("请填写返工任务的完成时限")


class DeedConcludeSerializer(serializers.Serializer):
    real_need = _yes_no("请选择：解决的是否是群众急难愁盼", help_text="一看事实实不实")
    real_note = _text(2000, help_text="实不实：核实情况（必填）")
    lasting = _yes_no("请选择：效果是否持续", help_text="二看效果好不好")
    mechanism = _yes_no("请选择：是否建立了长效机制")
    lasting_note = _text(2000, help_text="好不好：效果与机制情况（必填）")
    happy_note = _text(2000, help_text="三看群众乐不乐：评价情况")
    conclusion = _choice(LookBack.Conclusion.choices, "请选择结论：通过或回炉返工")
    tasks = DeedReworkTaskWriteSerializer(
        many=True, required=False, help_text="回炉返工的任务，各有完成时限"
    )
    rework_deadline = _date(help_text="返工完成时限（回炉返工时必填，不早于今天）")


class LookBackFilter(django_filters.rest_framework.FilterSet):
    deed = IdFilter(field_name="deed_id", label="实事 id")
    due = django_filters.rest_framework.BooleanFilter(
        method="with_due", label="到期待回头看（尚无结论且已到应回头看日期）"
    )
    done = django_filters.rest_framework.BooleanFilter(method="with_done", label="已有结论")

    class Meta:
        model = LookBack
        fields = ["deed", "due", "done"]

    def with_due(self, queryset, name, value):
        if value is None:
            return queryset
        due = Q(conclusion="", due_on__lte=_today())
        return queryset.filter(due) if value else queryset.exclude(due)

    def with_done(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(conclusion="") if value else queryset.filter(conclusion="")


class LookBackViewSet(
    Gated, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """回头看（deeds.review_deed，范围覆盖该实事的组织部门）：尚无结论的在前，按应回头看日期。
    一看事实实不实，二看效果好不好（同地同类问题再次反映自动查得），三看群众乐不乐（结论时的
    评价），结论为通过或回炉返工。"""

    required_perm = "deeds.review_deed"
    denied = NOT_REVIEWER
    serializer_class = DeedLookBackSerializer
    filterset_class = LookBackFilter

    def get_queryset(self):
        return (
            access.lookbacks_for(self.request.user)
            .select_related("deed__unit", "reviewed_by")
            .prefetch_related("tasks")
            .order_by("conclusion", "due_on", "pk")
        )

    def _fresh(self, lookback: LookBack) -> Response:
        fresh = self.get_queryset().get(pk=lookback.pk)
        return Response(DeedLookBackDetailSerializer(fresh).data)

    @extend_schema(responses={200: DeedLookBackDetailSerializer})
    def retrieve(self, request, pk=None):
        """一次回头看，及现在查得的同地同类问题再次反映件数。"""
        return self._fresh(access.access_lookback(request.user, pk))

    @extend_schema(
        request=DeedConcludeSerializer,
        responses={200: DeedLookBackDetailSerializer, 400: DETAIL_400},
    )
    @action(detail=True, methods=["post"])
    def conclude(self, request, pk=None):
        """作出结论。通过：须是群众急难愁盼且效果持续，问题反弹的还须建立长效机制。回炉返工：
        须列出返工任务和返工完成时限，实事退回办理，承诺办结日期改为返工完成时限。"""
        lookback = access.access_lookback(request.user, pk)
        data = DeedConcludeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["tasks"] = [(t["title"], t["deadline"]) for t in values.get("tasks", [])]
        values.setdefault("rework_deadline", None)
        values.setdefault("real_note", "")
        values.setdefault("lasting_note", "")
        values.setdefault("happy_note", "")
        try:
            services.lookback_conclude(lookback=lookback, by=request.user, **values)
        except services.DeedError as exc:
            raise refused(exc) from exc
        return self._fresh(lookback)


# --- rectifications ------------------------------------------------------------------------------


class DeedRectificationSerializer(serializers.ModelSerializer):
    deed_title = serializers.CharField(source="deed.title", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    status = serializers.CharField(read_only=True, help_text=codes(Rectification.Status.choices))
    status_display = DisplayField("status")
    overdue = serializers.SerializerMethodField(help_text="整改中且已过整改时限")
    level = serializers.IntegerField(
        source="rating.first_level", read_only=True, help_text="差评等级：" + codes(Level.choices)
    )
    level_display = serializers.CharField(source="rating.get_first_level_display", read_only=True)
    level_now = serializers.IntegerField(
        source="rating.level", read_only=True, help_text="当前等级（再评价后为新评价）"
    )
    level_now_display = serializers.CharField(source="rating.get_level_display", read_only=True)
    comment = serializers.CharField(source="rating.comment", read_only=True)
    channel = serializers.CharField(
        source="rating.channel", read_only=True, help_text=codes(Rating.Channel.choices)
    )
    channel_display = serializers.CharField(source="rating.get_channel_display", read_only=True)
    rated_at = serializers.DateTimeField(source="rating.created_at", read_only=True)
    rerated_at = serializers.DateTimeField(
        source="rating.rerated_at", read_only=True, allow_null=True
    )
    excluded = serializers.BooleanField(
        source="rating.excluded", read_only=True, help_text="申诉成立，不计入统计"
    )
    done_by_name = serializers.SerializerMethodField()
    callback_by_name = serializers.SerializerMethodField()

    class Meta:
        model = Rectification
        fields = [
            "id",
            "deed",
            "deed_title",
            "unit",
            "unit_name",
            "rating",
            "level",
            "level_display",
            "level_now",
            "level_now_display",
            "comment",
            "channel",
            "channel_display",
            "rated_at",
            "rerated_at",
            "excluded",
            "opened_on",
            "deadline",
            "status",
            "status_display",
            "overdue",
            "action",
            "done_on",
            "done_by",
            "done_by_name",
            "callback_on",
            "callback_note",
            "callback_by",
            "callback_by_name",
        ]
        read_only_fields = fields

    def get_overdue(self, rectification: Rectification) -> bool:
        return (
            rectification.status == Rectification.Status.OPEN and rectification.deadline < _today()
        )

    def get_done_by_name(self, rectification: Rectification) -> str:
        return _name(rectification.done_by)

    def get_callback_by_name(self, rectification: Rectification) -> str:
        return _name(rectification.callback_by)


class DeedAppealSerializer(serializers.ModelSerializer):
    deed = serializers.IntegerField(source="rating.deed_id", read_only=True)
    deed_title = serializers.CharField(source="rating.deed.title", read_only=True)
    level = serializers.IntegerField(
        source="rating.first_level", read_only=True, help_text="被申诉评价的首次等级"
    )
    level_display = serializers.CharField(source="rating.get_first_level_display", read_only=True)
    comment = serializers.CharField(source="rating.comment", read_only=True)
    filed_by_name = serializers.SerializerMethodField()
    decision = serializers.CharField(
        read_only=True, help_text="空为待复核；" + codes(Appeal.Decision.choices)
    )
    decision_display = DisplayField("decision")
    decided_by_name = serializers.SerializerMethodField()
    can_decide = serializers.SerializerMethodField(help_text="调用者可复核该申诉")

    class Meta:
        model = Appeal
        fields = [
            "id",
            "rating",
            "deed",
            "deed_title",
            "level",
            "level_display",
            "comment",
            "reason",
            "filed_by",
            "filed_by_name",
            "filed_at",
            "decision",
            "decision_display",
            "decision_note",
            "decided_by",
            "decided_by_name",
            "decided_at",
            "can_decide",
        ]
        read_only_fields = fields

    def get_filed_by_name(self, appeal: Appeal) -> str:
        return _name(appeal.filed_by)

    def get_decided_by_name(self, appeal: Appeal) -> str:
        return _name(appeal.decided_by)

    def get_can_decide(self, appeal: Appeal) -> bool:
        return bool(getattr(appeal, "decidable", False)) and not appeal.decision


class DeedRectificationDetailSerializer(DeedRectificationSerializer):
    appeals = serializers.SerializerMethodField(help_text="对该评价的申诉")
    can_work = serializers.SerializerMethodField(help_text="调用者可记录整改措施和回访")
    can_reveal = serializers.SerializerMethodField(help_text="调用者可查看评价人手机号用于回访")
    can_appeal = serializers.SerializerMethodField(help_text="调用者可对该评价提出申诉")
    rerate_url = serializers.SerializerMethodField(
        help_text="整改完成后请评价人再次评价的链接；只给能查看评价人手机号（负责回访）的人"
    )

    class Meta(DeedRectificationSerializer.Meta):
        fields = [
            *DeedRectificationSerializer.Meta.fields,
            "appeals",
            "can_work",
            "can_reveal",
            "can_appeal",
            "rerate_url",
        ]
        read_only_fields = fields

    def _user(self):
        request = self.context.get("request")
        return request.user if request is not None else None

    @extend_schema_field(DeedAppealSerializer(many=True))
    def get_appeals(self, rectification: Rectification):
        appeals = (
            rectification.rating.appeals.select_related("rating__deed", "filed_by", "decided_by")
            .annotate(
                decidable=Exists(access.appeals_to_decide(self._user()).filter(pk=OuterRef("pk")))
            )
            .order_by("-filed_at", "-pk")
        )
        return DeedAppealSerializer(appeals, many=True).data

    def get_can_work(self, rectification: Rectification) -> bool:
        return access.rectifications_for(self._user()).filter(pk=rectification.pk).exists()

    def get_can_reveal(self, rectification: Rectification) -> bool:
        return access.can(self._user(), "deeds.reveal_rater", rectification.deed)

    def get_can_appeal(self, rectification: Rectification) -> bool:
        return access.can_file_appeal(self._user(), rectification.rating)

    def get_rerate_url(self, rectification: Rectification) -> str:
        if (
            rectification.status != Rectification.Status.DONE
            or rectification.rating.rerated_at is not None
            or not self.get_can_reveal(rectification)
        ):
            return ""
        return _public_url(self.context.get("request"), "rerate", rectification.rerate_token)


class DeedRectificationDoneSerializer(serializers.Serializer):
    action = _text(2000, "请填写整改措施")


class DeedCallbackSerializer(serializers.Serializer):
    day = _date(help_text="回访日期，省略为今天；不晚于今天，不早于整改启动日期")
    note = _text(2000, "请填写回访情况")


class DeedRevealSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="评价 id")
    mobile = serializers.CharField(
        allow_blank=True, help_text="评价人完整手机号（本次查看已记入审计日志）；空为未留手机号"
    )


class RectificationFilter(django_filters.rest_framework.FilterSet):
    deed = IdFilter(field_name="deed_id", label="实事 id")
    status = django_filters.rest_framework.ChoiceFilter(choices=Rectification.Status.choices)
    overdue = django_filters.rest_framework.BooleanFilter(
        method="with_overdue", label="整改中且已过整改时限"
    )

    class Meta:
        model = Rectification
        fields = ["deed", "status", "overdue"]

    def with_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = Q(status=Rectification.Status.OPEN, deadline__lt=_today())
        return queryset.filter(late) if value else queryset.exclude(late)


class RectificationViewSet(
    Gated, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """差评整改：能看到实事的人可查看（不含评价人身份），整改中的在前；整改单位和范围覆盖它的
    组织部门（deeds.change_rectification）记录整改措施和回访；查看评价人手机号用于回访需
    deeds.reveal_rater，每次查看记入审计日志。"""

    serializer_class = DeedRectificationSerializer
    filterset_class = RectificationFilter

    def get_queryset(self):
        return (
            access.rectifications_for(self.request.user, "deeds.view_deed")
            .select_related("deed", "unit", "rating", "done_by", "callback_by")
            .order_by("-status", "deadline", "pk")  # 整改中 (open) before 已整改 (done)
        )

    def get_serializer_class(self):
        return (
            DeedRectificationSerializer
            if self.action == "list"
            else DeedRectificationDetailSerializer
        )

    def _work(self, pk) -> Rectification:
        rectification = access.access_rectification(self.request.user, pk)
        if not access.rectifications_for(self.request.user).filter(pk=pk).exists():
            raise ApiDenied(NOT_RECTIFIER)
        return rectification

    def _fresh(self, rectification: Rectification) -> Response:
        fresh = self.get_queryset().get(pk=rectification.pk)
        context = self.get_serializer_context()
        return Response(DeedRectificationDetailSerializer(fresh, context=context).data)

    @extend_schema(
        request=DeedRectificationDoneSerializer,
        responses={200: DeedRectificationDetailSerializer, 400: DETAIL_400},
    )
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        """记录整改措施，整改完成（此后评价人可再次评价）。"""
        rectification = self._work(pk)
        data = DeedRectificationDoneSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.rectification_done(
                rectification=rectification, by=request.user, **data.validated_data
            )
        except services.DeedError as exc:
            raise refused(exc) from exc
        return self._fresh(rectification)

    @extend_schema(
        request=DeedCallbackSerializer,
        responses={200: DeedRectificationDetailSerializer, 400: DETAIL_400},
    )
    @action(detail=True, methods=["post"])
    def callback(self, request, pk=None):
        """记录回访（回访日期和情况）。"""
        rectification = self._work(pk)
        data = DeedCallbackSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values["day"] = values.get("day") or _today()
        try:
            services.callback_record(rectification=rectification, by=request.user, **values)
        except services.DeedError as exc:
            raise refused(exc) from exc
        return self._fresh(rectification)

    @extend_schema(request=None, responses={200: DeedRevealSerializer})
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """查看评价人手机号用于回访（需 deeds.reveal_rater 且范围覆盖该实事；记入审计日志）。"""
        rectification = access.access_rectification(request.user, pk)
        if not access.can(request.user, "deeds.reveal_rater", rectification.deed):
            raise ApiDenied(NOT_REVEALER)
        mobile = access.reveal_rater(request.user, rectification.rating)
        return Response({"id": rectification.rating_id, "mobile": mobile})


# --- appeals -----------------------------------------------------------------------------------


class DeedAppealFileSerializer(serializers.Serializer):
    rating = _related(
        Rating.objects.none(),
        "请选择要申诉的评价",
        "该评价不存在或不在您的范围内",
        help_text="评价 id（见 deeds/{id}/ratings/ 或 deed-rectifications/）",
    )
    reason = _text(2000, "请填写申诉理由（如恶意评价、误评的依据）")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["rating"].queryset = Rating.objects.filter(
                deed__in=access.deeds_for(request.user)
            )


class DeedAppealDecideSerializer(serializers.Serializer):
    decision = _choice(Appeal.Decision.choices, "请选择复核结论")
    note = _text(2000, "请填写复核意见")


class AppealFilter(django_filters.rest_framework.FilterSet):
    deed = IdFilter(field_name="rating__deed_id", label="实事 id")
    decided = django_filters.rest_framework.BooleanFilter(method="with_decided", label="已复核")

    class Meta:
        model = Appeal
        fields = ["deed", "decided"]

    def with_decided(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.exclude(decision="") if value else queryset.filter(decision="")


class AppealViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """差评申诉复核：能办理该实事整改的单位和组织部门（deeds.add_appeal）对恶意或误评的评价
    提出申诉；范围覆盖该实事的组织部门（deeds.decide_appeal）复核，申诉人不能复核自己的申诉。
    申诉成立的评价不计入统计，但保留记录。列表为调用者可复核的和本人提出的申诉。"""

    queryset = Appeal.objects.none()  # the model for the schema; get_queryset() is the real one
    serializer_class = DeedAppealSerializer
    filterset_class = AppealFilter

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        user = request.user
        if not user.is_active or (
            scope_for(user, "deeds.add_appeal").is_none
            and scope_for(user, "deeds.decide_appeal").is_none
        ):
            raise ApiDenied(NOT_APPEAL_ROLE)

    def get_queryset(self):
        user = self.request.user
        deciding = access.appeals_to_decide(user)
        return (
            Appeal.objects.filter(Q(pk__in=deciding.values("pk")) | Q(filed_by=user))
            .select_related("rating__deed", "filed_by", "decided_by")
            .annotate(decidable=Exists(deciding.filter(pk=OuterRef("pk"))))
            .order_by("-filed_at", "-pk")
        )

    def _fresh(self, appeal: Appeal, code: int = 200) -> Response:
        return Response(DeedAppealSerializer(self.get_queryset().get(pk=appeal.pk)).data, code)

    @extend_schema(
        request=DeedAppealFileSerializer, responses={201: DeedAppealSerializer, 400: DETAIL_400}
    )
    def create(self, request):
        """对一条评价提出申诉（须能办理该实事的整改或修改该实事）。"""
        data = DeedAppealFileSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        rating = data.validated_data["rating"]
        if not access.can_file_appeal(request.user, rating):
            raise ApiDenied(NOT_APPELLANT)
        try:
            appeal = services.appeal_file(
                rating=rating, by=request.user, reason=data.validated_data["reason"]
            )
        except services.DeedError as exc:
            raise refused(exc) from exc
        return self._fresh(appeal, status.HTTP_201_CREATED)

    @extend_schema(
        request=DeedAppealDecideSerializer, responses={200: DeedAppealSerializer, 400: DETAIL_400}
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """复核：申诉成立（该评价不再计入统计）或不成立，须填写复核意见。"""
        appeal = self.get_object()
        if appeal.filed_by_id == request.user.pk:
            raise ApiDenied(OWN_APPEAL)
        if not appeal.decidable:
            raise ApiDenied(NOT_DECIDER)
        data = DeedAppealDecideSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.appeal_decide(appeal=appeal, by=request.user, **data.validated_data)
        except services.DeedError as exc:
            raise refused(exc) from exc
        return self._fresh(appeal)


# --- figures -----------------------------------------------------------------------------------


class DeedFiguresQuerySerializer(serializers.Serializer):
    unit = serializers.IntegerField(
        required=False,
        help_text="责任单位 id（含其下级单位）",
        error_messages={"invalid": "单位 id 应为整数"},
    )
    cadre = serializers.IntegerField(
        required=False, help_text="责任干部 id", error_messages={"invalid": "干部 id 应为整数"}
    )
    opened_from = _date(help_text="登记日期起（含）")
    opened_to = _date(help_text="登记日期止（含）")


class DeedFiguresSerializer(serializers.Serializer):
    deeds = serializers.IntegerField(help_text="实事件数")
    responded = serializers.IntegerField(help_text="有响应的（记过进展或状态已推进）")
    solved = serializers.IntegerField(help_text="已办结的")
    on_time = serializers.IntegerField(help_text="按承诺日期办结的")
    response_rate = _rate("响应率")
    solve_rate = _rate("解决率")
    on_time_rate = _rate("按时办结率（占已办结）")
    satisfaction = _rate("满意率")
    rectify_rate = _rate("差评整改率")
    ratings = DeedRatingFiguresSerializer(help_text="评价统计")


class DeedFiguresView(APIView):
    """响应率、解决率、按时办结率、满意率、差评整改率和各项件数，统计调用者范围内的实事
    （可按责任单位、责任干部和登记日期筛选）。公式见 deeds/services.py。"""

    @extend_schema(
        parameters=[DeedFiguresQuerySerializer],
        responses={200: DeedFiguresSerializer, 400: DETAIL_400},
    )
    def get(self, request):
        require_role(request.user, "deeds.view_deed", NOT_VIEWER)
        query = DeedFiguresQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        deeds = access.deeds_for(request.user)
        if wanted.get("unit") is not None:
            path = OrgUnit.objects.filter(pk=wanted["unit"]).values_list("path", flat=True)
            path = path.first()
            deeds = deeds.filter(unit__path__startswith=path) if path else deeds.none()
        if wanted.get("cadre") is not None:
            deeds = deeds.filter(cadre_id=wanted["cadre"])
        if wanted.get("opened_from"):
            deeds = deeds.filter(opened_on__gte=wanted["opened_from"])
        if wanted.get("opened_to"):
            deeds = deeds.filter(opened_on__lte=wanted["opened_to"])
        figures = services.figures(deeds)
        body = {
            "deeds": figures.deeds,
            "responded": figures.responded,
            "solved": figures.solved,
            "on_time": figures.on_time,
            "response_rate": _pct(figures.response_rate),
            "solve_rate": _pct(figures.solve_rate),
            "on_time_rate": _pct(figures.on_time_rate),
            "satisfaction": _pct(figures.ratings.satisfaction),
            "rectify_rate": _pct(figures.ratings.rectify_rate),
            "ratings": rating_figures_body(figures.ratings),
        }
        return Response(DeedFiguresSerializer(body).data)


# --- the review panel --------------------------------------------------------------------------


class DeedPanelMemberSerializer(serializers.ModelSerializer):
    ratings_count = serializers.IntegerField(read_only=True, help_text="已作出的评价数")
    token = serializers.SerializerMethodField(
        help_text="邀请令牌；只给能邀请成员的人（由他们发放邀请链接），其他人为 null"
    )
    invitation_url = serializers.SerializerMethodField(
        help_text="成员的评议链接；只给能邀请成员的人，其他人为 null"
    )

    class Meta:
        model = PanelMember
        fields = [
            "id",
            "name",
            "community",
            "mobile_masked",
            "active",
            "ratings_count",
            "token",
            "invitation_url",
            "created_at",
        ]
        read_only_fields = fields

    def _may_invite(self) -> bool:
        return bool(self.context.get("may_invite"))

    def get_token(self, member: PanelMember) -> str | None:
        return member.token if self._may_invite() else None

    def get_invitation_url(self, member: PanelMember) -> str | None:
        if not self._may_invite():
            return None
        return _public_url(self.context.get("request"), "panel", member.token)


class DeedPanelMemberWriteSerializer(serializers.Serializer):
    name = _text(30, "请填写姓名")
    community = _text(60, help_text="所在社区或单位")
    mobile = serializers.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        help_text="11 位手机号（可省略）；加密存储，只显示掩码",
        error_messages={"max_length": "请填写正确的 11 位手机号"},
    )


class PanelMemberFilter(django_filters.rest_framework.FilterSet):
    active = django_filters.rest_framework.BooleanFilter(label="有效")

    class Meta:
        model = PanelMember
        fields = ["active"]


class PanelMemberViewSet(Gated, mixins.ListModelMixin, viewsets.GenericViewSet):
    """群众评议团成员（deeds.view_panelmember）：手机号只显示掩码；邀请成员需
    deeds.add_panelmember，邀请令牌和评议链接只给能邀请成员的人。"""

    required_perm = "deeds.view_panelmember"
    denied = NOT_PANEL_VIEWER
    serializer_class = DeedPanelMemberSerializer
    filterset_class = PanelMemberFilter

    def get_queryset(self):
        return PanelMember.objects.annotate(ratings_count=Count("ratings")).order_by(
            "-active", "name", "pk"
        )

    def get_serializer_context(self):
        context = super().get_serializer_context()
        user = self.request.user
        context["may_invite"] = not scope_for(user, "deeds.add_panelmember").is_none
        return context

    @extend_schema(
        request=DeedPanelMemberWriteSerializer,
        responses={201: DeedPanelMemberSerializer, 400: DETAIL_400},
    )
    def create(self, request):
        """邀请评议团成员（返回其评议链接，由邀请人发放）。"""
        require_role(request.user, "deeds.add_panelmember", NOT_PANEL_ADDER)
        data = DeedPanelMemberWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            member = services.panel_member_add(by=request.user, **data.validated_data)
        except services.DeedError as exc:
            raise refused(exc) from exc
        fresh = self.get_queryset().get(pk=member.pk)
        body = DeedPanelMemberSerializer(fresh, context=self.get_serializer_context())
        return Response(body.data, status.HTTP_201_CREATED)
