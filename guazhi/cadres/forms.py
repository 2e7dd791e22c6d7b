from __future__ import annotations

import django_filters
from django import forms
from django.db.models import OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from guazhi.core import versioning
from guazhi.core.forms import BootstrapMixin, FilterForm
from guazhi.core.models import OrgUnit

from . import codes, normalise
from .models import AnnualAssessment, Cadre, ExpertiseTag, PoolMembership, Rank
from .services import SCALAR_FIELDS, CadreData

YM_HELP = _("如 1985.03、1985年3月 或 198503")


class YearMonthField(forms.Field):
    widget = forms.TextInput(attrs={"maxlength": 20, "inputmode": "numeric"})

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", YM_HELP)
        super().__init__(*args, **kwargs)

    def prepare_value(self, value):
        if hasattr(value, "strftime"):
            return normalise.format_year_month(value)
        return value

    def to_python(self, value):
        try:
            return normalise.parse_year_month(value, field=str(self.label))
        except normalise.Invalid as exc:
            raise forms.ValidationError(str(exc)) from exc


class CadreForm(BootstrapMixin, forms.ModelForm):
    id_number = forms.CharField(label=_("身份证号"), max_length=30)
    mobile = forms.CharField(label=_("手机号"), max_length=20, required=False)
    birth = YearMonthField(label=_("出生年月"))
    party_join = YearMonthField(label=_("入党时间"), required=False)
    work_start = YearMonthField(label=_("参加工作时间"), required=False)
    resume_text = forms.CharField(
        label=_("简历"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "每行一段：起始年月--截止年月  单位及职务，如 1994.07--2001.03  沈阳市商务局科员；至今的一段截止年月留空"
        ),
    )
    annual_text = forms.CharField(
        label=_("年度考核结果"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一年，如 2023 优秀；也可写“2021、2022年年度考核均为称职”"),
    )
    lock_version = versioning.form_field()

    class Meta:
        model = Cadre
        fields = [
            "name",
            "gender",
            "birth",
            "ethnicity",
            "native_place",
            "birthplace",
            "political_status",
            "party_join",
            "work_start",
            "health",
            "fulltime_education",
            "fulltime_degree",
            "fulltime_school",
            "inservice_education",
            "inservice_degree",
            "inservice_school",
            "professional_title",
            "specialty",
            "unit",
            "current_post",
            "rank",
            "tags",
            "rewards",
        ]
        widgets = {
            "tags": forms.CheckboxSelectMultiple,
            "rewards": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units
        self.fields["tags"].queryset = ExpertiseTag.objects.filter(is_active=True)
        cadre = self.instance
        if not cadre.pk:
            del self.fields["lock_version"]
        if cadre.pk:
            self.initial.setdefault("lock_version", cadre.lock_version)
            # The form shows masked values; an unchanged mask keeps the stored number.
            self.initial.setdefault("id_number", cadre.id_masked)
            self.initial.setdefault("mobile", cadre.mobile_masked)
            self.initial.setdefault("resume_text", "\n".join(str(e) for e in cadre.resume.all()))
            self.initial.setdefault(
                "annual_text", "\n".join(f"{a.year} {a.result}" for a in cadre.annual_results.all())
            )

    def clean_id_number(self):
        value = self.cleaned_data["id_number"]
        if self.instance.pk and value == self.instance.id_masked:
            return self.instance.id_number
        try:
            return normalise.normalise_id_number(value)
        except normalise.Invalid as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_mobile(self):
        value = self.cleaned_data.get("mobile", "")
        if self.instance.pk and value and value == self.instance.mobile_masked:
            return self.instance.mobile
        try:
            return normalise.normalise_mobile(value)
        except normalise.Invalid as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_resume_text(self):
        try:
            return normalise.parse_resume(self.cleaned_data.get("resume_text", ""))
        except normalise.Invalid as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean_annual_text(self):
        text = self.cleaned_data.get("annual_text", "")
        results = normalise.parse_annual_results(text)
        leftover = [
            line
            for line in text.splitlines()
            if line.strip() and not normalise.parse_annual_results(line)
        ]
        if leftover:
            raise forms.ValidationError(
                _("无法识别“%(l)s”，应写成“2023 优秀”") % {"l": leftover[0].strip()}
            )
        return results

    def to_data(self) -> CadreData:
        data = self.cleaned_data
        return CadreData(
            id_number=data["id_number"],
            unit=data["unit"],
            values={
                k: data.get(k)
                if data.get(k) is not None
                else ("" if k not in {"birth", "party_join", "work_start"} else None)
                for k in SCALAR_FIELDS
                if k in self.fields
            },
            rank=data.get("rank"),
            mobile=data.get("mobile", ""),
            tags=list(data.get("tags") or []),
            resume=data.get("resume_text") or [],
            annual=data.get("annual_text") or [],
        )


class PoolJoinForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = PoolMembership
        fields = ["level", "joined_on", "recommending_unit", "note"]
        widgets = {"joined_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["recommending_unit"].queryset = units


class PoolLeaveForm(BootstrapMixin, forms.Form):
    left_on = forms.DateField(label=_("出库日期"), widget=forms.DateInput(attrs={"type": "date"}))
    left_reason = forms.CharField(label=_("出库原因"), max_length=200)


class TagForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ExpertiseTag
        fields = ["name", "category", "is_active"]


MAX_UPLOAD = 20 * 1024 * 1024
UPLOAD_TYPES = (".xlsx", ".xls", ".lrmx", ".zip")


class ImportUploadForm(BootstrapMixin, forms.Form):
    file = forms.FileField(
        label=_("文件"),
        help_text=_(
            "花名册 .xlsx / .xls，或任免审批表 .lrmx（可多选，也可打包为 .zip），不超过 20 MB"
        ),
    )
    unit = forms.ModelChoiceField(
        label=_("默认单位"),
        queryset=OrgUnit.objects.none(),
        help_text=_("文件中未写“所在单位”的干部归入此单位"),
    )

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units

    def clean_file(self):
        upload = self.cleaned_data["file"]
        name = upload.name.lower()
        if not name.endswith(UPLOAD_TYPES):
            raise forms.ValidationError(
                _("不支持的文件类型“%(n)s”：请上传 .xlsx、.xls、.lrmx 或 .zip 文件")
                % {"n": upload.name}
            )
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("文件超过 20 MB，请拆分后上传"))
        return upload


# 年度考核 grades a selection may ask for (the latest year's result only).
LATEST_RESULTS = ["优秀", "称职", "基本称职", "不称职"]
AGE_COHORTS = [(str(d), f"{d % 100:02d}后") for d in (1960, 1970, 1980, 1990, 2000)]
SORTS = [
    ("unit", _("单位")),
    ("name", _("姓名")),
    ("-birth", _("年龄（小→大）")),
    ("birth", _("年龄（大→小）")),
    ("-rank", _("职级（高→低）")),
    ("-updated_at", _("最近更新")),
]
SORT_FIELDS = {
    "name": ["name_initials", "pk"],
    "-birth": ["-birth", "pk"],
    "birth": ["birth", "pk"],
    # unit_id, not unit__path: units are created parent first, so the order is nearly the
    # tree's, and it is served by an index (sorting on the joined path costs ~60 ms at 20k).
    "unit": ["unit_id", "name_initials", "pk"],
    "-rank": ["-rank__order", "name_initials", "pk"],
    "-updated_at": ["-updated_at", "pk"],
}


class CadreFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("姓名或拼音首字母"), method="search")
    unit = django_filters.ModelChoiceFilter(
        label=_("单位（含下级）"), queryset=OrgUnit.objects.none(), method="in_unit"
    )
    cohort = django_filters.ChoiceFilter(label=_("年龄段"), choices=AGE_COHORTS, method="in_cohort")
    gender = django_filters.ChoiceFilter(label=_("性别"), choices=Cadre.Gender.choices)
    rank = django_filters.ModelChoiceFilter(label=_("职级"), queryset=Rank.objects.all())
    education = django_filters.ChoiceFilter(
        label=_("学历"), choices=[(e, e) for e in codes.EDUCATION_LEVELS], method="with_education"
    )
    tag = django_filters.ModelChoiceFilter(
        label=_("专长标签"), queryset=ExpertiseTag.objects.all(), field_name="tags"
    )
    pool = django_filters.ChoiceFilter(
        label=_("储备库"),
        method="in_pool",
        choices=[
            ("any", _("在库")),
            ("city", _("市级在库")),
            ("district", _("区级在库")),
            ("no", _("不在库")),
        ],
    )
    placement_status = django_filters.ChoiceFilter(
        label=_("挂职状态"), choices=Cadre.PlacementStatus.choices
    )
    latest_result = django_filters.ChoiceFilter(
        label=_("最近考核结果"),
        choices=[(r, r) for r in LATEST_RESULTS],
        method="with_latest_result",
    )
    sort = django_filters.ChoiceFilter(
        label=_("排序"), choices=SORTS, method="sort_by", empty_label=None
    )

    class Meta:
        model = Cadre
        form = FilterForm
        fields = [
            "q",
            "unit",
            "cohort",
            "gender",
            "rank",
            "education",
            "tag",
            "pool",
            "placement_status",
            "latest_result",
            "sort",
        ]

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.filters["unit"].queryset = units

    @property
    def qs(self):
        # Without a chosen order the list follows the first choice shown (单位).
        qs = super().qs
        if not (self.data or {}).get("sort"):
            qs = qs.order_by(*SORT_FIELDS["unit"])
        return qs

    def search(self, queryset, name, value):
        value = normalise.clean_text(value)
        if value.isascii():
            return queryset.filter(
                Q(name_initials__startswith=value.lower()) | Q(name__icontains=value)
            )
        return queryset.filter(name__icontains=value)

    def in_unit(self, queryset, name, value):
        return queryset.filter(unit__path__startswith=value.path)

    def in_cohort(self, queryset, name, value):
        return queryset.born_in_decade(int(value))

    def with_education(self, queryset, name, value):
        return queryset.filter(Q(fulltime_education=value) | Q(inservice_education=value))

    def in_pool(self, queryset, name, value):
        open_stays = PoolMembership.objects.filter(left_on__isnull=True)
        if value == "no":
            return queryset.exclude(pk__in=open_stays.values("cadre_id"))
        if value in {"city", "district"}:
            open_stays = open_stays.filter(level=value)
        return queryset.filter(pk__in=open_stays.values("cadre_id"))

    def with_latest_result(self, queryset, name, value):
        # The result of the cadre's latest year (a 挂职考核 round writes it too), compared in
        # the list's own query: no query per cadre.
        latest = AnnualAssessment.objects.filter(cadre=OuterRef("pk")).order_by("-year")
        return queryset.annotate(latest_annual_result=Subquery(latest.values("result")[:1])).filter(
            latest_annual_result=value
        )

    def sort_by(self, queryset, name, value):
        return queryset.order_by(*SORT_FIELDS.get(value, SORT_FIELDS["name"]))
