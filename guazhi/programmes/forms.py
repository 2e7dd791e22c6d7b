from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guazhi.cadres.models import ExpertiseTag
from guazhi.core.forms import BootstrapMixin
from guazhi.core.models import OrgUnit

from .models import Batch, Placement, PlacementChange, Post, PostRequirement, Programme

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ProgrammeForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Programme
        fields = ["name", "partner_city", "owner_unit", "young_age_max", "description", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_unit"].queryset = OrgUnit.objects.filter(kind=OrgUnit.Kind.ORG_DEPT)


class BatchForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Batch
        fields = [
            "number",
            "direction",
            "start",
            "end",
            "quota",
            "status",
            "min_young_share",
            "max_per_unit",
            "required_tags",
            "note",
        ]
        widgets = {
            "start": DATE,
            "end": DATE,
            "required_tags": forms.CheckboxSelectMultiple,
            "note": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, programme=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.programme = programme or self.instance.programme
        self.fields["required_tags"].queryset = ExpertiseTag.objects.filter(is_active=True)

    def clean_number(self):
        number = self.cleaned_data["number"]
        clash = Batch.objects.filter(programme=self.programme, number=number).exclude(
            pk=self.instance.pk
        )
        if clash.exists():
            raise forms.ValidationError(_("本项目已有第%(n)s批") % {"n": number})
        return number


class PostForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Post
        fields = [
            "title",
            "host_unit",
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
        ]
        widgets = {"duties": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["host_unit"].queryset = OrgUnit.objects.filter(
            kind=OrgUnit.Kind.HOST, is_active=True
        )


class RequirementForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = PostRequirement
        fields = ["tag", "weight", "mandatory"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tag"].queryset = ExpertiseTag.objects.filter(is_active=True)


RequirementFormSet = forms.inlineformset_factory(
    Post,
    PostRequirement,
    form=RequirementForm,
    extra=3,
    can_delete=True,
    max_num=20,
    validate_max=True,
)


class PlacementFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("姓名"), field_name="cadre__name", lookup_expr="contains")
    programme = django_filters.ModelChoiceFilter(
        label=pgettext_lazy("field", "选派项目"),
        field_name="batch__programme",
        queryset=Programme.objects.none(),
    )
    batch = django_filters.ModelChoiceFilter(label=_("批次"), queryset=Batch.objects.none())
    status = django_filters.ChoiceFilter(label=_("状态"), choices=Placement.Status.choices)
    host_unit = django_filters.ModelChoiceFilter(
        label=_("接收单位"), queryset=OrgUnit.objects.filter(kind=OrgUnit.Kind.HOST)
    )
    cohort = django_filters.ChoiceFilter(
        label=_("出生年代"),
        choices=[(f"{d}0后", f"{d}0后") for d in (5, 6, 7, 8, 9, 0)],
        method="filter_cohort",
    )
    region = django_filters.ChoiceFilter(
        label=_("派出区县"), choices=[], field_name="cadre__unit__region"
    )
    on_from = django_filters.DateFilter(label=_("在岗期间起"), method="filter_on_from", widget=DATE)
    on_to = django_filters.DateFilter(
        label=_("在岗期间止"), field_name="start", lookup_expr="lte", widget=DATE
    )

    class Meta:
        model = Placement
        fields = [
            "q", "programme", "batch", "status", "host_unit", "cohort", "region", "on_from",
            "on_to",
        ]  # fmt: skip

    def filter_on_from(self, queryset, name, value):
        """On post at some time on or after `value`: not ended before it (the planned end
        while the placement runs)."""
        return queryset.filter(
            Q(actual_end__gte=value) | Q(actual_end__isnull=True, planned_end__gte=value)
        )

    def filter_cohort(self, queryset, name, value):
        """80后: born 1980–1989 (the decade of Cadre.cohort); 00后: 2000–2009."""
        decade = int(value[0])
        start = (1900 if decade >= 5 else 2000) + decade * 10
        return queryset.filter(cadre__birth__year__gte=start, cadre__birth__year__lt=start + 10)

    def __init__(self, *args, batches=None, regions=(), programmes=None, **kwargs):
        super().__init__(*args, **kwargs)
        if programmes is not None:
            self.filters["programme"].queryset = programmes
        self.filters["batch"].queryset = batches if batches is not None else Batch.objects.none()
        self.filters["region"].extra["choices"] = [(r, r) for r in regions if r]
        for f in self.form.fields.values():
            f.widget.attrs.setdefault(
                "class", "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            )


class FinishForm(BootstrapMixin, forms.Form):
    end = forms.DateField(label=_("实际结束日期"), widget=DATE)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class ChangeRequestForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("申请类型"), choices=PlacementChange.Kind.choices)
    new_end = forms.DateField(label=_("新的结束日期"), widget=DATE)
    reason = forms.CharField(
        label=_("理由"), max_length=300, widget=forms.Textarea(attrs={"rows": 2})
    )


class ChangeDecisionForm(BootstrapMixin, forms.Form):
    approve = forms.TypedChoiceField(
        label=_("审批结果"),
        choices=[("1", _("批准")), ("0", _("不批准"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    note = forms.CharField(label=_("审批意见"), max_length=300, required=False)
