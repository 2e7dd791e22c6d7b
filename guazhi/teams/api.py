"""/api/v1/teams/ (read-only), /api/v1/meetings/ (recorded by the team's leader and deputies
with every expected attendee's attendance) and /api/v1/pairings/ (set up by the team's leader
and deputies; check-ins written by the pair's members).

Every queryset comes from access.py; every change goes through services.py. Outside the scope
→ 404; visible but not allowed → 403 with a Chinese reason; a refused workflow action is a 400
with {"detail": message}, a refused value a 400 naming its field.
"""

from __future__ import annotations

from datetime import date

import django_filters
from django.db.models import Count, Max, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiDenied
from rest_framework.response import Response

from guazhi.cadres.models import Cadre
from guazhi.core.apifields import DETAIL_400, DisplayField, Refused, codes
from guazhi.programmes.models import Placement

from . import access, services
from .models import (
    Attachment,
    Attendance,
    CheckIn,
    Meeting,
    MeetingType,
    Pairing,
    PartyBranch,
    WorkTeam,
    is_party_member,
)


def _teams_filter_queryset(request):
    return access.teams_for(getattr(request, "user", None))


# --- teams ---------------------------------------------------------------------------------


class PersonSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(source="full_name", read_only=True)


class CadreBriefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


class BranchSerializer(serializers.ModelSerializer):
    secretary = CadreBriefSerializer(read_only=True, allow_null=True)
    committee = CadreBriefSerializer(many=True, read_only=True)

    class Meta:
        model = PartyBranch
        fields = ["id", "name", "founded_on", "secretary", "committee"]
        read_only_fields = fields


class TeamMemberSerializer(serializers.Serializer):
    """A member cadre, read from his placement in the team's batch."""

    cadre = serializers.IntegerField(source="cadre_id", read_only=True)
    name = serializers.CharField(source="cadre.name", read_only=True)
    unit_name = serializers.CharField(source="cadre.unit.name", read_only=True)
    party_member = serializers.SerializerMethodField()
    placement = serializers.IntegerField(source="pk", read_only=True)
    post = serializers.IntegerField(source="post_id", read_only=True)
    post_title = serializers.CharField(source="post.title", read_only=True)
    host_unit_name = serializers.CharField(source="host_unit.name", read_only=True)
    status = serializers.CharField(read_only=True)
    status_display = DisplayField("status")

    def get_party_member(self, placement: Placement) -> bool:
        return is_party_member(placement.cadre)


class TeamSerializer(serializers.ModelSerializer):
    batch_label = serializers.CharField(source="batch.label", read_only=True)
    programme = serializers.IntegerField(source="batch.programme_id", read_only=True)
    programme_name = serializers.CharField(source="batch.programme.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    leader = PersonSerializer(read_only=True)
    deputies = PersonSerializer(many=True, read_only=True)
    branch = BranchSerializer(
        read_only=True, allow_null=True, help_text="临时党支部；未成立为 null"
    )
    members = TeamMemberSerializer(
        source="batch.member_placements",
        many=True,
        read_only=True,
        help_text="工作队成员：本批次的选派干部及其岗位",
    )

    class Meta:
        model = WorkTeam
        fields = [
            "id",
            "name",
            "batch",
            "batch_label",
            "programme",
            "programme_name",
            "unit",
            "unit_name",
            "leader",
            "deputies",
            "branch",
            "members",
        ]
        read_only_fields = fields


class TeamViewSet(viewsets.ReadOnlyModelViewSet):
    """工作队（只读）：批次、名称、所属单位、队长与副队长、临时党支部（书记、支委委员）和
    成员（本批次的选派干部及其岗位）。队长、副队长、本队干部以及范围覆盖工作队单位的用户可见。"""

    serializer_class = TeamSerializer
    filterset_fields = ["batch"]

    def get_queryset(self):
        members = Placement.objects.select_related("cadre__unit", "post", "host_unit").order_by(
            "cadre__name", "pk"
        )
        return (
            access.teams_for(self.request.user)
            .select_related("batch__programme", "unit", "leader", "branch__secretary")
            .prefetch_related(
                "deputies",
                "branch__committee",
                Prefetch("batch__placements", queryset=members, to_attr="member_placements"),
            )
            .order_by("-batch__start", "pk")
        )


# --- meetings ------------------------------------------------------------------------------


class AttendanceSerializer(serializers.ModelSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)

    class Meta:
        model = Attendance
        fields = ["cadre", "cadre_name", "present", "absence_reason"]
        read_only_fields = fields


class AttachmentSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField(
        help_text="下载地址（网页登录后在范围内可下载；API 不返回文件内容）"
    )

    class Meta:
        model = Attachment
        fields = ["id", "name", "content_type", "size", "uploaded_at", "download_url"]
        read_only_fields = fields

    def get_download_url(self, attachment: Attachment) -> str:
        url = reverse("teams:attachment", args=[attachment.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class MeetingSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    kind = serializers.CharField(read_only=True, help_text=codes(MeetingType.choices))
    kind_display = DisplayField("kind")
    is_party = serializers.BooleanField(read_only=True, help_text="是否为三会一课（党组织会议）")
    n_expected = serializers.IntegerField(read_only=True, help_text="应到人数")
    n_present = serializers.IntegerField(read_only=True, help_text="实到人数")
    n_attachments = serializers.IntegerField(read_only=True, help_text="附件数")
    created_by_name = serializers.CharField(source="created_by.full_name", read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "team",
            "team_name",
            "kind",
            "kind_display",
            "is_party",
            "date",
            "place",
            "topic",
            "host",
            "n_expected",
            "n_present",
            "n_attachments",
            "created_by",
            "created_by_name",
            "created_at",
        ]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingSerializer):
    attendance = AttendanceSerializer(many=True, read_only=True)
    attachments = AttachmentSerializer(many=True, read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "minutes", "attendance", "attachments"]
        read_only_fields = fields


class MarkSerializer(serializers.Serializer):
    cadre = serializers.IntegerField(help_text="干部 id", error_messages={"required": "请填写干部"})
    present = serializers.BooleanField(
        help_text="true 出席，false 缺席（须填写原因）",
        error_messages={"required": "请登记出席情况"},
    )
    absence_reason = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default=""
    )


class MeetingWriteSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(
        queryset=WorkTeam.objects.none(),
        help_text="工作队 id（创建后不能更改）",
        error_messages={
            "does_not_exist": "工作队不存在或不在您的范围内",
            "required": "请选择工作队",
        },
    )
    kind = serializers.ChoiceField(
        choices=MeetingType.choices,
        error_messages={"invalid_choice": "未知的会议类型", "required": "请选择会议类型"},
    )
    date = serializers.DateField(error_messages={"required": "请填写日期"})
    place = serializers.CharField(
        max_length=100, error_messages={"required": "请填写地点", "blank": "请填写地点"}
    )
    topic = serializers.CharField(
        max_length=200, error_messages={"required": "请填写主题", "blank": "请填写主题"}
    )
    host = serializers.CharField(
        max_length=30, error_messages={"required": "请填写主持人", "blank": "请填写主持人"}
    )
    minutes = serializers.CharField(max_length=20000, required=False, allow_blank=True, default="")
    attendance = MarkSerializer(
        many=True,
        required=False,
        help_text="已召开的会议须登记每位应到人员（三会一课为本队党员，其他为当日在岗干部）；"
        "计划中的会议（日期晚于今天）不登记出席",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["team"].queryset = access.teams_for(request.user)

    def validate(self, attrs):
        meeting = self.context.get("meeting")
        if meeting is not None and "team" in attrs and attrs["team"].pk != meeting.team_id:
            raise serializers.ValidationError({"team": ["会议登记后不能改到其他工作队"]})
        team = attrs.get("team") or (meeting.team if meeting is not None else None)
        if team is not None and "attendance" in attrs:
            errors = attendance_errors(team, attrs["attendance"])
            if errors:
                raise serializers.ValidationError({"attendance": errors})
        return attrs


def attendance_errors(team: WorkTeam, rows: list[dict]) -> list[str]:
    """The attendance as submitted, checked row by row with the cadre named: a team member,
    once, and a reason when absent. Whether he is expected at this meeting is the service's."""
    names = dict(team.members().values_list("pk", "name"))
    errors, seen = [], set()
    for row in rows:
        cadre_id = row["cadre"]
        name = names.get(cadre_id)
        if name is None:
            errors.append(f"干部 {cadre_id} 不是本工作队的成员")
            continue
        if cadre_id in seen:
            errors.append(f"{name} 的出席情况重复登记")
            continue
        seen.add(cadre_id)
        if not row["present"] and not row["absence_reason"].strip():
            errors.append(f"{name} 缺席，请填写缺席原因")
    return errors


class MeetingFilter(django_filters.rest_framework.FilterSet):
    team = django_filters.rest_framework.ModelChoiceFilter(queryset=_teams_filter_queryset)
    kind = django_filters.rest_framework.ChoiceFilter(choices=MeetingType.choices)
    date_from = django_filters.rest_framework.DateFilter(
        field_name="date", lookup_expr="gte", label="起始日期（含）"
    )
    date_to = django_filters.rest_framework.DateFilter(
        field_name="date", lookup_expr="lte", label="截止日期（含）"
    )

    class Meta:
        model = Meeting
        fields = ["team", "kind", "date_from", "date_to"]


class MeetingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """会议活动（三会一课、学习研讨、调研）：工作队可见范围内可读，详情含出席情况和附件
    （附件只给名称和下载地址）；登记和修改限本队队长、副队长，须登记每位应到人员的出席情况，
    缺席须填写原因。"""

    serializer_class = MeetingSerializer
    filterset_class = MeetingFilter

    def get_queryset(self):
        qs = (
            access.meetings_for(self.request.user)
            .select_related("team", "created_by")
            .annotate(
                n_expected=Count("attendance", distinct=True),
                n_present=Count("attendance", filter=Q(attendance__present=True), distinct=True),
                n_attachments=Count("attachments", distinct=True),
            )
            .order_by("-date", "-pk")
        )
        if self.action != "list":
            qs = qs.prefetch_related(
                Prefetch(
                    "attendance",
                    queryset=Attendance.objects.select_related("cadre").order_by(
                        "cadre__name", "pk"
                    ),
                ),
                Prefetch("attachments", queryset=Attachment.objects.order_by("uploaded_at", "pk")),
            )
        return qs

    def get_serializer_class(self):
        if self.action == "list":
            return MeetingSerializer
        return MeetingDetailSerializer

    def _detail(self, meeting: Meeting, code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=meeting.pk)
        data = MeetingDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=code)

    def _save(self, data: dict, team: WorkTeam, meeting: Meeting | None) -> Meeting:
        if "attendance" in data:
            marks = {
                row["cadre"]: services.Mark(row["present"], row["absence_reason"])
                for row in data["attendance"]
            }
        elif meeting is not None:
            marks = {
                a.cadre_id: services.Mark(a.present, a.absence_reason)
                for a in meeting.attendance.all()
            }
        else:
            marks = {}
        values = {
            name: data[name] if name in data else getattr(meeting, name)
            for name in ("kind", "date", "place", "topic", "host", "minutes")
        }
        try:
            return services.meeting_save(
                team=team, by=self.request.user, meeting=meeting, attendance=marks, **values
            )
        except services.TeamError as exc:
            raise Refused(str(exc)) from exc

    @extend_schema(
        request=MeetingWriteSerializer,
        responses={201: MeetingDetailSerializer, 400: DETAIL_400},
    )
    def create(self, request, *args, **kwargs):
        """登记会议（本队队长、副队长）。"""
        data = MeetingWriteSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        team = data.validated_data["team"]
        if not access.can_manage(request.user, team):
            raise ApiDenied("只有本工作队的队长、副队长可以登记会议")
        meeting = self._save(data.validated_data, team, None)
        return self._detail(meeting, status.HTTP_201_CREATED)

    def _update(self, request, pk, partial: bool) -> Response:
        meeting = access.access_meeting(request.user, pk)
        if not access.can_manage(request.user, meeting.team):
            raise ApiDenied("只有本工作队的队长、副队长可以修改会议")
        context = {**self.get_serializer_context(), "meeting": meeting}
        data = MeetingWriteSerializer(data=request.data, partial=partial, context=context)
        data.fields["team"].required = False
        data.is_valid(raise_exception=True)
        meeting = self._save(data.validated_data, meeting.team, meeting)
        return self._detail(meeting)

    @extend_schema(
        request=MeetingWriteSerializer,
        responses={200: MeetingDetailSerializer, 400: DETAIL_400},
    )
    def update(self, request, pk=None):
        """修改会议（本队队长、副队长）；提交 attendance 时出席情况整体替换，不提交时保留原出席情况。"""
        return self._update(request, pk, partial=False)

    @extend_schema(
        request=MeetingWriteSerializer,
        responses={200: MeetingDetailSerializer, 400: DETAIL_400},
    )
    def partial_update(self, request, pk=None):
        """修改会议的部分内容；不提交 attendance 时保留原出席情况。"""
        return self._update(request, pk, partial=True)


# --- pairings ------------------------------------------------------------------------------


class CheckInSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author.name", read_only=True)

    class Meta:
        model = CheckIn
        fields = ["id", "date", "author", "author_name", "content", "created_at"]
        read_only_fields = fields


class PairingSerializer(serializers.ModelSerializer):
    team_name = serializers.CharField(source="team.name", read_only=True)
    members = CadreBriefSerializer(many=True, read_only=True)
    status = serializers.CharField(read_only=True, help_text=codes(Pairing.Status.choices))
    status_display = DisplayField("status")
    n_checkins = serializers.IntegerField(read_only=True, help_text="交流记录数")
    last_contact = serializers.SerializerMethodField(help_text="最近一次交流（无交流时为结对日期）")
    overdue = serializers.SerializerMethodField(help_text="进行中且超过规定天数没有交流")

    class Meta:
        model = Pairing
        fields = [
            "id",
            "team",
            "team_name",
            "members",
            "goals",
            "status",
            "status_display",
            "started_on",
            "closed_note",
            "n_checkins",
            "last_contact",
            "overdue",
        ]
        read_only_fields = fields

    def get_last_contact(self, pairing: Pairing) -> date:
        return services.last_contact(pairing, pairing.last)

    def get_overdue(self, pairing: Pairing) -> bool:
        if pairing.status != Pairing.Status.ACTIVE:
            return False
        limit = pairing.team.batch.programme.checkin_days
        return (timezone.localdate() - self.get_last_contact(pairing)).days > limit


class PairingDetailSerializer(PairingSerializer):
    checkins = CheckInSerializer(many=True, read_only=True)

    class Meta(PairingSerializer.Meta):
        fields = [*PairingSerializer.Meta.fields, "checkins"]
        read_only_fields = fields


class PairingCreateSerializer(serializers.Serializer):
    team = serializers.PrimaryKeyRelatedField(
        queryset=WorkTeam.objects.none(),
        error_messages={
            "does_not_exist": "工作队不存在或不在您的范围内",
            "required": "请选择工作队",
        },
    )
    members = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="结对成员的干部 id（至少两人，须是本队成员）",
        error_messages={"required": "请选择结对成员", "not_a_list": "结对成员须为干部 id 列表"},
    )
    goals = serializers.CharField(
        max_length=2000, error_messages={"required": "请填写帮带目标", "blank": "请填写帮带目标"}
    )
    started_on = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="结对日期，默认今天"
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["team"].queryset = access.teams_for(request.user)

    def validate(self, attrs):
        team, ids = attrs["team"], list(dict.fromkeys(attrs["members"]))
        cadres = {c.pk: c for c in team.members().filter(pk__in=ids)}
        strangers = [str(i) for i in ids if i not in cadres]
        if strangers:
            raise serializers.ValidationError(
                {"members": [f"干部 {'、'.join(strangers)} 不是本工作队的成员"]}
            )
        if len(ids) < 2:
            raise serializers.ValidationError({"members": ["结对至少需要两名成员"]})
        attrs["members"] = [cadres[i] for i in ids]
        return attrs


class CheckInCreateSerializer(serializers.Serializer):
    date = serializers.DateField(error_messages={"required": "请填写交流日期"})
    content = serializers.CharField(
        max_length=2000, error_messages={"required": "请填写交流内容", "blank": "请填写交流内容"}
    )


class PairingFilter(django_filters.rest_framework.FilterSet):
    team = django_filters.rest_framework.ModelChoiceFilter(queryset=_teams_filter_queryset)
    status = django_filters.rest_framework.ChoiceFilter(choices=Pairing.Status.choices)

    class Meta:
        model = Pairing
        fields = ["team", "status"]


class PairingViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """结对帮带：工作队可见范围内可读，详情含交流记录；新建限本队队长、副队长；
    交流记录由结对双方本人填写。"""

    serializer_class = PairingSerializer
    filterset_class = PairingFilter

    def get_queryset(self):
        qs = (
            access.pairings_for(self.request.user)
            .select_related("team__batch__programme")
            .annotate(last=Max("checkins__date"), n_checkins=Count("checkins"))
            .prefetch_related(Prefetch("members", queryset=Cadre.objects.order_by("name", "pk")))
            .order_by("status", "-started_on", "-pk")
        )
        if self.action != "list":
            qs = qs.prefetch_related(
                Prefetch("checkins", queryset=CheckIn.objects.select_related("author"))
            )
        return qs

    def get_serializer_class(self):
        if self.action == "list":
            return PairingSerializer
        return PairingDetailSerializer

    def _detail(self, pairing: Pairing, code: int = 200) -> Response:
        fresh = self.get_queryset().get(pk=pairing.pk)
        data = PairingDetailSerializer(fresh, context=self.get_serializer_context()).data
        return Response(data, status=code)

    @extend_schema(
        request=PairingCreateSerializer,
        responses={201: PairingDetailSerializer, 400: DETAIL_400},
    )
    def create(self, request, *args, **kwargs):
        """新建结对（本队队长、副队长）：两人结对或三五人一组，须填写帮带目标。"""
        data = PairingCreateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if not access.can_manage(request.user, v["team"]):
            raise ApiDenied("只有本工作队的队长、副队长可以建立结对")
        try:
            pairing = services.pairing_create(
                team=v["team"],
                by=request.user,
                members=v["members"],
                goals=v["goals"],
                started_on=v["started_on"],
            )
        except services.TeamError as exc:
            raise Refused(str(exc)) from exc
        return self._detail(pairing, status.HTTP_201_CREATED)

    @extend_schema(
        request=CheckInCreateSerializer,
        responses={201: CheckInSerializer, 400: DETAIL_400},
    )
    @action(detail=True, methods=["post"], url_path="check-ins", url_name="check-ins")
    def check_ins(self, request, pk=None):
        """记录一次交流（结对双方本人；日期不晚于今天、不早于结对日期）。"""
        pairing = access.access_pairing(request.user, pk)
        if not pairing.members.filter(user=request.user).exists():
            raise ApiDenied("只有结对双方可以记录交流")
        data = CheckInCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            checkin = services.checkin_add(pairing=pairing, by=request.user, **data.validated_data)
        except services.TeamError as exc:
            raise Refused(str(exc)) from exc
        return Response(CheckInSerializer(checkin).data, status=status.HTTP_201_CREATED)
