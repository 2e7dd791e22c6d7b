"""/api/v1/career-events/ (提拔, 重用, 交流, 评先评优: read in scope, added and changed by the
sending side's organisation departments) and /api/v1/returns/ (return records with their
follow-up evaluations, read-only).

Both belong to the cadre's home unit (access.py); a cadre reads his own. Outside the scope →
404; visible but not allowed → 403; a refused value is a 400 naming its field, another refusal
a 400 with {"detail": message}.
"""

from __future__ import annotations

import django_filters
from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied as ApiDenied
from rest_framework.response import Response

from guazhi.cadres.models import Cadre
from guazhi.core.access import scope_for
from guazhi.core.apifields import DETAIL_400, DisplayField, IdFilter, Refused, codes
from guazhi.programmes.models import Placement

from . import access, services
from .models import CareerEvent, FollowUp, ReturnRecord

# --- career events -------------------------------------------------------------------------


class CareerEventSerializer(serializers.ModelSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    unit_name = serializers.CharField(source="cadre.unit.name", read_only=True)
    kind = serializers.CharField(read_only=True, help_text=codes(CareerEvent.Kind.choices))
    kind_display = DisplayField("kind")
    batch_label = serializers.CharField(
        source="placement.batch.label", read_only=True, allow_null=True
    )
    programme_name = serializers.CharField(
        source="placement.batch.programme.name", read_only=True, allow_null=True
    )
    created_by_name = serializers.CharField(source="created_by.full_name", read_only=True)

    class Meta:
        model = CareerEvent
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "unit_name",
            "placement",
            "batch_label",
            "programme_name",
            "kind",
            "kind_display",
            "date",
            "description",
            "document_number",
            "created_by",
            "created_by_name",
            "created_at",
        ]
        read_only_fields = fields


class CareerEventWriteSerializer(serializers.Serializer):
    cadre = serializers.PrimaryKeyRelatedField(
        queryset=Cadre.objects.none(),
        help_text="干部 id（创建后不能更改）",
        error_messages={
            "does_not_exist": "该干部不存在或不在您的范围内",
            "required": "请选择干部",
        },
    )
    kind = serializers.ChoiceField(
        choices=CareerEvent.Kind.choices,
        help_text="promoted 提拔、reused 重用、transferred 交流、honoured 评先评优",
        error_messages={"invalid_choice": "请选择类型", "required": "请选择类型"},
    )
    date = serializers.DateField(error_messages={"required": "请填写日期"})
    description = serializers.CharField(
        max_length=200,
        help_text="如：提拔为某局副局长",
        error_messages={"required": "请填写内容", "blank": "请填写内容"},
    )
    document_number = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default="", help_text="提拔、重用须填写"
    )
    placement = serializers.PrimaryKeyRelatedField(
        queryset=Placement.objects.none(),
        required=False,
        allow_null=True,
        default=None,
        help_text="该事件所跟踪的那次挂职；省略时为该干部最近一次已结束的挂职",
        error_messages={"does_not_exist": "所选挂职经历不存在或不在您的范围内"},
    )

    def __init__(self, *args, perm: str = "returns.add_careerevent", **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["cadre"].queryset = access.cadres_for(request.user, perm)
            self.fields["placement"].queryset = access.placements_for(request.user)

    def validate(self, attrs):
        event = self.context.get("event")
        if event is not None and "cadre" in attrs and attrs["cadre"].pk != event.cadre_id:
            raise serializers.ValidationError({"cadre": ["职业发展记录登记后不能改到其他干部"]})
        cadre_id = attrs["cadre"].pk if "cadre" in attrs else getattr(event, "cadre_id", None)
        kind = attrs.get("kind", getattr(event, "kind", None))
        number = attrs.get("document_number", getattr(event, "document_number", ""))
        errors = {}
        if kind in CareerEvent.OUTCOME_KINDS and not number.strip():
            errors["document_number"] = ["提拔、重用须填写文号"]
        placement = attrs.get("placement")
        if placement is not None and placement.cadre_id != cadre_id:
            errors["placement"] = ["所选挂职经历不是该干部的"]
        day = attrs.get("date")
        if day is not None and day > timezone.localdate():
            errors["date"] = ["日期不能晚于今天"]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class CareerEventFilter(django_filters.rest_framework.FilterSet):
    cadre = IdFilter(field_name="cadre_id", label="干部 id")
    kind = django_filters.rest_framework.ChoiceFilter(choices=CareerEvent.Kind.choices)
    placement = IdFilter(field_name="placement_id", label="任职记录 id")

    class Meta:
        model = CareerEvent
        fields = ["cadre", "kind", "placement"]


class CareerEventViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """职业发展（提拔、重用、交流、评先评优）：属于干部的原单位一方，在范围内可读；登记和修改
    限有相应权限且范围覆盖该干部的用户（区委、市委组织部）。提拔、重用须填写文号。"""

    serializer_class = CareerEventSerializer
    filterset_class = CareerEventFilter

    def get_queryset(self):
        return (
            access.events_for(self.request.user)
            .select_related("cadre__unit", "placement__batch__programme", "created_by")
            .order_by("-date", "-pk")
        )

    def _detail(self, event: CareerEvent, code: int = 200) -> Response:
        return Response(CareerEventSerializer(self.get_queryset().get(pk=event.pk)).data, code)

    def _save(self, data: dict, event: CareerEvent | None) -> CareerEvent:
        def value(name, default=None):
            return data[name] if name in data else getattr(event, name, default)

        try:
            return services.career_event_save(
                by=self.request.user,
                cadre=value("cadre"),
                kind=value("kind"),
                on=value("date"),
                description=value("description"),
                document_number=value("document_number", ""),
                placement=value("placement"),
                event=event,
            )
        except services.ReturnError as exc:
            raise Refused(str(exc)) from exc

    @extend_schema(
        request=CareerEventWriteSerializer,
        responses={201: CareerEventSerializer, 400: DETAIL_400},
    )
    def create(self, request, *args, **kwargs):
        """登记职业发展情况（范围内的干部）。"""
        if scope_for(request.user, "returns.add_careerevent").is_none:
            raise ApiDenied("您的角色不能登记职业发展情况")
        data = CareerEventWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        event = self._save(data.validated_data, None)
        return self._detail(event, status.HTTP_201_CREATED)

    def _change(self, request, pk, partial: bool) -> Response:
        event = access.access_event(request.user, pk, "returns.change_careerevent")
        context = {**self.get_serializer_context(), "event": event}
        data = CareerEventWriteSerializer(
            data=request.data,
            partial=partial,
            context=context,
            perm="returns.change_careerevent",
        )
        data.fields["cadre"].required = False
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        if not partial and "placement" not in request.data:
            values.pop("placement", None)  # keep the placement it follows unless given
        event = self._save(values, event)
        return self._detail(event)

    @extend_schema(
        request=CareerEventWriteSerializer,
        responses={200: CareerEventSerializer, 400: DETAIL_400},
    )
    def update(self, request, pk=None):
        """修改职业发展情况（范围内的干部；干部不能更改）。"""
        return self._change(request, pk, partial=False)

    @extend_schema(
        request=CareerEventWriteSerializer,
        responses={200: CareerEventSerializer, 400: DETAIL_400},
    )
    def partial_update(self, request, pk=None):
        """修改职业发展情况的部分内容。"""
        return self._change(request, pk, partial=True)


# --- return records ------------------------------------------------------------------------


class FollowUpSerializer(serializers.ModelSerializer):
    # A plain string: empty until the follow-up is evaluated (as an enum the schema had no "").
    result = serializers.CharField(
        read_only=True, help_text=codes(FollowUp.Result.choices) + "；空：尚未评价"
    )
    result_display = DisplayField("result")
    evaluated_by_name = serializers.CharField(
        source="evaluated_by.full_name", read_only=True, allow_null=True
    )

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "months",
            "due_on",
            "done_on",
            "result",
            "result_display",
            "evaluation",
            "evaluated_by",
            "evaluated_by_name",
        ]
        read_only_fields = fields


class ReturnRecordSerializer(serializers.ModelSerializer):
    cadre = serializers.IntegerField(source="placement.cadre_id", read_only=True)
    cadre_name = serializers.CharField(source="placement.cadre.name", read_only=True)
    unit_name = serializers.CharField(source="placement.cadre.unit.name", read_only=True)
    batch = serializers.IntegerField(source="placement.batch_id", read_only=True)
    batch_label = serializers.CharField(source="placement.batch.label", read_only=True)
    programme_name = serializers.CharField(source="placement.batch.programme.name", read_only=True)
    post_title = serializers.CharField(source="placement.post.title", read_only=True)
    host_unit_name = serializers.CharField(source="placement.host_unit.name", read_only=True)
    follow_ups = FollowUpSerializer(many=True, read_only=True)

    class Meta:
        model = ReturnRecord
        fields = [
            "id",
            "placement",
            "cadre",
            "cadre_name",
            "unit_name",
            "batch",
            "batch_label",
            "programme_name",
            "post_title",
            "host_unit_name",
            "returned_on",
            "home_post",
            "tasks",
            "platforms",
            "created_at",
            "follow_ups",
        ]
        read_only_fields = fields


class ReturnRecordFilter(django_filters.rest_framework.FilterSet):
    cadre = IdFilter(field_name="placement__cadre_id", label="干部 id")
    batch = IdFilter(field_name="placement__batch_id", label="批次 id")

    class Meta:
        model = ReturnRecord
        fields = ["cadre", "batch"]


class ReturnRecordViewSet(viewsets.ReadOnlyModelViewSet):
    """返岗记录（只读）：返岗日期、返岗后职务、交任务、搭平台，以及各次跟踪评价。
    属于干部的原单位一方，在范围内可读；干部本人可读自己的。"""

    serializer_class = ReturnRecordSerializer
    filterset_class = ReturnRecordFilter

    def get_queryset(self):
        user = self.request.user
        follow_ups = access.follow_ups_for(user).select_related("evaluated_by").order_by("due_on")
        return (
            access.returns_for(user)
            .select_related(
                "placement__cadre__unit",
                "placement__batch__programme",
                "placement__post",
                "placement__host_unit",
            )
            .prefetch_related(Prefetch("follow_ups", queryset=follow_ups))
            .order_by("-returned_on", "-pk")
        )
