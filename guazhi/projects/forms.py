"""Forms of the project pages. They only parse input; the rules are in services.py, whose
ProjectError messages the views put on the field they name."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from guazhi.core import versioning
from guazhi.core.forms import BootstrapMixin
from guazhi.programmes.models import Batch

from .models import (
    Blocker,
    Credit,
    Enterprise,
    Event,
    Light,
    Project,
    Sector,
    Stage,
    Task,
    TaskForceMember,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
AMOUNT = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


def _user_label(u) -> str:
    unit = u.unit.short_name or u.unit.name if u.unit_id else ""
    return f"{u.full_name or u.username}（{unit}）" if unit else (u.full_name or u.username)


def _cadre_label(c) -> str:
    return f"{c.name}（{c.unit.short_name or c.unit.name}）"


def _unit_label(u) -> str:
    return u.short_name or u.name


def apply_errors(form: forms.Form, exc) -> None:
    """Put a ProjectError's messages on the fields they name (the form's top otherwise); a
    stale edit (versioning.StaleEdit) goes on top."""
    for field, message in getattr(exc, "errors", {"": str(exc)}).items():
        form.add_error(field if field in form.fields else None, message)


# --- lists -----------------------------------------------------------------------------------


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("项目或企业"), method="filter_q")
    stage = django_filters.ModelChoiceFilter(label=_("阶段"), queryset=Stage.objects.none())
    light = django_filters.ChoiceFilter(
        label=_("红黄绿灯"), choices=Light.choices, method="filter_light"
    )
    district = django_filters.ChoiceFilter(label=_("拟落地区县"), choices=[])
    sector = django_filters.ChoiceFilter(label=_("行业"), choices=Sector.choices)
    batch = django_filters.ModelChoiceFilter(label=_("批次"), queryset=Batch.objects.none())
    cadre = django_filters.CharFilter(label=_("干部"), method="filter_cadre")
    mine = django_filters.BooleanFilter(
        label=_("只看我负责的"), method="filter_mine", widget=forms.CheckboxInput
    )
    found_from = django_filters.DateFilter(
        label=_("发现日期起"), field_name="found_on", lookup_expr="gte", widget=DATE
    )
    found_to = django_filters.DateFilter(
        label=_("发现日期止"), field_name="found_on", lookup_expr="lte", widget=DATE
    )

    class Meta:
        model = Project
        fields = [
            "q", "stage", "light", "district", "sector", "batch", "cadre", "mine",
            "found_from", "found_to",
        ]  # fmt: skip

    def __init__(self, *args, programme=None, batches=None, districts=(), user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        stages = Stage.objects.filter(programme=programme) if programme else Stage.objects.none()
        self.filters["stage"].queryset = stages.order_by("order")
        self.filters["batch"].queryset = batches if batches is not None else Batch.objects.none()
        self.filters["batch"].field.label_from_instance = lambda b: b.label
        self.filters["district"].extra["choices"] = [(d, d) for d in districts]
        for f in self.form.fields.values():
            if isinstance(f.widget, forms.CheckboxInput):
                f.widget.attrs.setdefault("class", "form-check-input")
            else:
                f.widget.attrs.setdefault(
                    "class", "form-select" if isinstance(f.widget, forms.Select) else "form-control"
                )

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__contains=value) | Q(enterprise__name__contains=value))

    def filter_light(self, queryset, name, value):
        # The view annotates `light` before filtering.
        return queryset.filter(light=value) if value else queryset

    def filter_cadre(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            pk__in=Credit.objects.filter(cadre__name__contains=value).values("project_id")
        )

    def filter_mine(self, queryset, name, value):
        if not value or self.user is None:
            return queryset
        return queryset.filter(owner=self.user)


class EnterpriseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("名称或信用代码"), method="filter_q")
    sector = django_filters.ChoiceFilter(label=_("行业"), choices=Sector.choices)

    class Meta:
        model = Enterprise
        fields = ["q", "sector"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.form.fields.values():
            f.widget.attrs.setdefault(
                "class", "form-select" if isinstance(f.widget, forms.Select) else "form-control"
            )

    def filter_q(self, queryset, name, value):
        value = value.strip().upper()
        if not value:
            return queryset
        return queryset.filter(Q(name__contains=value.strip()) | Q(credit_code__contains=value))


# --- projects --------------------------------------------------------------------------------


class ProjectForm(BootstrapMixin, forms.Form):
    programme = forms.ModelChoiceField(label=pgettext_lazy("field", "选派项目"), queryset=None)
    title = forms.CharField(label=_("项目名称"), max_length=120)
    enterprise = forms.ModelChoiceField(
        label=_("企业"),
        queryset=Enterprise.objects.all(),
        required=False,
        help_text=_("企业库中没有的，请先在“企业库”登记"),
    )
    sector = forms.ChoiceField(label=_("行业"), choices=Sector.choices)
    district = forms.CharField(
        label=_("拟落地区县"), max_length=30, widget=forms.TextInput(attrs={"list": "districts"})
    )
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=None)
    owner = forms.ModelChoiceField(label=_("责任人"), queryset=None)
    found_by = forms.ModelChoiceField(
        label=_("线索发现人"),
        queryset=None,
        required=False,
        help_text=_("发现线索的挂职干部，记为其“发现线索”贡献"),
    )
    found_on = forms.DateField(label=_("发现日期"), widget=DATE)
    channel = forms.ChoiceField(label=_("线索来源"), choices=Project.Channel.choices)
    source_note = forms.CharField(
        label=_("来源说明"), max_length=300, required=False, help_text=_("如：走访时企业负责人提出")
    )
    planned_amount = forms.DecimalField(label=_("计划投资（万元）"), required=False, **AMOUNT)
    batch = forms.ModelChoiceField(
        label=_("批次"),
        queryset=None,
        required=False,
        empty_label=_("按发现人当时所在批次"),
    )
    description = forms.CharField(
        label=_("项目简介"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    lock_version = versioning.form_field()

    def __init__(self, *args, programmes, units, owners, cadres, batches, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes
        self.fields["unit"].queryset = units
        self.fields["unit"].label_from_instance = _unit_label
        self.fields["owner"].queryset = owners.select_related("unit").order_by("unit__path", "pk")
        self.fields["owner"].label_from_instance = _user_label
        self.fields["found_by"].queryset = cadres.select_related("unit").order_by("name")
        self.fields["found_by"].label_from_instance = _cadre_label
        self.fields["batch"].queryset = batches
        self.fields["batch"].label_from_instance = lambda b: f"{b.programme.name} {b.label}"
        if editing:
            for name in ("programme", "found_by", "found_on"):
                del self.fields[name]
        else:
            del self.fields["lock_version"]


class MoveForm(BootstrapMixin, forms.Form):
    to_stage = forms.ModelChoiceField(label=_("变更到阶段"), queryset=None)
    day = forms.DateField(label=_("日期"), widget=DATE)
    note = forms.CharField(
        label=_("说明"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("回退须说明原因"),
    )
    # Evidence (shown for the stages that ask for it).
    signed_on = forms.DateField(label=_("签约日期"), widget=DATE, required=False)
    signed_amount = forms.DecimalField(label=_("签约金额（万元）"), required=False, **AMOUNT)
    agreement_number = forms.CharField(label=_("协议编号"), max_length=60, required=False)
    event = forms.ModelChoiceField(
        label=_("签约活动"),
        queryset=Event.objects.none(),
        required=False,
        empty_label=_("非活动签约"),
    )
    landed_on = forms.DateField(label=_("落地（注册或开工）日期"), widget=DATE, required=False)
    landed_amount = forms.DecimalField(label=_("到位资金（万元）"), required=False, **AMOUNT)
    landing_form = forms.ChoiceField(
        label=_("落地形式"),
        choices=[("", "---------"), *Project.LandingForm.choices],
        required=False,
    )
    production_on = forms.DateField(label=_("投产日期"), widget=DATE, required=False)
    lock_version = versioning.form_field()

    GROUPS = {
        Stage.Evidence.SIGNING: ["signed_on", "signed_amount", "agreement_number", "event"],
        Stage.Evidence.LANDING: ["landed_on", "landed_amount", "landing_form"],
        Stage.Evidence.PRODUCTION: ["production_on"],
    }

    def __init__(self, *args, project, stages, events, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_stage"].queryset = stages.exclude(pk=project.stage_id)
        self.fields["to_stage"].widget.attrs["data-move-target"] = "1"
        self.fields["event"].queryset = events

    def evidence(self) -> dict:
        data = self.cleaned_data
        names = [n for group in self.GROUPS.values() for n in group]
        values = {n: data.get(n) for n in names}
        # Blank text means "not given" (None keeps what the project has).
        for n in ("agreement_number", "landing_form"):
            if not values[n]:
                values[n] = None
        return values


class TerminateForm(BootstrapMixin, forms.Form):
    reason = forms.ChoiceField(label=_("终止原因"), choices=[])
    note = forms.CharField(
        label=_("说明"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    day = forms.DateField(label=_("终止日期"), widget=DATE)
    lock_version = versioning.form_field()

    def __init__(self, *args, reasons, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].choices = [("", "---------"), *((r, r) for r in reasons)]


class ReopenForm(BootstrapMixin, forms.Form):
    note = forms.CharField(
        label=_("重新启动的原因"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    day = forms.DateField(label=_("日期"), widget=DATE)
    lock_version = versioning.form_field()


class MemberForm(BootstrapMixin, forms.Form):
    role = forms.ChoiceField(label=_("专班职责"), choices=TaskForceMember.Role.choices)
    cadre = forms.ModelChoiceField(label=_("干部"), queryset=None, required=False)
    unit = forms.ModelChoiceField(
        label=_("或单位"), queryset=None, required=False, help_text=_("干部和单位二选一")
    )
    contact = forms.CharField(label=_("单位联系人"), max_length=30, required=False)
    note = forms.CharField(label=_("分工说明"), max_length=200, required=False)

    def __init__(self, *args, cadres, units, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = cadres.select_related("unit").order_by("name")
        self.fields["cadre"].label_from_instance = _cadre_label
        self.fields["unit"].queryset = units.order_by("path")
        self.fields["unit"].label_from_instance = _unit_label


class TaskForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("任务"), max_length=120)
    owner = forms.ModelChoiceField(label=_("责任人"), queryset=None)
    deadline = forms.DateField(label=_("完成时限"), widget=DATE)
    status = forms.ChoiceField(label=_("状态"), choices=Task.Status.choices, required=False)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)

    def __init__(self, *args, owners, creating=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners.select_related("unit").order_by("unit__path", "pk")
        self.fields["owner"].label_from_instance = _user_label
        if creating:
            del self.fields["status"]


class TaskProgressForm(BootstrapMixin, forms.Form):
    """What the task's owner (who may not manage the project) reports."""

    status = forms.ChoiceField(label=_("状态"), choices=Task.Status.choices)
    note = forms.CharField(label=_("说明"), max_length=300, required=False)


class BlockerForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("问题"), max_length=120)
    detail = forms.CharField(
        label=_("具体情况"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    owner = forms.ModelChoiceField(label=_("责任人"), queryset=None)
    deadline = forms.DateField(
        label=_("解决时限"), widget=DATE, required=False, help_text=_("不填则按项目规则的默认天数")
    )

    def __init__(self, *args, owners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owners.select_related("unit").order_by("unit__path", "pk")
        self.fields["owner"].label_from_instance = _user_label


class BlockerActionForm(BootstrapMixin, forms.Form):
    ACTIONS = [
        ("respond", _("受理并说明")),
        ("escalate", _("提交绿色通道")),
        ("resolve", _("已解决")),
    ]
    action = forms.ChoiceField(label=_("操作"), choices=ACTIONS)
    note = forms.CharField(
        label=_("说明"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("受理说明、提交绿色通道的理由或解决情况"),
    )


class UpdateForm(BootstrapMixin, forms.Form):
    day = forms.DateField(label=_("日期"), widget=DATE)
    content = forms.CharField(
        label=_("跟进情况"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CreditForm(BootstrapMixin, forms.Form):
    cadre = forms.ModelChoiceField(label=_("干部"), queryset=None)
    role = forms.ChoiceField(label=_("贡献"), choices=Credit.Role.choices)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)

    def __init__(self, *args, cadres, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = cadres.select_related("unit").order_by("name")
        self.fields["cadre"].label_from_instance = _cadre_label


# --- enterprises and events ------------------------------------------------------------------


class EnterpriseForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("企业名称"), max_length=100)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=40, help_text=_("18 位，末位为校验码")
    )
    sector = forms.ChoiceField(label=_("行业"), choices=Sector.choices)
    city = forms.CharField(label=_("总部所在城市"), max_length=30)
    address = forms.CharField(label=_("地址"), max_length=120, required=False)
    note = forms.CharField(
        label=_("备注"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ContactForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("联系人"), max_length=30)
    title = forms.CharField(label=_("职务"), max_length=40, required=False)
    mobile = forms.CharField(
        label=_("手机号"), max_length=20, required=False, help_text=_("加密保存，列表中脱敏显示")
    )

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["mobile"].help_text = _("留空则保留原号码")


class EventForm(BootstrapMixin, forms.Form):
    programme = forms.ModelChoiceField(label=pgettext_lazy("field", "选派项目"), queryset=None)
    name = forms.CharField(label=_("活动名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=Event.Kind.choices)
    day = forms.DateField(label=_("日期"), widget=DATE)
    place = forms.CharField(label=_("地点"), max_length=100, required=False)
    note = forms.CharField(
        label=_("说明"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args, programmes, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = programmes


class EventSigningForm(BootstrapMixin, forms.Form):
    """Sign a project at the event: moves it to the signing stage with the event's date."""

    project = forms.ModelChoiceField(label=_("项目"), queryset=None)
    signed_amount = forms.DecimalField(label=_("签约金额（万元）"), **AMOUNT)
    agreement_number = forms.CharField(label=_("协议编号"), max_length=60, required=False)

    def __init__(self, *args, projects, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["project"].queryset = projects.select_related("stage").order_by("title")
        self.fields["project"].label_from_instance = lambda p: f"{p.title}（{p.stage.name}）"


class PolicyForm(BootstrapMixin, forms.Form):
    yellow_days = forms.IntegerField(label=_("黄灯天数"), min_value=1, max_value=3650)
    red_days = forms.IntegerField(label=_("红灯天数"), min_value=1, max_value=3650)
    blocker_days = forms.IntegerField(label=_("问题默认办结时限（天）"), min_value=1, max_value=365)
    termination_reasons = forms.CharField(
        label=_("终止原因"), widget=forms.Textarea(attrs={"rows": 6}), help_text=_("每行一个")
    )


class StageRowForm(BootstrapMixin, forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    name = forms.CharField(label=_("阶段名称"), max_length=20, required=False)
    evidence = forms.ChoiceField(
        label=_("需要的佐证"), choices=Stage.Evidence.choices, required=False
    )
    remove = forms.BooleanField(label=_("删除"), required=False)


StageFormSet = forms.formset_factory(StageRowForm, extra=2, max_num=20)


class BlockerFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=Blocker.Status.choices)

    class Meta:
        model = Blocker
        fields = ["status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.form.fields.values():
            f.widget.attrs.setdefault("class", "form-select")
