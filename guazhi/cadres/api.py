"""/api/v1/cadres/: list, detail, create, update with the page's validation and data scope,
and the roster/.lrmx import (dry run by default)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from guazhi.core import access as core_access
from guazhi.core.apifields import CONFLICT_409, lock_version_field
from guazhi.core.forms import TEXT_MAX

from . import access, importing, normalise
from .models import Cadre, ExpertiseTag, Rank
from .services import SCALAR_FIELDS, CadreData, CadreError, cadre_save


@extend_schema_field(
    {
        "type": "string",
        "example": "1985.03",
        "description": "年月，写作 1985.03（也接受 1985年3月、198503 等）",
    }
)
class YearMonth(serializers.Field):
    """A year-month written as 1985.03 (also accepts the other forms rosters use)."""

    def to_representation(self, value):
        return normalise.format_year_month(value)

    def to_internal_value(self, data):
        try:
            return normalise.parse_year_month(data, field=self.field_name)
        except normalise.Invalid as exc:
            raise serializers.ValidationError(str(exc)) from exc


class ResumeEntrySerializer(serializers.Serializer):
    start = YearMonth()
    end = YearMonth(required=False, allow_null=True)
    content = serializers.CharField(max_length=200)


class AnnualSerializer(serializers.Serializer):
    year = serializers.IntegerField(min_value=1950, max_value=2100)
    result = serializers.ChoiceField(choices=["优秀", "称职", "基本称职", "不称职", "不定等次"])


class CadreSerializer(serializers.ModelSerializer):
    birth = YearMonth()
    party_join = YearMonth(required=False, allow_null=True)
    work_start = YearMonth(required=False, allow_null=True)
    id_number = serializers.CharField(
        write_only=True, max_length=30, help_text="18 位公民身份号码；读取时只返回脱敏的 id_masked"
    )
    mobile = serializers.CharField(write_only=True, required=False, allow_blank=True, max_length=20)
    rank = serializers.SlugRelatedField(
        slug_field="name", queryset=Rank.objects.all(), required=False, allow_null=True
    )
    tags = serializers.SlugRelatedField(
        slug_field="name",
        many=True,
        required=False,
        queryset=ExpertiseTag.objects.filter(is_active=True),
    )
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    resume = ResumeEntrySerializer(many=True, required=False)
    annual_results = AnnualSerializer(many=True, required=False)
    lock_version = lock_version_field()

    class Meta:
        model = Cadre
        fields = [
            "id",
            *SCALAR_FIELDS,
            "unit",
            "unit_name",
            "rank",
            "tags",
            "id_number",
            "id_masked",
            "mobile",
            "mobile_masked",
            "placement_status",
            "resume",
            "annual_results",
            "updated_at",
            "lock_version",
        ]
        read_only_fields = ["id_masked", "mobile_masked", "placement_status", "updated_at"]
        extra_kwargs = {"rewards": {"max_length": TEXT_MAX}}  # a TextField: no bound of its own

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "unit" in self.fields:
            self.fields["unit"].queryset = core_access.units_for(request.user, "cadres.add_cadre")

    def validate_id_number(self, value):
        try:
            return normalise.normalise_id_number(value)
        except normalise.Invalid as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate_mobile(self, value):
        try:
            return normalise.normalise_mobile(value)
        except normalise.Invalid as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def validate_ethnicity(self, value):
        try:
            return normalise.normalise_ethnicity(value)
        except normalise.Invalid as exc:
            raise serializers.ValidationError(str(exc)) from exc

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["resume"] = [
            {
                "start": normalise.format_year_month(e.start),
                "end": normalise.format_year_month(e.end) or None,
                "content": e.content,
            }
            for e in instance.resume.all()
        ]
        data["annual_results"] = [
            {"year": a.year, "result": a.result} for a in instance.annual_results.all()
        ]
        return data

    def _save(self, cadre=None):
        v = self.validated_data
        instance = self.instance
        values = {k: v[k] for k in SCALAR_FIELDS if k in v}
        if instance is None:
            for k in SCALAR_FIELDS:
                values.setdefault(
                    k,
                    None
                    if k in {"party_join", "work_start"}
                    else Cadre._meta.get_field(k).get_default(),
                )
        id_number = v.get("id_number") or (instance.id_number if instance else "")
        data = CadreData(
            id_number=id_number,
            unit=v.get("unit") or instance.unit,
            values=values,
            rank=v.get("rank", instance.rank if instance else None),
            mobile=v.get("mobile"),
            tags=v.get("tags"),
            resume=[(e["start"], e.get("end"), e["content"]) for e in v["resume"]]
            if "resume" in v
            else None,
            annual=[(a["year"], a["result"]) for a in v["annual_results"]]
            if "annual_results" in v
            else None,
        )
        if instance is not None:
            for k in ("name", "gender", "birth"):
                data.values.setdefault(k, getattr(instance, k))
        try:
            saved, _outcome = cadre_save(
                data=data,
                by=self.context["request"].user,
                cadre=cadre,
                lock_version=v.get("lock_version") if cadre is not None else None,
            )
        except CadreError as exc:
            errors: dict[str, list[str]] = {}
            for field, reason in exc.problems:
                errors.setdefault(field, []).append(reason)
            raise ValidationError(errors) from exc
        except PermissionDenied as exc:
            from rest_framework.exceptions import PermissionDenied as ApiDenied

            raise ApiDenied("无权在该单位新增或修改干部") from exc
        return saved

    def create(self, validated_data):
        if Cadre.objects.filter(
            id_number_hash=Cadre.hash_id_number(validated_data["id_number"])
        ).exists():
            raise ValidationError({"id_number": ["该身份证号的干部已存在"]})
        self.instance = self._save()
        return self.instance

    def update(self, instance, validated_data):
        return self._save(cadre=instance)


class ImportRequestSerializer(serializers.Serializer):
    file = serializers.FileField()
    unit = serializers.IntegerField(help_text="文件中未写所在单位时归入的单位 id")
    dry_run = serializers.BooleanField(default=True)
    valid_only = serializers.BooleanField(default=False)


class ImportResponseSerializer(serializers.Serializer):
    rows = serializers.IntegerField()
    valid = serializers.IntegerField()
    errors = serializers.ListField(child=serializers.CharField())
    imported = serializers.BooleanField()
    summary = serializers.CharField(allow_blank=True)


@extend_schema_view(
    update=extend_schema(responses={200: CadreSerializer, 409: CONFLICT_409}),
    partial_update=extend_schema(responses={200: CadreSerializer, 409: CONFLICT_409}),
)
class CadreViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """干部名册：按数据范围过滤；身份证号与手机号只返回脱敏值。"""

    serializer_class = CadreSerializer
    filterset_fields = ["unit", "gender", "placement_status"]

    def get_queryset(self):
        perm = {
            "create": "cadres.add_cadre",
            "update": "cadres.change_cadre",
            "partial_update": "cadres.change_cadre",
        }.get(self.action, "cadres.view_cadre")
        if self.action in {"update", "partial_update"}:
            # Outside the view scope → 404; visible but not changeable → 403.
            visible = access.cadres_for(self.request.user)
            pk = self.kwargs.get("pk")
            if (
                visible.filter(pk=pk).exists()
                and not access.cadres_for(self.request.user, perm).filter(pk=pk).exists()
            ):
                raise PermissionDenied
            return access.cadres_for(self.request.user, perm)
        return (
            access.cadres_for(self.request.user, perm)
            .select_related("unit", "rank")
            .prefetch_related("tags", "resume", "annual_results")
            .order_by("pk")
        )

    def create(self, request, *args, **kwargs):
        if core_access.scope_for(request.user, "cadres.add_cadre").is_none:
            raise PermissionDenied
        return super().create(request, *args, **kwargs)

    @extend_schema(
        request={"multipart/form-data": ImportRequestSerializer},
        responses={200: ImportResponseSerializer},
        parameters=[OpenApiParameter("dry_run", bool, description="默认只检查不写入")],
    )
    @action(
        detail=False,
        methods=["post"],
        parser_classes=[MultiPartParser, FormParser],
        url_path="import",
    )
    def import_file(self, request):
        """导入花名册（.xlsx/.xls）或任免审批表（.lrmx/.zip）。默认 dry_run=true 只检查。"""
        if not request.user.has_perm("cadres.import_cadres"):
            raise PermissionDenied
        params = ImportRequestSerializer(data=request.data)
        params.is_valid(raise_exception=True)
        unit = (
            core_access.units_for(request.user, "cadres.add_cadre")
            .filter(pk=params.validated_data["unit"])
            .first()
        )
        if unit is None:
            raise ValidationError({"unit": ["该单位不存在或不在您的管理范围内"]})
        upload = params.validated_data["file"]
        name = upload.name.lower()
        if name.endswith((".lrmx", ".zip")):
            from . import lrmx

            try:
                report = lrmx.check_upload(upload, upload.name, by=request.user, default_unit=unit)
            except ValueError as exc:
                report = importing.Report(file_errors=[str(exc)])
        elif name.endswith((".xlsx", ".xls")):
            from . import roster

            report = roster.check(upload, upload.name, by=request.user, default_unit=unit)
        else:
            raise ValidationError({"file": ["不支持的文件类型：请上传 .xlsx、.xls、.lrmx 或 .zip"]})
        body = {
            "rows": len(report.rows),
            "valid": len(report.valid_rows),
            "errors": report.errors,
            "imported": False,
            "summary": "",
        }
        if params.validated_data["dry_run"]:
            return Response(body)
        try:
            summary = importing.apply_file(
                report,
                upload.name,
                by=request.user,
                valid_only=params.validated_data["valid_only"],
            )
        except importing.ImportRefused as exc:
            body["errors"] = [str(exc), *body["errors"]]
            return Response(body, status=400)
        body.update(imported=True, summary=str(summary))
        return Response(body)
