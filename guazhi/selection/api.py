"""/api/v1/nominations/ (nominate, decide level by level, withdraw) and
/api/v1/batches/{id}/match/ (person–post matching: proposal, comparison with a user's own
choice, confirmation, pins and exclusions).

Every queryset comes from access.py. Outside the scope → 404; visible but not allowed → 403
(e.g. a level another role handles); a refused workflow action is a 400 with
{"detail": message}.
"""

from __future__ import annotations

import django_filters
from django.core.exceptions import PermissionDenied
from django.db.models import BooleanField, Case, Prefetch, Value, When
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied as ApiDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from guazhi.cadres import access as cadre_access
from guazhi.cadres.models import Cadre
from guazhi.core.access import scope_for
from guazhi.core.apifields import DETAIL_400, DisplayField, Refused
from guazhi.programmes import access as programme_access
from guazhi.programmes.models import Batch

from . import access, services
from .models import Nomination, NominationStep, PairRule

# --- nominations ---------------------------------------------------------------------------


class StepSerializer(serializers.ModelSerializer):
    action_display = DisplayField("action")
    user_name = serializers.CharField(source="user.full_name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = NominationStep
        fields = [
            "id",
            "level",
            "level_name",
            "action",
            "action_display",
            "user",
            "user_name",
            "unit",
            "unit_name",
            "at",
            "opinion",
            "document_number",
            "document_date",
        ]
        read_only_fields = fields


class NominationSerializer(serializers.ModelSerializer):
    batch_label = serializers.CharField(source="batch.label", read_only=True)
    programme = serializers.IntegerField(source="batch.programme_id", read_only=True)
    programme_name = serializers.CharField(source="batch.programme.name", read_only=True)
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    nominating_unit_name = serializers.CharField(source="nominating_unit.name", read_only=True)
    status_display = DisplayField("status")
    level_name = serializers.CharField(source="level.name", read_only=True, allow_null=True)
    level_order = serializers.IntegerField(source="level.order", read_only=True, allow_null=True)
    post_title = serializers.CharField(source="post.title", read_only=True, allow_null=True)
    fit_score = serializers.FloatField(read_only=True, allow_null=True)
    waiting_for_me = serializers.BooleanField(
        read_only=True, help_text="是否正等待调用者在当前层级审核"
    )
    steps = StepSerializer(many=True, read_only=True)

    class Meta:
        model = Nomination
        fields = [
            "id",
            "batch",
            "batch_label",
            "programme",
            "programme_name",
            "cadre",
            "cadre_name",
            "nominating_unit",
            "nominating_unit_name",
            "reason",
            "status",
            "status_display",
            "level",
            "level_name",
            "level_order",
            "post",
            "post_title",
            "fit_score",
            "document_number",
            "document_date",
            "placement",
            "created_at",
            "waiting_for_me",
            "steps",
        ]
        read_only_fields = fields


class NominateSerializer(serializers.Serializer):
    batch = serializers.PrimaryKeyRelatedField(
        queryset=Batch.objects.none(),
        error_messages={"does_not_exist": "批次不存在", "required": "请选择批次"},
    )
    cadre = serializers.PrimaryKeyRelatedField(
        queryset=Cadre.objects.none(),
        error_messages={
            "does_not_exist": "该干部不存在或不在您的推荐范围内",
            "required": "请选择推荐的干部",
        },
    )
    reason = serializers.CharField(
        max_length=2000,
        error_messages={"required": "请填写推荐理由", "blank": "请填写推荐理由"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            user = request.user
            self.fields["batch"].queryset = programme_access.batches_for(user)
            self.fields["cadre"].queryset = cadre_access.cadres_for(
                user, "selection.add_nomination"
            )


class DecisionSerializer(serializers.Serializer):
    approve = serializers.BooleanField(
        help_text="true 通过，false 不通过（须填写 opinion）",
        error_messages={"required": "请选择审核结果"},
    )
    opinion = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    document_number = serializers.CharField(
        max_length=60,
        required=False,
        allow_blank=True,
        default="",
        help_text="需登记文号的层级必填",
    )
    document_date = serializers.DateField(
        required=False, allow_null=True, default=None, help_text="需登记文号的层级必填"
    )

    def validate(self, attrs):
        if not attrs["approve"] and not attrs["opinion"].strip():
            raise serializers.ValidationError({"opinion": ["不通过时须填写理由"]})
        level = self.context.get("level")
        if attrs["approve"] and level is not None and level.needs_document:
            errors = {}
            if not attrs["document_number"].strip():
                errors["document_number"] = ["本级须登记备案文号"]
            if attrs["document_date"] is None:
                errors["document_date"] = ["本级须登记备案日期"]
            if errors:
                raise serializers.ValidationError(errors)
        return attrs


class WithdrawSerializer(serializers.Serializer):
    reason = serializers.CharField(
        max_length=500,
        error_messages={"required": "请填写撤回原因", "blank": "请填写撤回原因"},
    )


class NominationFilter(django_filters.rest_framework.FilterSet):
    batch = django_filters.rest_framework.ModelChoiceFilter(
        queryset=lambda request: programme_access.batches_for(getattr(request, "user", None))
    )
    status = django_filters.rest_framework.ChoiceFilter(choices=Nomination.Status.choices)
    waiting_for_me = django_filters.rest_framework.BooleanFilter(
        method="only_waiting", label="只看待我审核"
    )

    class Meta:
        model = Nomination
        fields = ["batch", "status", "waiting_for_me"]

    def only_waiting(self, queryset, name, value):
        if value:
            return queryset.filter(services.review_queue_q(self.request.user))
        return queryset


def nominations_queryset(user, base=None):
    """The nominations the user sees (or `base`), with what the serializers read and whether
    each waits for him; the same number of queries whatever the number of rows."""
    if base is None:
        base = access.nominations_for(user)
    return (
        base.select_related("batch__programme", "cadre", "nominating_unit", "level", "post")
        .prefetch_related(
            Prefetch("steps", queryset=NominationStep.objects.select_related("user", "unit"))
        )
        .annotate(
            waiting_for_me=Case(
                When(services.review_queue_q(user), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-created_at", "-pk")
    )


class NominationViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """推荐人选：派出单位推荐本单位干部，逐级审核（各层级由其审核角色在范围内办理），
    最后一级登记备案文号后按拟任岗位生成任职记录。"""

    serializer_class = NominationSerializer
    filterset_class = NominationFilter

    def get_queryset(self):
        return nominations_queryset(self.request.user)

    def get_serializer_class(self):
        return NominateSerializer if self.action == "create" else NominationSerializer

    def _detail(self, nomination: Nomination, code: int = 200) -> Response:
        # The record the caller just acted on, even if it no longer waits for him (a reviewer
        # may see a nomination only while it is at his level).
        base = Nomination.objects.filter(pk=nomination.pk)
        fresh = nominations_queryset(self.request.user, base).get()
        return Response(NominationSerializer(fresh).data, status=code)

    @extend_schema(
        request=NominateSerializer,
        responses={201: NominationSerializer, 400: DETAIL_400},
    )
    def create(self, request, *args, **kwargs):
        """推荐干部参加批次选派（只能推荐本人推荐范围内的干部）。"""
        if scope_for(request.user, "selection.add_nomination").is_none:
            raise PermissionDenied
        data = NominateSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        try:
            nomination = services.nominate(by=request.user, **data.validated_data)
        except services.NominationError as exc:
            raise Refused(str(exc)) from exc
        return self._detail(nomination, status.HTTP_201_CREATED)

    @extend_schema(
        request=DecisionSerializer,
        responses={200: NominationSerializer, 400: DETAIL_400},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """审核当前层级：approve=true 通过（需登记文号的层级须填 document_number 和
        document_date），false 不通过（须填 opinion）。只能办理本人角色和范围对应的层级。"""
        nomination = access.access_nomination(request.user, pk)
        level = nomination.level
        if (
            nomination.status == Nomination.Status.PENDING
            and level is not None
            and not services.can_review(request.user, nomination)
        ):
            raise ApiDenied(f"“{level.name}”应由{level.role.name}在其范围内办理，您不能办理本级")
        data = DecisionSerializer(data=request.data, context={"level": level})
        data.is_valid(raise_exception=True)
        try:
            nomination = services.decide(
                nomination=nomination, by=request.user, **data.validated_data
            )
        except services.NominationError as exc:
            raise Refused(str(exc)) from exc
        return self._detail(nomination)

    @extend_schema(
        request=WithdrawSerializer,
        responses={200: NominationSerializer, 400: DETAIL_400},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        """撤回推荐（推荐单位或其上级组织部门；须填写原因）。撤回的推荐仍保留在列表中。"""
        nomination = access.access_nomination(request.user, pk, "selection.add_nomination")
        data = WithdrawSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            nomination = services.withdraw(
                nomination=nomination, by=request.user, reason=data.validated_data["reason"]
            )
        except services.NominationError as exc:
            raise Refused(str(exc)) from exc
        return self._detail(nomination)


# --- matching ------------------------------------------------------------------------------


class ExplanationItemSerializer(serializers.Serializer):
    label = serializers.CharField()
    met = serializers.BooleanField()
    points = serializers.FloatField()
    max_points = serializers.FloatField()
    mandatory = serializers.BooleanField()
    detail = serializers.CharField(allow_blank=True)


class MatchPairSerializer(serializers.Serializer):
    nomination = serializers.IntegerField()
    cadre = serializers.IntegerField()
    cadre_name = serializers.CharField()
    nominating_unit_name = serializers.CharField()
    post = serializers.IntegerField()
    post_title = serializers.CharField()
    host_unit_name = serializers.CharField()
    score = serializers.FloatField()
    pinned = serializers.BooleanField(help_text="用户固定的配对")
    fixed = serializers.BooleanField(help_text="已通过确定岗位的层级，岗位不能在这里改动")
    explanation = ExplanationItemSerializer(many=True)


class MatchCandidateSerializer(serializers.Serializer):
    nomination = serializers.IntegerField()
    cadre = serializers.IntegerField()
    cadre_name = serializers.CharField()
    nominating_unit_name = serializers.CharField()


class OpenSeatSerializer(serializers.Serializer):
    post = serializers.IntegerField()
    post_title = serializers.CharField()
    open = serializers.IntegerField(help_text="未安排人选的名额")


class MatchRuleSerializer(serializers.Serializer):
    nomination = serializers.IntegerField(help_text="推荐记录 id")
    post = serializers.IntegerField(help_text="岗位 id")
    kind = serializers.ChoiceField(
        choices=PairRule.Kind.choices,
        allow_null=True,
        help_text="pin 固定、forbid 排除；提交 null 取消",
        error_messages={"invalid_choice": "类型只能是 pin（固定）、forbid（排除）或 null（取消）"},
    )


class MatchProposalSerializer(serializers.Serializer):
    batch = serializers.IntegerField()
    status = serializers.CharField(help_text="求解状态")
    total_fit = serializers.FloatField(help_text="方案的匹配度总和")
    filled = serializers.IntegerField(help_text="安排的人数")
    bound = serializers.FloatField(allow_null=True, help_text="最优值的上界")
    gap = serializers.FloatField(allow_null=True, help_text="与上界的相对差距")
    proven_optimal = serializers.BooleanField()
    seconds = serializers.FloatField()
    message = serializers.CharField(allow_blank=True)
    pairs = MatchPairSerializer(many=True)
    unassigned = MatchCandidateSerializer(many=True)
    open_seats = OpenSeatSerializer(many=True)
    young = serializers.IntegerField(help_text="方案中的年轻干部人数")
    missing_tags = serializers.ListField(
        child=serializers.CharField(), help_text="批次要求覆盖、方案中无人具备的专长"
    )
    rules = MatchRuleSerializer(many=True)


def _pairs_field(**kwargs):
    return serializers.ListField(
        child=serializers.ListField(child=serializers.IntegerField(), min_length=2, max_length=2),
        help_text="[[推荐记录 id, 岗位 id], ...]",
        error_messages={"not_a_list": "pairs 须为 [[推荐记录 id, 岗位 id], ...]"},
        **kwargs,
    )


class MatchCompareSerializer(serializers.Serializer):
    pairs = _pairs_field()


class MatchComparisonSerializer(serializers.Serializer):
    total = serializers.FloatField(help_text="自选方案的匹配度总和")
    optimum = serializers.FloatField(help_text="系统方案的匹配度总和")
    difference = serializers.FloatField()
    ratio = serializers.CharField()
    filled = serializers.IntegerField()
    optimum_filled = serializers.IntegerField()
    violations = serializers.ListField(child=serializers.CharField())


class MatchConfirmSerializer(serializers.Serializer):
    pairs = _pairs_field(required=False)
    opinion = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class MatchConfirmResultSerializer(serializers.Serializer):
    pairs = serializers.ListField(child=serializers.ListField(child=serializers.IntegerField()))
    violations = serializers.ListField(child=serializers.CharField())
    changed = NominationSerializer(many=True)


class _MatchView(APIView):
    """Matching weighs every candidate of the batch against every post: the "all" scope."""

    def batch(self, request, pk) -> Batch:
        batch = programme_access.access_batch(request.user, pk)
        access.require_matcher(request.user)
        return batch

    @staticmethod
    def propose(batch: Batch):
        from . import matching

        return matching.propose(batch)


def _solution_value(value):
    value = getattr(value, "value", value)
    return value if isinstance(value, str) else str(value)


def _float_or_none(value):
    return None if value is None else float(value)


def proposal_data(proposal) -> dict:
    solution = proposal.solution
    pairs, open_seats = [], {}
    for seat in proposal.seats:
        post = seat.post
        if seat.nomination is None:
            row = open_seats.setdefault(
                post.pk, {"post": post.pk, "post_title": post.title, "open": 0}
            )
            row["open"] += 1
            continue
        nomination = seat.nomination
        explanation = seat.explanation
        pairs.append(
            {
                "nomination": nomination.pk,
                "cadre": nomination.cadre_id,
                "cadre_name": nomination.cadre.name,
                "nominating_unit_name": nomination.nominating_unit.name,
                "post": post.pk,
                "post_title": post.title,
                "host_unit_name": post.host_unit.name,
                "score": float(explanation.score) if explanation else 0.0,
                "pinned": seat.pinned,
                "fixed": seat.fixed,
                "explanation": [
                    {
                        "label": item.label,
                        "met": bool(item.met),
                        "points": round(float(item.points), 1),
                        "max_points": round(float(item.max_points), 1),
                        "mandatory": bool(item.mandatory),
                        "detail": item.detail,
                    }
                    for item in (explanation.items if explanation else [])
                ],
            }
        )
    return {
        "batch": proposal.batch.pk,
        "status": _solution_value(solution.status),
        "total_fit": round(float(solution.total_fit), 1),
        "filled": int(solution.filled),
        "bound": _float_or_none(solution.bound),
        "gap": _float_or_none(solution.gap),
        "proven_optimal": bool(solution.proven_optimal),
        "seconds": round(float(solution.seconds), 3),
        "message": solution.message or "",
        "pairs": pairs,
        "unassigned": [
            {
                "nomination": n.pk,
                "cadre": n.cadre_id,
                "cadre_name": n.cadre.name,
                "nominating_unit_name": n.nominating_unit.name,
            }
            for n in proposal.unassigned
        ],
        "open_seats": list(open_seats.values()),
        "young": int(proposal.young),
        "missing_tags": list(proposal.missing_tags),
        "rules": [
            {"nomination": r.nomination_id, "post": r.post_id, "kind": r.kind}
            for r in proposal.rules
        ],
    }


class MatchView(_MatchView):
    """人岗匹配：在批次政策（年轻干部占比、每单位人数、固定与排除）下求匹配度总和最高的
    方案，并逐项说明每个配对的得分。需市委组织部（全部范围）的人岗匹配权限。"""

    @extend_schema(responses={200: MatchProposalSerializer}, operation_id="batches_match_retrieve")
    def get(self, request, pk):
        batch = self.batch(request, pk)
        return Response(MatchProposalSerializer(proposal_data(self.propose(batch))).data)


class MatchCompareView(_MatchView):
    """把自选方案与系统方案比较：匹配度总和、人数与违反的约束。"""

    @extend_schema(
        request=MatchCompareSerializer,
        responses={200: MatchComparisonSerializer},
        operation_id="batches_match_compare",
    )
    def post(self, request, pk):
        from . import matching

        batch = self.batch(request, pk)
        data = MatchCompareSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = self.propose(batch)
        result = matching.compare(proposal, [tuple(p) for p in data.validated_data["pairs"]])
        return Response(
            MatchComparisonSerializer(
                {
                    "total": result.total,
                    "optimum": result.optimum,
                    "difference": result.difference,
                    "ratio": result.ratio,
                    "filled": result.filled,
                    "optimum_filled": result.optimum_filled,
                    "violations": list(result.violations),
                }
            ).data
        )


class MatchConfirmView(_MatchView):
    """确定岗位：记录每个推荐人选的拟任岗位（不传 pairs 时采用系统方案）。
    未列入的、处于匹配阶段的推荐人选取消原拟任岗位。"""

    @extend_schema(
        request=MatchConfirmSerializer,
        responses={200: MatchConfirmResultSerializer, 400: DETAIL_400},
        operation_id="batches_match_confirm",
    )
    def post(self, request, pk):
        from . import matching

        batch = self.batch(request, pk)
        data = MatchConfirmSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        proposal = self.propose(batch)
        given = data.validated_data.get("pairs")
        pairs = list(proposal.pairs) if given is None else [tuple(p) for p in given]
        try:
            changed, _comparison = matching.confirm(
                proposal, pairs, by=request.user, opinion=data.validated_data["opinion"]
            )
        except services.NominationError as exc:
            raise Refused(str(exc)) from exc
        violations: list[str] = []
        rows = nominations_queryset(request.user).filter(pk__in=[n.pk for n in changed])
        return Response(
            {
                "pairs": [list(p) for p in pairs],
                "violations": violations,
                "changed": NominationSerializer(rows, many=True).data,
            }
        )


class MatchRuleView(_MatchView):
    """固定（pin）或排除（forbid）一个配对，供下次匹配使用；kind 为 null 时取消。"""

    @extend_schema(
        request=MatchRuleSerializer,
        responses={200: MatchRuleSerializer, 400: DETAIL_400},
        operation_id="batches_match_rules",
    )
    def post(self, request, pk):
        batch = self.batch(request, pk)
        data = MatchRuleSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        errors = {}
        nomination = batch.nominations.active().filter(pk=v["nomination"]).first()
        if nomination is None:
            errors["nomination"] = [f"推荐记录 {v['nomination']} 不在{batch.label}的有效推荐中"]
        post = batch.posts.filter(pk=v["post"]).first()
        if post is None:
            errors["post"] = [f"岗位 {v['post']} 不属于{batch.label}"]
        if errors:
            raise serializers.ValidationError(errors)
        try:
            services.set_rule(nomination=nomination, post=post, kind=v["kind"], by=request.user)
        except services.NominationError as exc:
            raise Refused(str(exc)) from exc
        return Response({"nomination": nomination.pk, "post": post.pk, "kind": v["kind"]})
