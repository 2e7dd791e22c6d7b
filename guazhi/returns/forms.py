from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from guazhi.core.forms import BootstrapMixin
from guazhi.programmes.models import Batch, Placement

from . import services
from .models import CareerEvent, FollowUp

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ReturnForm(BootstrapMixin, forms.Form):
    returned_on = forms.DateField(label=_("返岗日期"), widget=DATE)
    home_post = forms.CharField(label=_("返岗后职务"), max_length=100)
    tasks = forms.CharField(
        label=_("交任务"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("返岗后交给的重点任务"),
    )
    platforms = forms.CharField(
        label=_("搭平台"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("为其搭建的发挥作用的平台"),
    )


class FollowUpForm(BootstrapMixin, forms.Form):
    done_on = forms.DateField(label=_("评价日期"), widget=DATE)
    result = forms.ChoiceField(
        label=_("评价结果"), choices=[("", "---------"), *FollowUp.Result.choices]
    )
    evaluation = forms.CharField(
        label=_("评价意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


class CareerEventForm(BootstrapMixin, forms.Form):
    cadre = forms.ModelChoiceField(label=_("干部"), queryset=None)
    kind = forms.ChoiceField(label=_("类型"), choices=CareerEvent.Kind.choices)
    date = forms.DateField(label=_("日期"), widget=DATE)
    description = forms.CharField(
        label=_("内容"), max_length=200, help_text=_("如：提拔为某局副局长")
    )
    document_number = forms.CharField(
        label=_("文号"), max_length=60, required=False, help_text=_("提拔、重用须填写任免文号")
    )
    placement = forms.ModelChoiceField(
        label=_("挂职经历"),
        queryset=None,
        required=False,
        empty_label=_("默认：该干部最近一次已结束的挂职"),
        help_text=_("该事件所跟踪的那次挂职；只统计到岗之后的事件"),
    )

    def __init__(self, *args, cadres, cadre=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = cadres.select_related("unit")
        self.fields["cadre"].label_from_instance = lambda c: (
            f"{c.name}（{c.unit.short_name or c.unit.name}）"
        )
        placements = Placement.objects.select_related("batch__programme", "post", "cadre")
        if cadre is not None:
            self.fields["cadre"].initial = cadre.pk
            placements = placements.filter(cadre=cadre)
        else:
            placements = placements.filter(cadre__in=cadres)
        self.fields["placement"].queryset = placements.order_by("cadre__name", "-start")
        self.fields["placement"].label_from_instance = lambda p: (
            ("" if cadre is not None else f"{p.cadre.name}：")
            + f"{p.batch.programme.name} {p.batch.label} · {p.post.title}"
            + f"（{p.get_status_display()}）"
        )

    def clean(self):
        data = super().clean()
        cadre, placement = data.get("cadre"), data.get("placement")
        if cadre and placement and placement.cadre_id != cadre.pk:
            self.add_error("placement", _("所选挂职经历不是该干部的"))
        return data


class LedgerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("姓名"), field_name="cadre__name", lookup_expr="contains")
    batch = django_filters.ModelChoiceFilter(label=_("批次"), queryset=Batch.objects.none())
    returned = django_filters.ChoiceFilter(
        label=_("返岗登记"),
        choices=[("yes", _("已登记返岗")), ("no", _("未登记返岗"))],
        method="filter_returned",
    )
    follow_up = django_filters.ChoiceFilter(
        label=_("跟踪评价"),
        choices=[("due", _("14天内到期或已逾期")), ("overdue", _("已逾期"))],
        method="filter_follow_up",
    )

    class Meta:
        model = Placement
        fields = ["q", "batch", "returned", "follow_up"]

    def __init__(self, *args, batches=None, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.filters["batch"].queryset = batches if batches is not None else Batch.objects.none()
        for f in self.form.fields.values():
            f.widget.attrs.setdefault(
                "class", "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            )

    def filter_returned(self, queryset, name, value):
        if value == "yes":
            return queryset.filter(return_record__isnull=False)
        if value == "no":
            return queryset.filter(return_record__isnull=True)
        return queryset

    def filter_follow_up(self, queryset, name, value):
        if value not in ("due", "overdue"):
            return queryset
        q = services.open_follow_ups_q(self.today, overdue_only=value == "overdue")
        return queryset.filter(
            Exists(FollowUp.objects.filter(q, return_record__placement=OuterRef("pk")))
        )
