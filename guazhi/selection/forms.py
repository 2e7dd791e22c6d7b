from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from guazhi.core.forms import BootstrapMixin
from guazhi.core.models import Role
from guazhi.programmes.models import Batch

from .models import Nomination, ReviewLevel


class NominationFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("姓名"), field_name="cadre__name", lookup_expr="contains")
    batch = django_filters.ModelChoiceFilter(label=_("批次"), queryset=Batch.objects.none())
    status = django_filters.ChoiceFilter(label=_("状态"), choices=Nomination.Status.choices)
    waiting = django_filters.ChoiceFilter(
        label=_("只看待我审核"),
        method="only_waiting",
        choices=[("1", _("是"))],
        empty_label=_("全部"),
    )

    class Meta:
        model = Nomination
        fields = ["q", "batch", "status", "waiting"]

    def __init__(self, *args, batches=None, waiting_q=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.waiting_q = waiting_q
        self.filters["batch"].queryset = batches if batches is not None else Batch.objects.none()
        for f in self.form.fields.values():
            f.widget.attrs.setdefault(
                "class", "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            )

    def only_waiting(self, queryset, name, value):
        return queryset.filter(self.waiting_q) if value and self.waiting_q is not None else queryset


class NominationForm(BootstrapMixin, forms.Form):
    batch = forms.ModelChoiceField(label=_("批次"), queryset=Batch.objects.none())
    cadre = forms.ModelChoiceField(
        label=_("推荐干部"),
        queryset=None,
        error_messages={
            "invalid_choice": _(
                "该干部不能推荐到所选批次：不在您的推荐范围内、正在挂职或已被推荐到该批次"
            )
        },
    )
    reason = forms.CharField(
        label=_("推荐理由"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("写明政治表现、专业经历与拟挂职岗位的契合点"),
    )

    def __init__(self, *args, batches, cadres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["batch"].queryset = batches
        self.fields["cadre"].queryset = cadres.select_related("unit").order_by("unit__path", "name")
        self.fields["cadre"].label_from_instance = lambda c: (
            f"{c.name}（{c.unit.short_name or c.unit.name}，{c.birth:%Y.%m}）"
        )


class DecisionForm(BootstrapMixin, forms.Form):
    approve = forms.TypedChoiceField(
        label=_("审核结果"),
        choices=[("1", _("通过")), ("0", _("不通过"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
    )
    opinion = forms.CharField(
        label=_("审核意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("不通过时必须写明理由"),
    )
    document_number = forms.CharField(label=_("备案文号"), max_length=60, required=False)
    document_date = forms.DateField(
        label=_("备案日期"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, level: ReviewLevel | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if level is None or not level.needs_document:
            del self.fields["document_number"]
            del self.fields["document_date"]

    def clean(self):
        data = super().clean()
        if data.get("approve") is False and not (data.get("opinion") or "").strip():
            self.add_error("opinion", _("不通过时须填写理由"))
        if data.get("approve") and "document_number" in self.fields:
            if not (data.get("document_number") or "").strip():
                self.add_error("document_number", _("本级须登记备案文号"))
            if not data.get("document_date"):
                self.add_error("document_date", _("本级须登记备案日期"))
        return data


class WithdrawForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("撤回原因"), max_length=500)


class LevelForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ReviewLevel
        fields = ["name", "role", "assigns_post", "needs_document"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].queryset = Role.objects.filter(kind=Role.Kind.BUSINESS)


LevelFormSet = forms.modelformset_factory(
    ReviewLevel, form=LevelForm, extra=1, can_delete=True, max_num=8, validate_max=True
)
