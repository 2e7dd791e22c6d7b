"""Forms of the assessment pages. Rules that only need the form's own values (weights that
add up, bands that descend) are checked here with a message that names the numbers; rules
that need the database are the services' (their AssessmentError is shown as it is)."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from guazhi.core import versioning
from guazhi.core.forms import BootstrapMixin

from .models import GRADES, Indicator, Policy, QuarterResult, Round

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SCORE = {"min_value": 0, "max_value": 100}


def source_choices(current: str = "") -> list[tuple[str, str]]:
    """The data sources offered now (the projects app registers its own when it lands); an
    indicator's source that is not offered yet stays selectable as it is."""
    from . import sources

    choices = sources.choices()
    if current and not sources.available(current):
        choices.append((current, sources.label(current)))
    return choices


class IndicatorForm(BootstrapMixin, forms.ModelForm):
    source = forms.ChoiceField(label=_("数据来源"), required=False)

    class Meta:
        model = Indicator
        fields = [
            "name",
            "dimension",
            "kind",
            "unit",
            "default_target",
            "source",
            "description",
            "is_active",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = source_choices(self.instance.source or "")
        self.fields["source"].help_text = Indicator._meta.get_field("source").help_text

    def clean(self):
        data = super().clean()
        if data.get("kind") == Indicator.Kind.QUALITATIVE:
            if data.get("source"):
                self.add_error("source", _("定性指标由考核人评分，不能设置数据来源"))
            data["unit"] = ""
            data["default_target"] = None
        elif data.get("kind") == Indicator.Kind.QUANTITATIVE and not data.get("unit"):
            self.add_error("unit", _("定量指标须填写单位，如 条、个、万元"))
        target = data.get("default_target")
        if target is not None and target <= 0:
            self.add_error("default_target", _("目标值须大于 0"))
        return data


RATER_WEIGHTS = ["weight_host", "weight_leader", "weight_org", "weight_peer", "weight_self"]


class PolicyForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Policy
        fields = [
            "quarter_good_cap",
            *RATER_WEIGHTS,
            "weight_indicators",
            "band_excellent",
            "band_competent",
            "band_basic",
            "excellent_quota",
            "quota_approval",
            "veto_integrity",
            "veto_poor_quarter",
            "excellent_needs_good_quarters",
        ]

    def clean(self):
        data = super().clean()
        self._reported = set()
        weights = [data.get(name) for name in RATER_WEIGHTS]
        if all(w is not None for w in weights) and sum(weights) != 100:
            self._reported.add("weight_self")
            self.add_error(
                None,
                _(
                    "五方评价权重之和须为 100：接收单位 %(host)s + 工作队 %(leader)s + "
                    "组织部门 %(org)s + 民主测评 %(peer)s + 个人自评 %(self)s = %(total)s"
                )
                % {
                    "host": weights[0],
                    "leader": weights[1],
                    "org": weights[2],
                    "peer": weights[3],
                    "self": weights[4],
                    "total": sum(weights),
                },
            )
        bands = [data.get("band_excellent"), data.get("band_competent"), data.get("band_basic")]
        if all(b is not None for b in bands) and not (100 >= bands[0] > bands[1] > bands[2] >= 0):
            self._reported.add("band_basic")
            self.add_error(
                None,
                _("分数线须在 0–100 之间从高到低：优秀 %(a)s > 称职 %(b)s > 基本称职 %(c)s")
                % {"a": bands[0], "b": bands[1], "c": bands[2]},
            )
        quota = data.get("excellent_quota")
        if quota is not None and quota > 20 and not (data.get("quota_approval") or "").strip():
            self._reported.add("quota_approval")
            self.add_error(
                "quota_approval",
                _("优秀比例 %(q)s%% 超过 20%%，须填写批准文件") % {"q": quota},
            )
        return data

    def _update_errors(self, errors):
        # Policy.clean() repeats the rules reported above (there with the numbers).
        if hasattr(errors, "error_dict"):
            for field in getattr(self, "_reported", ()):
                errors.error_dict.pop(field, None)
            if not errors.error_dict:
                return
        super()._update_errors(errors)


class PlanItemForm(BootstrapMixin, forms.Form):
    indicator = forms.ModelChoiceField(
        label=_("指标"), queryset=Indicator.objects.none(), required=False
    )
    weight = forms.DecimalField(
        label=_("权重"), required=False, min_value=0, max_value=100, decimal_places=2
    )
    target = forms.DecimalField(label=_("目标值"), required=False, min_value=0, decimal_places=2)

    def __init__(self, *args, indicators=None, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["indicator"]
        field.queryset = indicators if indicators is not None else Indicator.objects.none()
        field.label_from_instance = lambda i: (
            f"{i.get_dimension_display()} · {i.name}" + (f"（{i.unit}）" if i.unit else "")
        )
        self.fields["weight"].widget.attrs.update(inputmode="decimal", step="0.01")
        self.fields["target"].widget.attrs.update(inputmode="decimal", step="0.01")

    def clean(self):
        data = super().clean()
        if data.get("DELETE"):
            return data
        indicator = data.get("indicator")
        if indicator is None:
            if data.get("weight") is not None or data.get("target") is not None:
                self.add_error("indicator", _("请选择指标"))
            return data
        if data.get("weight") is None:
            self.add_error("weight", _("请填写权重"))
        return data


class BasePlanItemFormSet(forms.BaseFormSet):
    def __init__(self, *args, indicators=None, **kwargs):
        self.indicators = indicators
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        # Every row is read, also an unchanged one (rows hold no required field; blank rows
        # are skipped by items()).
        return {
            **super().get_form_kwargs(index),
            "indicators": self.indicators,
            "empty_permitted": False,
        }

    @property
    def empty_form(self):
        form = self.form(
            auto_id=self.auto_id,
            prefix=self.add_prefix("__prefix__"),
            empty_permitted=True,
            use_required_attribute=False,
            indicators=self.indicators,
        )
        self.add_fields(form, None)
        return form

    def items(self) -> list[tuple[Indicator, Decimal, Decimal | None]]:
        return [
            (f.cleaned_data["indicator"], f.cleaned_data["weight"], f.cleaned_data.get("target"))
            for f in self.forms
            if f.cleaned_data
            and not f.cleaned_data.get("DELETE")
            and f.cleaned_data.get("indicator") is not None
        ]

    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for indicator, _weight, _target in self.items():
            if indicator.pk in seen:
                raise forms.ValidationError(
                    _("指标“%(name)s”重复出现，每项指标只能列一次") % {"name": indicator.name}
                )
            seen.add(indicator.pk)


PlanItemFormSet = forms.formset_factory(
    PlanItemForm,
    formset=BasePlanItemFormSet,
    extra=3,
    can_delete=True,
    max_num=40,
    validate_max=True,
)


class PlanNoteForm(BootstrapMixin, forms.Form):
    note = forms.CharField(
        label=_("修改说明"),
        max_length=200,
        required=False,
        help_text=_("已确认或已审定的方案修改后生成新版本，须干部重新确认并审定"),
    )
    # Which plan version the page showed, and its edit version (core/versioning.py).
    plan = forms.IntegerField(widget=forms.HiddenInput, required=False)
    lock_version = versioning.form_field()


class QuarterProposeForm(BootstrapMixin, forms.Form):
    grade = forms.ChoiceField(label=_("等次"), choices=QuarterResult.Grade.choices)
    note = forms.CharField(
        label=_("评价意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RoundCreateForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=Round.Kind.choices)
    year = forms.IntegerField(label=_("考核年度"), min_value=2000, max_value=2100)
    period_start = forms.DateField(label=_("考核期起"), widget=DATE)
    period_end = forms.DateField(label=_("考核期止"), widget=DATE)

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("考核期止不能早于考核期起"))
        return data


class RatingForm(BootstrapMixin, forms.Form):
    political = forms.IntegerField(label=_("政治表现"), **SCORE)
    conduct = forms.IntegerField(label=_("能力作风"), **SCORE)
    performance = forms.IntegerField(label=_("工作实绩"), **SCORE)
    integrity = forms.IntegerField(label=_("廉洁自律"), **SCORE)
    comment = forms.CharField(
        label=_("评价意见"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    SCORES = ("political", "conduct", "performance", "integrity")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.SCORES:
            self.fields[name].widget.attrs.update(inputmode="numeric", min=0, max=100)


class SelfSummaryForm(BootstrapMixin, forms.Form):
    text = forms.CharField(
        label=_("个人总结"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("考核期内的主要工作、实绩、不足和今后打算，5000 字以内"),
    )


class IndicatorScoreForm(BootstrapMixin, forms.Form):
    """A hand-scored item: a qualitative one gets a score; a quantitative one the system does
    not compute gets its completed value (scored against the target) or a score."""

    value = forms.DecimalField(label=_("完成值"), required=False, min_value=0, decimal_places=2)
    score = forms.DecimalField(label=_("得分"), required=False, decimal_places=2, **SCORE)
    evidence = forms.CharField(label=_("依据"), max_length=5000, required=False)

    def __init__(self, *args, quantitative: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if not quantitative:
            del self.fields["value"]
            self.fields["score"].required = True
        else:
            self.fields["value"].widget.attrs.update(inputmode="decimal", step="0.01")
        self.fields["score"].widget.attrs.update(inputmode="decimal", step="0.01")

    def clean(self):
        data = super().clean()
        if "value" in self.fields and data.get("value") is None and data.get("score") is None:
            raise forms.ValidationError(_("请填写完成值或得分"))
        return data


class RoundDecisionForm(forms.Form):
    """The round table's editable columns: a grade, and the integrity finding with its note,
    per entry (fields grade_<id>, integrity_<id>, integrity_note_<id>)."""

    def __init__(self, *args, entries=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.entries = list(entries)
        for entry in self.entries:
            self.fields[f"grade_{entry.pk}"] = forms.ChoiceField(
                label=_("确定等次"),
                choices=[("", _("按建议等次"))] + [(g, g) for g in GRADES],
                required=False,
                initial=entry.grade,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields[f"integrity_{entry.pk}"] = forms.BooleanField(
                label=_("廉洁自律有问题"),
                required=False,
                initial=entry.integrity_finding,
                widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
            )
            self.fields[f"integrity_note_{entry.pk}"] = forms.CharField(
                label=_("情况说明"),
                max_length=300,
                required=False,
                initial=entry.integrity_note,
                widget=forms.TextInput(
                    attrs={"class": "form-control form-control-sm", "placeholder": _("情况说明")}
                ),
            )

    def rows(self):
        for entry in self.entries:
            yield (
                entry,
                self[f"grade_{entry.pk}"],
                self[f"integrity_{entry.pk}"],
                self[f"integrity_note_{entry.pk}"],
            )

    def grades(self) -> dict[int, str]:
        """Entry id → grade, for the entries whose grade was chosen."""
        return {
            entry.pk: self.cleaned_data[f"grade_{entry.pk}"]
            for entry in self.entries
            if self.cleaned_data.get(f"grade_{entry.pk}")
        }

    def integrity(self) -> dict[int, tuple[bool, str]]:
        return {
            entry.pk: (
                self.cleaned_data[f"integrity_{entry.pk}"],
                self.cleaned_data[f"integrity_note_{entry.pk}"].strip(),
            )
            for entry in self.entries
        }


class AppealForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=_("申诉理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5})
    )


class AppealDecideForm(BootstrapMixin, forms.Form):
    new_grade = forms.ChoiceField(label=_("复核等次"), choices=[(g, g) for g in GRADES])
    decision = forms.CharField(
        label=_("复核意见"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )


class RatingFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("状态"),
        required=False,
        choices=[("", _("全部")), ("pending", _("待评价")), ("done", _("已评价"))],
    )
    q = forms.CharField(label=_("姓名"), required=False, max_length=30)
