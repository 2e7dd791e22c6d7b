from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from guazhi.core.forms import BootstrapMixin

from . import services
from .models import DailyRecord


class WeekField(forms.CharField):
    """An ISO week ("2027-W19", as an <input type="week"> sends it), cleaned to its Monday."""

    widget = forms.TextInput(attrs={"type": "week", "placeholder": "2027-W19"})

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        monday = services.parse_week(value)
        if monday is None:
            raise forms.ValidationError(_("周次格式应为 2027-W19"), code="invalid")
        return monday


class WeekFilter(django_filters.Filter):
    field_class = WeekField


class RecordForm(BootstrapMixin, forms.ModelForm):
    """What the cadre writes; the date rules (not in the future, not before the placement)
    are the service's."""

    class Meta:
        model = DailyRecord
        fields = ["date", "category", "content", "linked"]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "content": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, placement=None, compact: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["date"].widget.attrs["max"] = f"{today:%Y-%m-%d}"
        if placement is not None:
            self.fields["date"].widget.attrs["min"] = f"{placement.start:%Y-%m-%d}"
            self.fields["date"].help_text = _("不晚于今天，不早于到岗日期 %(d)s") % {
                "d": f"{placement.start:%Y-%m-%d}"
            }
        self.fields["category"].choices = [("", _("请选择")), *DailyRecord.Category.choices]
        if not self.instance.pk and not self.is_bound:
            self.initial.setdefault("date", today)
        self.fields["content"].max_length = services.CONTENT_MAX
        self.fields["content"].widget.attrs.update(
            maxlength=services.CONTENT_MAX,
            placeholder=_("今天做了什么：走访了哪家企业、谈了什么、有何进展"),
        )
        if compact:
            self.fields["content"].widget.attrs["rows"] = 3
            self.fields["linked"].help_text = ""
            self.fields["linked"].widget.attrs["placeholder"] = _("关联企业或项目（选填）")


class CommentForm(BootstrapMixin, forms.Form):
    comment = forms.CharField(
        label=_("点评意见"),
        max_length=services.COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    evidence = forms.ChoiceField(
        label=_("实绩标记"),
        choices=DailyRecord.Evidence.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("标记为正面实绩或负面情况后，本人不能再修改或删除这条纪实。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].widget.attrs["class"] = "form-check-input"


YES = [("", _("全部")), ("true", _("是"))]


class RecordFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("姓名"), field_name="cadre__name", lookup_expr="contains")
    category = django_filters.ChoiceFilter(
        label=_("类别"), choices=DailyRecord.Category.choices, empty_label=_("全部")
    )
    week = WeekFilter(label=_("周次"), method="in_week")
    since = django_filters.DateFilter(
        label=_("起始日期"),
        field_name="date",
        lookup_expr="gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label=_("截止日期"),
        field_name="date",
        lookup_expr="lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    evidence = django_filters.ChoiceFilter(
        label=_("实绩标记"),
        empty_label=_("全部"),
        choices=[
            ("positive", _("正面实绩")),
            ("negative", _("负面情况")),
            ("none", _("未标记")),
        ],
        method="with_evidence",
    )
    uncommented = django_filters.ChoiceFilter(
        label=_("只看未点评"),
        choices=[("true", _("是"))],
        empty_label=_("全部"),
        method="only_uncommented",
    )

    class Meta:
        model = DailyRecord
        fields = ["q", "category", "week", "since", "until", "evidence", "uncommented"]

    def __init__(self, *args, own: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if own:  # a cadre's own records: no names to search, his own comments are no task
            del self.filters["q"]
            del self.filters["uncommented"]
        for f in self.form.fields.values():
            f.widget.attrs.setdefault(
                "class", "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            )

    def in_week(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(date__gte=value, date__lte=value + timedelta(days=6))

    def with_evidence(self, queryset, name, value):
        if value == "none":
            return queryset.filter(evidence="")
        return queryset.filter(evidence=value) if value else queryset

    def only_uncommented(self, queryset, name, value):
        return queryset.filter(commented_at__isnull=True) if value == "true" else queryset


class WeekForm(BootstrapMixin, forms.Form):
    """The weekly page's choice of week (and of batch, for viewers who see several)."""

    week = WeekField(label=_("周次"), required=False)
    batch = forms.ModelChoiceField(label=_("批次"), queryset=None, required=False)
    missing = forms.ChoiceField(label=_("只看无纪实"), choices=YES, required=False)

    def __init__(self, *args, batches=None, **kwargs):
        super().__init__(*args, **kwargs)
        if batches is None:
            del self.fields["batch"]
        else:
            self.fields["batch"].queryset = batches
            self.fields["batch"].empty_label = _("全部批次")
