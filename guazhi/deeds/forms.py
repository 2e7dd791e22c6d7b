"""Forms of the internal deed pages. They only parse input; the rules are in services.py,
whose DeedError messages the views put on the field they name."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guazhi.cadres.models import Cadre
from guazhi.core import versioning
from guazhi.core.forms import BootstrapMixin
from guazhi.core.models import OrgUnit

from .models import Appeal, Deed, Level, LookBack, Policy, Rating, Status, Target

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
AMOUNT = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


def apply_errors(form: forms.Form, exc) -> None:
    """A DeedError's messages on the fields they name; a stale edit (StaleEdit) on top."""
    for field, message in getattr(exc, "errors", {"": str(exc)}).items():
        form.add_error(field if field in form.fields else None, message)


class DeedFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("名称或地点"), method="filter_q")
    kind = django_filters.ChoiceFilter(
        label=_("状态"), choices=Status.Kind.choices, field_name="status__kind"
    )
    category = django_filters.ChoiceFilter(label=_("类别"), choices=Deed.Category.choices)
    source = django_filters.ChoiceFilter(label=_("来源"), choices=Deed.Source.choices)
    urgent = django_filters.BooleanFilter(label=_("急难愁盼"), widget=forms.CheckboxInput)
    overdue = django_filters.BooleanFilter(
        label=_("超期未办结"), method="filter_overdue", widget=forms.CheckboxInput
    )
    district = django_filters.ChoiceFilter(
        label=_("责任单位区县"), choices=[], field_name="unit__region"
    )
    opened_from = django_filters.DateFilter(
        label=_("登记日期起"), field_name="opened_on", lookup_expr="gte", widget=DATE
    )
    opened_to = django_filters.DateFilter(
        label=_("登记日期止"), field_name="opened_on", lookup_expr="lte", widget=DATE
    )

    class Meta:
        model = Deed
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(title__contains=value) | Q(location__contains=value))

    def filter_urgent(self, queryset, name, value):
        return queryset.filter(urgent=True) if value else queryset

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status__kind=Status.Kind.OPEN, promised_on__lt=timezone.localdate())

    def __init__(self, *args, districts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["urgent"].method = "filter_urgent"
        self.filters["district"].extra["choices"] = [(d, d) for d in districts if d]
        for f in self.form.fields.values():
            css = (
                "form-check-input"
                if isinstance(f.widget, forms.CheckboxInput)
                else ("form-select" if isinstance(f.widget, forms.Select) else "form-control")
            )
            f.widget.attrs.setdefault("class", css)


class DeedForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("实事名称"), max_length=120)
    content = forms.CharField(label=_("具体内容"), widget=forms.Textarea(attrs={"rows": 4}))
    source = forms.ChoiceField(label=_("来源"), choices=Deed.Source.choices)
    category = forms.ChoiceField(label=_("类别"), choices=Deed.Category.choices)
    urgent = forms.BooleanField(label=_("属于群众急难愁盼"), required=False)
    location = forms.CharField(
        label=_("地点"), max_length=120, help_text=_("如：某街道某小区；回头看据此判断问题是否反弹")
    )
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=OrgUnit.objects.none())
    cadre = forms.ModelChoiceField(
        label=_("责任干部"), queryset=Cadre.objects.none(), required=False
    )
    opened_on = forms.DateField(label=_("登记日期"), widget=DATE)
    promised_on = forms.DateField(label=_("承诺办结日期"), widget=DATE)
    lock_version = versioning.form_field()

    def __init__(self, *args, units=None, cadres=None, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else OrgUnit.objects.none()
        self.fields["unit"].label_from_instance = lambda u: u.short_name or u.name
        self.fields["cadre"].queryset = cadres if cadres is not None else Cadre.objects.none()
        self.fields["cadre"].label_from_instance = lambda c: (
            f"{c.name}（{c.unit.short_name or c.unit.name}）"
        )
        if editing:
            del self.fields["opened_on"]
        else:
            del self.fields["lock_version"]


class TargetForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("指标"), max_length=60, help_text=_("如：组建紧密型教育集团"))
    unit_label = forms.CharField(label=_("单位"), max_length=10, required=False)
    planned = forms.DecimalField(label=_("目标值"), **AMOUNT)


class EvidenceForm(BootstrapMixin, forms.Form):
    day = forms.DateField(label=_("日期"), widget=DATE)
    note = forms.CharField(label=_("进展情况"), widget=forms.Textarea(attrs={"rows": 3}))
    target = forms.ModelChoiceField(
        label=_("更新指标"), queryset=Target.objects.none(), required=False
    )
    value = forms.DecimalField(label=_("指标完成值"), required=False, **AMOUNT)
    photo = forms.FileField(
        label=_("照片"), required=False, help_text=_("jpg、png 或 webp，不超过 8 MB")
    )

    def __init__(self, *args, deed=None, **kwargs):
        super().__init__(*args, **kwargs)
        if deed is not None:
            self.fields["target"].queryset = deed.targets.all()
        self.fields["photo"].widget.attrs["accept"] = "image/jpeg,image/png,image/webp"


class StatusForm(BootstrapMixin, forms.Form):
    to_status = forms.ModelChoiceField(label=_("变更为"), queryset=Status.objects.all())
    day = forms.DateField(label=_("日期"), widget=DATE)
    note = forms.CharField(label=_("说明"), required=False, max_length=500)
    lock_version = versioning.form_field()


class LookBackForm(BootstrapMixin, forms.Form):
    YES_NO = [("1", _("是")), ("0", _("否"))]
    real_need = forms.TypedChoiceField(
        label=_("一看事实实不实：解决的是群众急难愁盼吗"),
        choices=YES_NO,
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    real_note = forms.CharField(label=_("核实情况"), widget=forms.Textarea(attrs={"rows": 2}))
    lasting = forms.TypedChoiceField(
        label=_("二看效果好不好：效果持续吗"),
        choices=YES_NO,
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    mechanism = forms.TypedChoiceField(
        label=_("建立了长效机制吗"),
        choices=YES_NO,
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    lasting_note = forms.CharField(
        label=_("效果与机制情况"), widget=forms.Textarea(attrs={"rows": 2})
    )
    happy_note = forms.CharField(
        label=_("三看群众乐不乐：评价情况"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    conclusion = forms.ChoiceField(
        label=_("结论"), choices=LookBack.Conclusion.choices, widget=forms.RadioSelect
    )
    tasks = forms.CharField(
        label=_("返工任务"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("回炉返工时填写，每行一项：任务 完成时限，如“更换二次供水泵 2027-06-20”"),
    )
    rework_deadline = forms.DateField(label=_("返工完成时限"), required=False, widget=DATE)

    def clean_tasks(self):
        from datetime import date

        rows = []
        for number, line in enumerate(self.cleaned_data["tasks"].splitlines(), start=1):
            line = line.strip()
            if not line:
                continue
            title, _sep, tail = line.rpartition(" ")
            try:
                deadline = date.fromisoformat(tail.strip())
            except ValueError:
                raise forms.ValidationError(
                    _("第 %(n)d 行“%(line)s”：请在任务后写完成时限，如 2027-06-20")
                    % {"n": number, "line": line}
                ) from None
            rows.append((title.strip(), deadline))
        return rows


class RectificationDoneForm(BootstrapMixin, forms.Form):
    action = forms.CharField(label=_("整改措施"), widget=forms.Textarea(attrs={"rows": 3}))


class CallbackForm(BootstrapMixin, forms.Form):
    day = forms.DateField(label=_("回访日期"), widget=DATE)
    note = forms.CharField(label=_("回访情况"), widget=forms.Textarea(attrs={"rows": 3}))


class AppealForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("申诉理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("说明评价为恶意或误评的依据，复核由组织部门作出"),
    )


class AppealDecisionForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("复核结论"), choices=Appeal.Decision.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("复核意见"), widget=forms.Textarea(attrs={"rows": 3}))


class PanelMemberForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=30)
    community = forms.CharField(label=_("所在社区或单位"), max_length=60, required=False)
    mobile = forms.CharField(label=_("手机号"), max_length=20, required=False)


LEVEL_CHOICES = Level.choices
RATING_CHANNELS = [c for c in Rating.Channel.choices if c[0] != Rating.Channel.PUBLIC]


class PolicyForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Policy
        fields = ["lookback_days", "recurrence_days", "rectify_working_days", "basic_weight"]


class StatusRowForm(BootstrapMixin, forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("状态名称"), max_length=20, required=False)
    kind = forms.ChoiceField(label=_("类型"), choices=Status.Kind.choices)


StatusFormSet = forms.formset_factory(StatusRowForm, extra=1)
