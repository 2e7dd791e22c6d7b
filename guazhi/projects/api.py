"""/api/v1/ for cooperation projects (项目闭环): enterprises and their contacts, projects with
their stage moves, termination, reopening, history, board and funnel, the programmes' stages,
and what hangs on a project — tasks, blockers (and the green channel), task-force members,
credits, follow-up notes — and events.

Every queryset comes from access.py and every write goes through services.py, with the same
scope and rules as the pages: outside the scope → 404; visible but not allowed → 403 with a
Chinese reason; a refused value is a 400 naming its field (a service's ProjectError keeps the
field it names), another refusal a 400 with {"detail": message}.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q
from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiDenied
from rest_framework.response import Response

from guazhi.cadres.models import Cadre
from guazhi.core.access import scope_for
from guazhi.core.access import units_for as core_units_for
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
from guazhi.core.models import OrgUnit, User
from guazhi.programmes import access as programme_access
from guazhi.programmes.models import Batch, Programme

from . import access, services
from .models import (
    Blocker,
    Credit,
    Enterprise,
    EnterpriseContact,
    Event,
    Light,
    Project,
    ProjectUpdate,
    Sector,
    Stage,
    StageChange,
    Task,
    TaskForceMember,
)

NOT_CHANGER = "您不能管理该项目：只有项目责任人、专班牵头人、所在批次工作队队长和范围覆盖责任单位的组织部门可以操作。"
NOT_TASK_WORKER = "只有任务责任人或能管理该项目的人可以更新该任务。"
NOT_TASK_MANAGER = (
    "任务内容、责任人和时限只能由能管理该项目的人修改；责任人本人只能更新状态和说明。"
)
NOT_BLOCKER_WORKER = "只有问题责任人或能管理该项目的人可以受理、解决该问题。"


def _project(user, pk, *, change: bool = False) -> Project:
    """The project in scope (404 otherwise); with `change`, one the user may change (403)."""
    project = access.access_project(user, pk)
    if change and not access.can_change(user, project):
        raise ApiDenied(NOT_CHANGER)
    return project


def _changeable(user, project: Project) -> Project:
    if not access.can_change(user, project):
        raise ApiDenied(NOT_CHANGER)
    return project


def _name(user) -> str:
    return (user.full_name or user.username) if user is not None else ""


_related, _text, _date, _choice = related_field, text_field, date_field, choice_field


def _amount(**kwargs):
    return serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        error_messages={
            "invalid": "请填写金额（万元）",
            "min_value": "金额不能为负数",
            "max_decimal_places": "金额最多保留两位小数",
            "max_digits": "金额过大",
            "max_whole_digits": "金额过大",
        },
        **kwargs,
    )


# --- enterprises and contacts --------------------------------------------------------------


class ContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = EnterpriseContact
        fields = ["id", "enterprise", "name", "title", "mobile_masked"]
        read_only_fields = fields


class ContactWriteSerializer(serializers.Serializer):
    name = _text(30, "请填写联系人姓名")
    title = _text(40)
    mobile = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="11 位手机号；存储时加密"
    )


class ContactChangeSerializer(ContactWriteSerializer):
    name = _text(30, "请填写联系人姓名", required=False)
    mobile = serializers.CharField(
        max_length=20, required=False, allow_blank=True, help_text="省略则保留原号码"
    )


class RevealSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    mobile = serializers.CharField(help_text="完整手机号（本次查看已记入审计日志）")


class EnterpriseSerializer(serializers.ModelSerializer):
    sector = serializers.CharField(read_only=True, help_text=codes(Sector.choices))
    sector_display = DisplayField("sector")
    contacts = ContactSerializer(many=True, read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "name",
            "credit_code",
            "sector",
            "sector_display",
            "city",
            "address",
            "note",
            "contacts",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class EnterpriseWriteSerializer(serializers.Serializer):
    name = _text(100, "请填写企业名称")
    credit_code = serializers.CharField(
        max_length=40,
        help_text="18 位统一社会信用代码（GB 32100 校验位）；空格、横线和全角字符会被规范化",
        error_messages={"required": "请填写统一社会信用代码", "blank": "请填写统一社会信用代码"},
    )
    sector = _choice(Sector.choices, "请选择行业")
    city = _text(30, "请填写总部所在城市")
    address = _text(120)
    note = _text(2000)


class EnterpriseFilter(django_filters.rest_framework.FilterSet):
    q = django_filters.rest_framework.CharFilter(
        method="search", label="企业名称或统一社会信用代码"
    )
    sector = django_filters.rest_framework.ChoiceFilter(choices=Sector.choices)

    class Meta:
        model = Enterprise
        fields = ["q", "sector"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        code = services.normalise_credit_code(value)
        return queryset.filter(Q(name__icontains=value) | Q(credit_code__icontains=code))


class EnterpriseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """企业库：有查看权限的用户共享；登记需 projects.add_enterprise，修改和添加联系人需
    projects.change_enterprise。联系人手机号只显示掩码，完整号码见 enterprise-contacts/{id}/reveal/。"""

    serializer_class = EnterpriseSerializer
    filterset_class = EnterpriseFilter

    def get_queryset(self):
        return (
            access.enterprises_for(self.request.user)
            .select_related("created_by")
            .prefetch_related("contacts")
            .order_by("name", "pk")
        )

    def _fresh(self, enterprise: Enterprise, code: int = 200) -> Response:
        return Response(EnterpriseSerializer(self.get_queryset().get(pk=enterprise.pk)).data, code)

    @extend_schema(
        request=EnterpriseWriteSerializer,
        responses={201: EnterpriseSerializer, 400: DETAIL_400},
    )
    def create(self, request):
        """登记企业（统一社会信用代码校验并查重）。"""
        require_role(request.user, "projects.add_enterprise", "您的角色不能登记企业")
        data = EnterpriseWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            enterprise = services.enterprise_create(by=request.user, **data.validated_data)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return self._fresh(enterprise, status.HTTP_201_CREATED)

    @extend_schema(
        request=EnterpriseWriteSerializer,
        responses={200: EnterpriseSerializer, 400: DETAIL_400},
    )
    def partial_update(self, request, pk=None):
        """修改企业信息（改统一社会信用代码时同样校验并查重）。"""
        enterprise = access.access_enterprise(request.user, pk)
        require_role(request.user, "projects.change_enterprise", "您的角色不能修改企业信息")
        data = EnterpriseWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        try:
            services.enterprise_update(
                enterprise=enterprise, by=request.user, **data.validated_data
            )
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return self._fresh(enterprise)

    @extend_schema(
        request=ContactWriteSerializer,
        responses={201: ContactSerializer, 400: DETAIL_400},
    )
    @action(detail=True, methods=["post"])
    def contacts(self, request, pk=None):
        """添加企业联系人（手机号加密存储，返回掩码）。"""
        enterprise = access.access_enterprise(request.user, pk)
        require_role(request.user, "projects.change_enterprise", "您的角色不能添加企业联系人")
        data = ContactWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            contact = services.contact_add(
                enterprise=enterprise, by=request.user, **data.validated_data
            )
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return Response(ContactSerializer(contact).data, status.HTTP_201_CREATED)


class ContactFilter(django_filters.rest_framework.FilterSet):
    enterprise = IdFilter(field_name="enterprise_id", label="企业 id")

    class Meta:
        model = EnterpriseContact
        fields = ["enterprise"]


class EnterpriseContactViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """企业联系人：手机号只显示掩码；修改需 projects.change_enterprise；查看完整号码需
    projects.reveal_contact，每次查看记入审计日志。"""

    serializer_class = ContactSerializer
    filterset_class = ContactFilter

    def get_queryset(self):
        return EnterpriseContact.objects.filter(
            enterprise__in=access.enterprises_for(self.request.user)
        ).order_by("enterprise_id", "pk")

    @extend_schema(
        request=ContactChangeSerializer,
        responses={200: ContactSerializer, 400: DETAIL_400},
    )
    def partial_update(self, request, pk=None):
        """修改联系人（省略 mobile 则保留原号码）。"""
        contact = access.access_contact(request.user, pk)
        require_role(request.user, "projects.change_enterprise", "您的角色不能修改企业联系人")
        data = ContactChangeSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        try:
            contact = services.contact_update(
                contact=contact,
                by=request.user,
                name=values.get("name", contact.name),
                title=values.get("title", contact.title),
                mobile=values.get("mobile"),
            )
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return Response(ContactSerializer(contact).data)

    @extend_schema(request=None, responses={200: RevealSerializer})
    @action(detail=True, methods=["post"])
    def reveal(self, request, pk=None):
        """查看联系人完整手机号（需 projects.reveal_contact；记入审计日志）。"""
        contact = access.access_contact(request.user, pk)
        try:
            mobile = services.contact_reveal(contact=contact, by=request.user)
        except PermissionDenied as exc:
            raise ApiDenied("您的角色不能查看企业联系人的完整手机号") from exc
        return Response({"id": contact.pk, "mobile": mobile})


# --- stages ----------------------------------------------------------------------------------


class StageSerializer(serializers.ModelSerializer):
    evidence = serializers.CharField(read_only=True, help_text=codes(Stage.Evidence.choices))
    evidence_display = DisplayField("evidence")

    class Meta:
        model = Stage
        fields = ["id", "programme", "order", "name", "evidence", "evidence_display"]
        read_only_fields = fields


class StageFilter(django_filters.rest_framework.FilterSet):
    programme = IdFilter(field_name="programme_id", label="挂职项目 id")

    class Meta:
        model = Stage
        fields = ["programme"]


class StageViewSet(viewsets.ReadOnlyModelViewSet):
    """各挂职项目的项目阶段（按顺序），供推进阶段时查阅阶段 id 和所需佐证。"""

    serializer_class = StageSerializer
    filterset_class = StageFilter

    def get_queryset(self):
        user = self.request.user
        if not user.is_active or scope_for(user, "projects.view_project").is_none:
            return Stage.objects.none()
        programmes = programme_access.programmes_for(user)
        return Stage.objects.filter(programme__in=programmes).order_by("programme_id", "order")


# --- projects ----------------------------------------------------------------------------------


class ProjectSerializer(serializers.ModelSerializer):
    programme_name = serializers.CharField(source="programme.name", read_only=True)
    batch_label = serializers.CharField(source="batch.label", read_only=True, allow_null=True)
    enterprise_name = serializers.CharField(
        source="enterprise.name", read_only=True, allow_null=True
    )
    sector = serializers.CharField(read_only=True, help_text=codes(Sector.choices))
    sector_display = DisplayField("sector")
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    found_by_name = serializers.CharField(source="found_by.name", read_only=True, allow_null=True)
    channel = serializers.CharField(read_only=True, help_text=codes(Project.Channel.choices))
    channel_display = DisplayField("channel")
    signed_event_name = serializers.CharField(
        source="signed_event.name", read_only=True, allow_null=True
    )
    landing_form = serializers.CharField(
        read_only=True, help_text=codes(Project.LandingForm.choices)
    )
    landing_form_display = DisplayField("landing_form")
    owner_name = serializers.SerializerMethodField()
    stage_name = serializers.CharField(source="stage.name", read_only=True)
    stage_order = serializers.IntegerField(source="stage.order", read_only=True)
    status = serializers.CharField(read_only=True, help_text=codes(Project.Status.choices))
    status_display = DisplayField("status")
    light = serializers.CharField(read_only=True, help_text="红黄绿灯：" + codes(Light.choices))
    light_display = serializers.SerializerMethodField()
    idle_days = serializers.SerializerMethodField(help_text="距最近进展的天数")

    class Meta:
        model = Project
        fields = [
            "id",
            "programme",
            "programme_name",
            "batch",
            "batch_label",
            "title",
            "enterprise",
            "enterprise_name",
            "sector",
            "sector_display",
            "district",
            "unit",
            "unit_name",
            "description",
            "found_by",
            "found_by_name",
            "found_on",
            "channel",
            "channel_display",
            "source_note",
            "planned_amount",
            "signed_amount",
            "landed_amount",
            "signed_on",
            "agreement_number",
            "signed_event",
            "signed_event_name",
            "landed_on",
            "landing_form",
            "landing_form_display",
            "production_on",
            "owner",
            "owner_name",
            "stage",
            "stage_name",
            "stage_order",
            "stage_entered_on",
            "reached_order",
            "is_finished",
            "status",
            "status_display",
            "terminated_on",
            "terminated_reason",
            "terminated_note",
            "last_progress_on",
            "light",
            "light_display",
            "idle_days",
            "created_at",
            "updated_at",
            "lock_version",
        ]
        read_only_fields = fields

    def get_owner_name(self, project: Project) -> str:
        return _name(project.owner)

    def get_light_display(self, project: Project) -> str:
        return str(Light(project.light).label)

    def get_idle_days(self, project: Project) -> int:
        return services.idle_days(project)


class ProjectWriteSerializer(serializers.Serializer):
    programme = _related(
        Programme.objects.none(), "请选择挂职项目", "该挂职项目不存在或不在您的范围内"
    )
    title = _text(120, "请填写项目名称")
    enterprise = _related(
        Enterprise.objects.none(),
        "请选择企业",
        "该企业不存在",
        required=False,
        allow_null=True,
    )
    sector = _choice(Sector.choices, "请选择行业")
    district = _text(30, "请填写拟落地区县")
    unit = _related(
        OrgUnit.objects.none(),
        "请选择责任单位",
        "该单位不存在或您不能把项目交给它负责",
        help_text="负责推进的单位，决定谁能看到和管理该项目",
    )
    owner = _related(User.objects.none(), "项目必须有责任人", "该用户不存在或不能作为责任人")
    found_by = _related(
        Cadre.objects.none(),
        "请选择线索发现人",
        "该干部不存在或不在您的范围内",
        required=False,
        allow_null=True,
        help_text="发现线索的挂职干部（记为“发现线索”贡献，并据其挂职确定批次）",
    )
    found_on = _date("请填写发现日期")
    channel = _choice(Project.Channel.choices, "请选择线索来源")
    source_note = _text(300)
    planned_amount = _amount(help_text="计划投资（万元）")
    description = _text(4000)
    batch = _related(
        Batch.objects.none(),
        "请选择批次",
        "该批次不存在或不在您的范围内",
        required=False,
        allow_null=True,
        help_text="省略时取线索发现人在发现日期所在的批次",
    )

    def __init__(self, *args, project: Project | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None:
            return
        user = request.user
        if "programme" in self.fields:
            self.fields["programme"].queryset = programme_access.programmes_for(user)
            self.fields["found_by"].queryset = access.cadres_for(user)
        self.fields["enterprise"].queryset = access.enterprises_for(user)
        units = access.units_for_new_project(user)
        if project is not None:  # keep the unit it has, whoever set it
            units = OrgUnit.objects.filter(Q(pk__in=units.values("pk")) | Q(pk=project.unit_id))
        self.fields["unit"].queryset = units
        self.fields["owner"].queryset = access.owners_for(user)
        self.fields["batch"].queryset = programme_access.batches_for(user)


class ProjectChangeSerializer(ProjectWriteSerializer):
    """The fields services.project_update changes (stage and evidence go through move/)."""

    programme = None
    found_by = None
    found_on = None
    lock_version = lock_version_field()


class MoveSerializer(serializers.Serializer):
    to_stage = _related(
        Stage.objects.none(), "请选择目标阶段", "所选阶段不存在或不属于该项目的挂职项目"
    )
    day = _date(help_text="变更日期，省略为今天；不晚于今天，不早于进入当前阶段的日期")
    note = _text(500, help_text="说明；回退阶段时必填")
    signed_on = _date(help_text="签约日期（进入签约阶段时需要）")
    signed_amount = _amount(help_text="签约金额（万元，进入签约阶段时需要）")
    agreement_number = _text(60, help_text="协议编号")
    event = _related(
        Event.objects.none(),
        "请选择签约活动",
        "该活动不存在",
        required=False,
        allow_null=True,
        help_text="签约活动（在活动上签约的，签约日期为活动日期）",
    )
    landed_on = _date(help_text="落地（注册或开工）日期（进入落地阶段时需要）")
    landed_amount = _amount(help_text="到位资金（万元，进入落地阶段时需要）")
    landing_form = _choice(
        Project.LandingForm.choices, help_text="落地形式：" + codes(Project.LandingForm.choices)
    )
    production_on = _date(help_text="投产日期（进入投产阶段时需要）")
    lock_version = lock_version_field()

    def __init__(self, *args, project: Project | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if project is not None and request is not None:
            self.fields["to_stage"].queryset = Stage.objects.filter(
                programme_id=project.programme_id
            )
            self.fields["event"].queryset = access.events_for(request.user)


class TerminateSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=60,
        help_text="终止原因，须是该挂职项目规则中列出的一项",
        error_messages={"required": "请选择终止原因", "blank": "请选择终止原因"},
    )
    note = _text(500, "终止项目须填写说明")
    day = _date(help_text="终止日期，省略为今天")
    lock_version = lock_version_field()


class ReopenSerializer(serializers.Serializer):
    note = _text(500, "重新启动须说明原因")
    day = _date(help_text="重新启动日期，省略为今天")
    lock_version = lock_version_field()


class StageChangeSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True, help_text=codes(StageChange.Kind.choices))
    kind_display = DisplayField("kind")
    from_stage_name = serializers.CharField(
        source="from_stage.name", read_only=True, allow_null=True
    )
    to_stage_name = serializers.CharField(source="to_stage.name", read_only=True)
    event_name = serializers.CharField(source="event.name", read_only=True, allow_null=True)
    by_name = serializers.SerializerMethodField()

    class Meta:
        model = StageChange
        fields = [
            "id",
            "project",
            "kind",
            "kind_display",
            "from_stage",
            "from_stage_name",
            "to_stage",
            "to_stage_name",
            "date",
            "days_in_from",
            "note",
            "reason",
            "amount",
            "event",
            "event_name",
            "by",
            "by_name",
            "created_at",
        ]
        read_only_fields = fields

    def get_by_name(self, change: StageChange) -> str:
        return _name(change.by)


class BoardCardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    light = serializers.CharField(help_text=codes(Light.choices))
    owner = serializers.IntegerField(source="owner_id")
    owner_name = serializers.SerializerMethodField()
    enterprise_name = serializers.CharField(source="enterprise.name", allow_null=True)
    last_progress_on = serializers.DateField()
    idle_days = serializers.SerializerMethodField()

    def get_owner_name(self, project: Project) -> str:
        return _name(project.owner)

    def get_idle_days(self, project: Project) -> int:
        return services.idle_days(project)


class BoardColumnSerializer(serializers.Serializer):
    stage = serializers.IntegerField(source="stage.pk")
    stage_name = serializers.CharField(source="stage.name")
    order = serializers.IntegerField(source="stage.order")
    count = serializers.IntegerField(help_text="该阶段推进中的项目数")
    lights = serializers.DictField(
        child=serializers.IntegerField(), help_text="按灯色计数：green、yellow、red"
    )
    more = serializers.IntegerField(help_text="未列出的项目数")
    cards = BoardCardSerializer(many=True, help_text="停滞最久的项目在前")


class BoardSerializer(serializers.Serializer):
    programme = serializers.IntegerField(allow_null=True)
    programme_name = serializers.CharField(allow_null=True)
    columns = BoardColumnSerializer(many=True)


class FunnelRowSerializer(serializers.Serializer):
    stage = serializers.IntegerField(source="stage.pk")
    stage_name = serializers.CharField(source="stage.name")
    order = serializers.IntegerField(source="stage.order")
    reached = serializers.IntegerField(help_text="到达过该阶段的项目数")
    current = serializers.IntegerField(help_text="当前处于该阶段、推进中的项目数")
    terminated_here = serializers.IntegerField(help_text="在该阶段终止的项目数")
    conversion = serializers.FloatField(allow_null=True, help_text="到达下一阶段的比例（%）")
    median_days = serializers.FloatField(
        allow_null=True, help_text="推进到下一阶段前在该阶段停留天数的中位数"
    )
    moved_on = serializers.IntegerField(help_text="从该阶段向前推进的次数")


class FunnelSerializer(serializers.Serializer):
    programme = serializers.IntegerField(allow_null=True)
    programme_name = serializers.CharField(allow_null=True)
    stages = FunnelRowSerializer(many=True)


class ProjectFilter(django_filters.rest_framework.FilterSet):
    programme = IdFilter(field_name="programme_id", label="挂职项目 id")
    stage = IdFilter(field_name="stage_id", label="阶段 id")
    light = django_filters.rest_framework.ChoiceFilter(
        choices=Light.choices, method="with_light", label="红黄绿灯"
    )
    status = django_filters.rest_framework.ChoiceFilter(choices=Project.Status.choices)
    district = django_filters.rest_framework.CharFilter(label="拟落地区县")
    sector = django_filters.rest_framework.ChoiceFilter(choices=Sector.choices)
    batch = IdFilter(field_name="batch_id", label="批次 id")
    cadre = IdFilter(method="with_cadre", label="干部 id（线索发现人或记有贡献的干部）")
    owner = IdFilter(field_name="owner_id", label="责任人（用户 id）")
    enterprise = IdFilter(field_name="enterprise_id", label="企业 id")
    q = django_filters.rest_framework.CharFilter(method="search", label="项目名称、企业名称")

    class Meta:
        model = Project
        fields = [
            "programme",
            "stage",
            "light",
            "status",
            "district",
            "sector",
            "batch",
            "cadre",
            "owner",
            "enterprise",
            "q",
        ]

    def with_light(self, queryset, name, value):
        return queryset.filter(light=value) if value else queryset

    def with_cadre(self, queryset, name, value):
        if value is None:
            return queryset
        credited = Credit.objects.filter(cadre_id=value).values("project_id")
        return queryset.filter(Q(found_by_id=value) | Q(pk__in=credited))

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(enterprise__name__icontains=value))


FIGURE_PARAMETERS = [
    OpenApiParameter("programme", int, description="挂职项目 id；省略时为第一个进行中的挂职项目"),
    OpenApiParameter("batch", int, description="批次 id"),
    OpenApiParameter("district", str, description="拟落地区县"),
]


class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """合作项目（项目闭环）：从线索到投产，或附原因终止。能看到哪些项目、能管理哪些项目见
    projects/README.md；阶段推进、终止、重新启动须在能管理该项目时进行。"""

    queryset = Project.objects.none()  # the model for the schema; get_queryset() is the real one
    serializer_class = ProjectSerializer
    filterset_class = ProjectFilter

    def get_queryset(self):
        return (
            services.with_light(access.projects_for(self.request.user))
            .select_related(
                "programme",
                "batch",
                "enterprise",
                "unit",
                "owner",
                "stage",
                "found_by",
                "signed_event",
            )
            .order_by("-last_progress_on", "-pk")
        )

    def _fresh(self, project: Project, code: int = 200) -> Response:
        return Response(ProjectSerializer(self.get_queryset().get(pk=project.pk)).data, code)

    @extend_schema(
        request=ProjectWriteSerializer,
        responses={201: ProjectSerializer, 400: DETAIL_400},
    )
    def create(self, request):
        """登记项目线索：从第一个阶段开始，必须有责任人；线索发现人记“发现线索”贡献。"""
        if not access.can_add(request.user):
            raise ApiDenied("您的角色不能登记项目线索")
        data = ProjectWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        values.setdefault("planned_amount", 0)
        try:
            project = services.project_create(by=request.user, **values)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return self._fresh(project, status.HTTP_201_CREATED)

    @extend_schema(
        request=ProjectChangeSerializer,
        responses={200: ProjectSerializer, 400: DETAIL_400, 409: CONFLICT_409},
    )
    def partial_update(self, request, pk=None):
        """修改项目信息（阶段和佐证通过 move/ 变更）。带上读取时的 lock_version 可防止覆盖他人
        在此之后的修改：不符时返回 409，不写入。"""
        project = _project(request.user, pk, change=True)
        data = ProjectChangeSerializer(
            data=request.data,
            partial=True,
            project=project,
            context=self.get_serializer_context(),
        )
        data.is_valid(raise_exception=True)
        try:
            services.project_update(project=project, by=request.user, **data.validated_data)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return self._fresh(project)

    @extend_schema(
        request=MoveSerializer,
        responses={200: ProjectSerializer, 400: DETAIL_400, 409: CONFLICT_409},
    )
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """变更阶段：向前可跳过阶段，但须提供所进入各阶段要求的佐证（专班：牵头人；签约：
        签约日期和金额；落地：落地日期、到位资金和落地形式；投产：投产日期）；回退须说明原因。
        缺少或不合规的佐证按字段返回 400，不写入任何内容。"""
        project = _project(request.user, pk, change=True)
        data = MoveSerializer(
            data=request.data, project=project, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        to_stage = values.pop("to_stage")
        day = values.pop("day", None)
        note = values.pop("note", "")
        lock_version = values.pop("lock_version", None)
        try:
            services.stage_move(
                project=project,
                to_stage=to_stage,
                by=request.user,
                day=day,
                note=note,
                evidence=services.Evidence.of(values),
                lock_version=lock_version,
            )
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return self._fresh(project)

    @extend_schema(
        request=TerminateSerializer,
        responses={200: ProjectSerializer, 400: DETAIL_400, 409: CONFLICT_409},
    )
    @action(detail=True, methods=["post"])
    def terminate(self, request, pk=None):
        """终止项目：终止原因须从该挂职项目的原因列表中选择，并填写说明。"""
        project = _project(request.user, pk, change=True)
        data = TerminateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.project_terminate(project=project, by=request.user, **data.validated_data)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return self._fresh(project)

    @extend_schema(
        request=ReopenSerializer,
        responses={200: ProjectSerializer, 400: DETAIL_400, 409: CONFLICT_409},
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """重新启动已终止的项目：回到终止时所在的阶段。"""
        project = _project(request.user, pk, change=True)
        data = ReopenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.project_reopen(project=project, by=request.user, **data.validated_data)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return self._fresh(project)

    @extend_schema(responses={200: StageChangeSerializer(many=True)})
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def history(self, request, pk=None):
        """项目历史：登记、推进、回退、终止、重新启动，按日期排列。"""
        project = _project(request.user, pk)
        changes = (
            StageChange.objects.filter(project=project)
            .select_related("from_stage", "to_stage", "event", "by")
            .order_by("date", "pk")
        )
        return Response(StageChangeSerializer(changes, many=True).data)

    def _figures(self, request):
        """The programme and the projects in scope that the board and the funnel count."""
        user = request.user
        require_role(user, "projects.view_project", "您的角色不能查看合作项目")
        programmes = programme_access.programmes_for(user).order_by("-is_active", "pk")
        wanted = request.query_params.get("programme")
        if wanted:
            programme = programmes.filter(pk=wanted).first() if wanted.isdigit() else None
            if programme is None:
                raise Http404
        else:
            programme = programmes.first()
        qs = access.projects_for(user)
        batch = request.query_params.get("batch", "")
        if batch.isdigit():
            qs = qs.filter(batch_id=batch)
        district = request.query_params.get("district", "").strip()
        if district:
            qs = qs.filter(district=district)
        return programme, qs

    @extend_schema(parameters=FIGURE_PARAMETERS, responses={200: BoardSerializer})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def board(self, request):
        """看板：推进中的项目按阶段分列，每列的数量、各灯色数量和停滞最久的 12 个项目。"""
        programme, qs = self._figures(request)
        columns = services.board(qs, programme) if programme is not None else []
        body = {
            "programme": getattr(programme, "pk", None),
            "programme_name": getattr(programme, "name", None),
            "columns": columns,
        }
        return Response(BoardSerializer(body).data)

    @extend_schema(parameters=FIGURE_PARAMETERS, responses={200: FunnelSerializer})
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def funnel(self, request):
        """漏斗：每个阶段到达过的、当前的、在此终止的项目数，转化率和停留天数中位数。"""
        programme, qs = self._figures(request)
        rows = services.funnel(qs, programme) if programme is not None else []
        body = {
            "programme": getattr(programme, "pk", None),
            "programme_name": getattr(programme, "name", None),
            "stages": rows,
        }
        return Response(FunnelSerializer(body).data)


# --- what hangs on a project ---------------------------------------------------------------


def _project_field():
    return _related(Project.objects.none(), "请选择项目", "该项目不存在或不在您的范围内")


class ProjectFieldMixin:
    """Write serializers naming a project: only projects in the caller's scope."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "project" in self.fields:
            self.fields["project"].queryset = access.projects_for(request.user)


class TaskSerializer(serializers.ModelSerializer):
    project_title = serializers.CharField(source="project.title", read_only=True)
    owner_name = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True, help_text=codes(Task.Status.choices))
    status_display = DisplayField("status")
    overdue = serializers.SerializerMethodField(help_text="未完成且已过完成时限")

    class Meta:
        model = Task
        fields = [
            "id",
            "project",
            "project_title",
            "title",
            "owner",
            "owner_name",
            "deadline",
            "status",
            "status_display",
            "overdue",
            "done_on",
            "note",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    def get_owner_name(self, task: Task) -> str:
        return _name(task.owner)

    def get_overdue(self, task: Task) -> bool:
        return task.is_overdue(timezone.localdate())


class TaskWriteSerializer(ProjectFieldMixin, serializers.Serializer):
    project = _project_field()
    title = _text(120, "请填写任务内容")
    owner = _related(User.objects.none(), "请选择责任人", "该用户不存在或不能作为责任人")
    deadline = _date("请填写完成时限")
    note = _text(300)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["owner"].queryset = access.owners_for(request.user)


class TaskChangeSerializer(TaskWriteSerializer):
    project = None
    status = _choice(Task.Status.choices)


class TaskFilter(django_filters.rest_framework.FilterSet):
    project = IdFilter(field_name="project_id", label="项目 id")
    owner = IdFilter(field_name="owner_id", label="责任人（用户 id）")
    status = django_filters.rest_framework.ChoiceFilter(choices=Task.Status.choices)

    class Meta:
        model = Task
        fields = ["project", "owner", "status"]


class TaskViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """分工任务：能管理项目的人分派和修改；任务责任人本人更新状态和说明。"""

    serializer_class = TaskSerializer
    filterset_class = TaskFilter

    def get_queryset(self):
        return (
            access.tasks_for(self.request.user)
            .select_related("project", "owner")
            .order_by("deadline", "pk")
        )

    @extend_schema(request=TaskWriteSerializer, responses={201: TaskSerializer, 400: DETAIL_400})
    def create(self, request):
        """分派任务（须能管理该项目）。"""
        data = TaskWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        project = _changeable(request.user, values.pop("project"))
        try:
            task = services.task_create(project=project, by=request.user, **values)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return Response(TaskSerializer(task).data, status.HTTP_201_CREATED)

    @extend_schema(request=TaskChangeSerializer, responses={200: TaskSerializer, 400: DETAIL_400})
    def partial_update(self, request, pk=None):
        """更新任务：责任人本人可改状态和说明；能管理项目的人还可改内容、责任人和时限。"""
        user = request.user
        task = access.access_task(user, pk)
        if not access.can_update_task(user, task):
            raise ApiDenied(NOT_TASK_WORKER)
        data = TaskChangeSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        managed = {"title", "owner", "deadline"} & set(values)
        if managed and not access.can_change(user, task.project):
            raise ApiDenied(NOT_TASK_MANAGER)
        try:
            task = services.task_update(task=task, by=user, **values)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return Response(TaskSerializer(task).data)


class BlockerSerializer(serializers.ModelSerializer):
    project_title = serializers.CharField(source="project.title", read_only=True)
    owner_name = serializers.SerializerMethodField()
    raised_by_name = serializers.SerializerMethodField()
    status = serializers.CharField(read_only=True, help_text=codes(Blocker.Status.choices))
    status_display = DisplayField("status")
    overdue = serializers.SerializerMethodField(help_text="未解决且已过解决时限")
    response_hours = serializers.FloatField(
        read_only=True, allow_null=True, help_text="从提出到首次响应的小时数"
    )
    resolution_days = serializers.FloatField(
        read_only=True, allow_null=True, help_text="从提出到解决的天数"
    )

    class Meta:
        model = Blocker
        fields = [
            "id",
            "project",
            "project_title",
            "title",
            "detail",
            "owner",
            "owner_name",
            "deadline",
            "status",
            "status_display",
            "overdue",
            "raised_by",
            "raised_by_name",
            "raised_at",
            "responded_at",
            "responded_by",
            "response_note",
            "response_hours",
            "escalated_at",
            "escalated_by",
            "escalation_note",
            "resolved_at",
            "resolved_by",
            "resolution",
            "resolution_days",
        ]
        read_only_fields = fields

    def get_owner_name(self, blocker: Blocker) -> str:
        return _name(blocker.owner)

    def get_raised_by_name(self, blocker: Blocker) -> str:
        return _name(blocker.raised_by)

    def get_overdue(self, blocker: Blocker) -> bool:
        return blocker.is_overdue(timezone.localdate())


class BlockerWriteSerializer(ProjectFieldMixin, serializers.Serializer):
    project = _project_field()
    title = _text(120, "请填写问题")
    detail = _text(2000)
    owner = _related(User.objects.none(), "请选择责任人", "该用户不存在或不能作为责任人")
    deadline = _date(help_text="解决时限；省略时按该挂职项目规则的默认天数")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["owner"].queryset = access.owners_for(request.user)


class BlockerNoteSerializer(serializers.Serializer):
    note = _text(500, "请填写说明")


class BlockerResolveSerializer(serializers.Serializer):
    resolution = _text(2000, "解决问题须填写解决情况")


class BlockerFilter(django_filters.rest_framework.FilterSet):
    project = IdFilter(field_name="project_id", label="项目 id")
    owner = IdFilter(field_name="owner_id", label="责任人（用户 id）")
    status = django_filters.rest_framework.ChoiceFilter(choices=Blocker.Status.choices)
    escalated = django_filters.rest_framework.BooleanFilter(
        field_name="escalated_at", lookup_expr="isnull", exclude=True, label="提交过绿色通道"
    )

    class Meta:
        model = Blocker
        fields = ["project", "owner", "status", "escalated"]


class BlockerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """问题清单：能管理项目的人提出问题；问题责任人或能管理项目的人受理、解决；能管理项目的人
    提交绿色通道。?escalated=true 为绿色通道问题。"""

    serializer_class = BlockerSerializer
    filterset_class = BlockerFilter

    def get_queryset(self):
        return (
            access.blockers_for(self.request.user)
            .select_related("project", "owner", "raised_by")
            .order_by("deadline", "pk")
        )

    def _fresh(self, blocker: Blocker, code: int = 200) -> Response:
        return Response(BlockerSerializer(self.get_queryset().get(pk=blocker.pk)).data, code)

    @extend_schema(
        request=BlockerWriteSerializer, responses={201: BlockerSerializer, 400: DETAIL_400}
    )
    def create(self, request):
        """提出问题（须能管理该项目）。"""
        data = BlockerWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        project = _changeable(request.user, values.pop("project"))
        try:
            blocker = services.blocker_raise(project=project, by=request.user, **values)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return self._fresh(blocker, status.HTTP_201_CREATED)

    def _work(self, pk, *, escalate: bool = False) -> Blocker:
        user = self.request.user
        blocker = access.access_blocker(user, pk)
        if escalate:
            _changeable(user, blocker.project)
        elif not access.can_work_blocker(user, blocker):
            raise ApiDenied(NOT_BLOCKER_WORKER)
        return blocker

    @extend_schema(
        request=BlockerNoteSerializer, responses={200: BlockerSerializer, 400: DETAIL_400}
    )
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        """受理问题（首次响应计时）。"""
        blocker = self._work(pk)
        data = BlockerNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.blocker_respond(blocker=blocker, by=request.user, **data.validated_data)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return self._fresh(blocker)

    @extend_schema(
        request=BlockerNoteSerializer, responses={200: BlockerSerializer, 400: DETAIL_400}
    )
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """提交绿色通道（须能管理该项目，说明理由）。"""
        blocker = self._work(pk, escalate=True)
        data = BlockerNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.blocker_escalate(blocker=blocker, by=request.user, **data.validated_data)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return self._fresh(blocker)

    @extend_schema(
        request=BlockerResolveSerializer, responses={200: BlockerSerializer, 400: DETAIL_400}
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """解决问题（填写解决情况）。"""
        blocker = self._work(pk)
        data = BlockerResolveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            services.blocker_resolve(blocker=blocker, by=request.user, **data.validated_data)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return self._fresh(blocker)


class MemberSerializer(serializers.ModelSerializer):
    role = serializers.CharField(read_only=True, help_text=codes(TaskForceMember.Role.choices))
    role_display = DisplayField("role")
    cadre_name = serializers.CharField(source="cadre.name", read_only=True, allow_null=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True, allow_null=True)

    class Meta:
        model = TaskForceMember
        fields = [
            "id",
            "project",
            "role",
            "role_display",
            "cadre",
            "cadre_name",
            "unit",
            "unit_name",
            "contact",
            "note",
            "added_at",
        ]
        read_only_fields = fields


class MemberWriteSerializer(ProjectFieldMixin, serializers.Serializer):
    project = _project_field()
    role = _choice(TaskForceMember.Role.choices, "请选择专班职责")
    cadre = _related(
        Cadre.objects.none(),
        "请选择干部",
        "该干部不存在或不在您的范围内",
        required=False,
        allow_null=True,
        help_text="干部 id；与 unit 二选一",
    )
    unit = _related(
        OrgUnit.objects.none(),
        "请选择单位",
        "该单位不存在或不在您的范围内",
        required=False,
        allow_null=True,
        help_text="单位 id；与 cadre 二选一",
    )
    contact = _text(30, help_text="单位联系人")
    note = _text(200, help_text="分工说明")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["cadre"].queryset = access.cadres_for(request.user)
            self.fields["unit"].queryset = core_units_for(request.user)


class ProjectIdFilter(django_filters.rest_framework.FilterSet):
    project = IdFilter(field_name="project_id", label="项目 id")


class MemberFilter(ProjectIdFilter):
    class Meta:
        model = TaskForceMember
        fields = ["project"]


class MemberViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """工作专班成员（干部或单位，牵头/联络/服务保障）：须能管理该项目才能加入、移出；
    项目进入专班阶段后不能移出最后一名牵头人。"""

    serializer_class = MemberSerializer
    filterset_class = MemberFilter

    def get_queryset(self):
        return (
            access.members_for(self.request.user)
            .select_related("cadre", "unit")
            .order_by("project_id", "role", "pk")
        )

    @extend_schema(
        request=MemberWriteSerializer, responses={201: MemberSerializer, 400: DETAIL_400}
    )
    def create(self, request):
        """加入工作专班。"""
        data = MemberWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        project = _changeable(request.user, values.pop("project"))
        try:
            member = services.member_add(project=project, by=request.user, **values)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return Response(MemberSerializer(member).data, status.HTTP_201_CREATED)

    @extend_schema(responses={204: None, 400: DETAIL_400})
    def destroy(self, request, pk=None):
        """移出工作专班。"""
        member = (
            access.members_for(request.user)
            .select_related("project__unit", "project__stage")
            .filter(pk=pk)
            .first()
        )
        if member is None:
            raise Http404
        _changeable(request.user, member.project)
        try:
            services.member_remove(member=member, by=request.user)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return Response(status=status.HTTP_204_NO_CONTENT)


class CreditSerializer(serializers.ModelSerializer):
    project_title = serializers.CharField(source="project.title", read_only=True)
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    role = serializers.CharField(read_only=True, help_text=codes(Credit.Role.choices))
    role_display = DisplayField("role")

    class Meta:
        model = Credit
        fields = [
            "id",
            "project",
            "project_title",
            "cadre",
            "cadre_name",
            "role",
            "role_display",
            "note",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields


class CreditWriteSerializer(ProjectFieldMixin, serializers.Serializer):
    project = _project_field()
    cadre = _related(Cadre.objects.none(), "请选择干部", "该干部不存在或不在您的范围内")
    role = _choice(Credit.Role.choices, "请选择贡献类型")
    note = _text(200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["cadre"].queryset = access.cadres_for(request.user)


class CreditFilter(ProjectIdFilter):
    cadre = IdFilter(field_name="cadre_id", label="干部 id")

    class Meta:
        model = Credit
        fields = ["project", "cadre"]


class CreditViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """项目贡献（发现线索、牵头推动、协助推进）：考核据此统计；须能管理该项目才能记入、删除。"""

    serializer_class = CreditSerializer
    filterset_class = CreditFilter

    def get_queryset(self):
        return (
            access.credits_for(self.request.user)
            .select_related("project", "cadre")
            .order_by("project_id", "role", "pk")
        )

    @extend_schema(
        request=CreditWriteSerializer, responses={201: CreditSerializer, 400: DETAIL_400}
    )
    def create(self, request):
        """记入贡献。"""
        data = CreditWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        project = _changeable(request.user, values.pop("project"))
        try:
            credit = services.credit_add(project=project, by=request.user, **values)
        except services.ProjectError as exc:
            raise refused(exc) from exc
        return Response(
            CreditSerializer(self.get_queryset().get(pk=credit.pk)).data, status.HTTP_201_CREATED
        )

    @extend_schema(responses={204: None})
    def destroy(self, request, pk=None):
        """删除贡献记录。"""
        credit = (
            access.credits_for(request.user).select_related("project__unit").filter(pk=pk).first()
        )
        if credit is None:
            raise Http404
        _changeable(request.user, credit.project)
        services.credit_remove(credit=credit, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class UpdateSerializer(serializers.ModelSerializer):
    by_name = serializers.SerializerMethodField()

    class Meta:
        model = ProjectUpdate
        fields = ["id", "project", "date", "content", "by", "by_name", "created_at"]
        read_only_fields = fields

    def get_by_name(self, update: ProjectUpdate) -> str:
        return _name(update.by)


class UpdateWriteSerializer(ProjectFieldMixin, serializers.Serializer):
    project = _project_field()
    date = _date(help_text="跟进日期，省略为今天；不晚于今天")
    content = _text(2000, "请填写跟进情况")


class UpdateFilter(ProjectIdFilter):
    class Meta:
        model = ProjectUpdate
        fields = ["project"]


class UpdateViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """跟进记录：记一笔即算一次进展（红黄绿灯据此重新计时）；须能管理该项目。"""

    serializer_class = UpdateSerializer
    filterset_class = UpdateFilter

    def get_queryset(self):
        return (
            ProjectUpdate.objects.filter(project__in=access.projects_for(self.request.user))
            .select_related("by")
            .order_by("-date", "-pk")
        )

    @extend_schema(
        request=UpdateWriteSerializer, responses={201: UpdateSerializer, 400: DETAIL_400}
    )
    def create(self, request):
        """写跟进记录。"""
        data = UpdateWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        project = _changeable(request.user, values["project"])
        day = values.get("date") or timezone.localdate()
        try:
            update = services.update_add(
                project=project, by=request.user, day=day, content=values["content"]
            )
        except services.ProjectError as exc:
            raise refused(exc, {"day": "date"}) from exc
        return Response(UpdateSerializer(update).data, status.HTTP_201_CREATED)


# --- events ------------------------------------------------------------------------------------


class SignedProjectSerializer(serializers.ModelSerializer):
    stage_name = serializers.CharField(source="stage.name", read_only=True)

    class Meta:
        model = Project
        fields = ["id", "title", "stage", "stage_name", "signed_on", "signed_amount"]
        read_only_fields = fields


class EventSerializer(serializers.ModelSerializer):
    programme_name = serializers.CharField(source="programme.name", read_only=True)
    kind = serializers.CharField(read_only=True, help_text=codes(Event.Kind.choices))
    kind_display = DisplayField("kind")
    signed_projects = serializers.SerializerMethodField(
        help_text="在该活动上签约、且在您范围内的项目"
    )

    class Meta:
        model = Event
        fields = [
            "id",
            "programme",
            "programme_name",
            "name",
            "kind",
            "kind_display",
            "date",
            "place",
            "note",
            "signed_projects",
            "created_by",
            "created_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SignedProjectSerializer(many=True))
    def get_signed_projects(self, event: Event):
        return SignedProjectSerializer(getattr(event, "visible_signed", []), many=True).data


class EventWriteSerializer(serializers.Serializer):
    programme = _related(
        Programme.objects.none(), "请选择挂职项目", "该挂职项目不存在或不在您的范围内"
    )
    name = _text(100, "请填写活动名称")
    kind = _choice(Event.Kind.choices, "请选择活动类型")
    date = _date("请填写日期")
    place = _text(100)
    note = _text(2000)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["programme"].queryset = programme_access.programmes_for(request.user)


class EventFilter(django_filters.rest_framework.FilterSet):
    programme = IdFilter(field_name="programme_id", label="挂职项目 id")
    kind = django_filters.rest_framework.ChoiceFilter(choices=Event.Kind.choices)

    class Meta:
        model = Event
        fields = ["programme", "kind"]


class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """活动（峰会、签约仪式、招商推介会、考察对接）：有查看权限的用户共享；登记需
    projects.add_event，修改需 projects.change_event。签约项目只列出您范围内的。"""

    serializer_class = EventSerializer
    filterset_class = EventFilter

    def get_queryset(self):
        user = self.request.user
        signed = access.projects_for(user).select_related("stage").order_by("signed_on", "pk")
        return (
            access.events_for(user)
            .select_related("programme")
            .prefetch_related(
                Prefetch("signed_projects", queryset=signed, to_attr="visible_signed")
            )
            .order_by("-date", "-pk")
        )

    def _fresh(self, event: Event, code: int = 200) -> Response:
        return Response(EventSerializer(self.get_queryset().get(pk=event.pk)).data, code)

    def _save(self, values: dict, event: Event | None) -> Event:
        def value(name, default=""):
            return values[name] if name in values else getattr(event, name, default)

        try:
            return services.event_save(
                by=self.request.user,
                programme=value("programme"),
                name=value("name"),
                kind=value("kind"),
                day=value("date"),
                place=value("place"),
                note=value("note"),
                event=event,
            )
        except services.ProjectError as exc:
            raise refused(exc, {"day": "date"}) from exc

    @extend_schema(request=EventWriteSerializer, responses={201: EventSerializer, 400: DETAIL_400})
    def create(self, request):
        """登记活动。"""
        require_role(request.user, "projects.add_event", "您的角色不能登记活动")
        data = EventWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        return self._fresh(self._save(data.validated_data, None), status.HTTP_201_CREATED)

    @extend_schema(request=EventWriteSerializer, responses={200: EventSerializer, 400: DETAIL_400})
    def partial_update(self, request, pk=None):
        """修改活动（已有项目在活动上签约的，不能再改日期）。"""
        event = access.access_event(request.user, pk)
        require_role(request.user, "projects.change_event", "您的角色不能修改活动")
        data = EventWriteSerializer(
            data=request.data, partial=True, context=self.get_serializer_context()
        )
        data.is_valid(raise_exception=True)
        return self._fresh(self._save(data.validated_data, event))
