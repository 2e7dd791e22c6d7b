from __future__ import annotations

import django_filters
from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from guazhi.cadres.models import Cadre
from guazhi.core.forms import BootstrapMixin
from guazhi.core.models import OrgUnit
from guazhi.programmes.models import Batch, Programme

from . import services
from .models import Meeting, MeetingType, RhythmRule, WorkTeam

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _user_label(user) -> str:
    unit = user.unit.short_name or user.unit.name if user.unit_id else ""
    name = user.full_name or user.username
    return f"{name}（{unit}）" if unit else name


class TeamForm(BootstrapMixin, forms.Form):
    batch = forms.ModelChoiceField(
        label=_("批次"),
        queryset=Batch.objects.none(),
        help_text=_("每个批次一支工作队；工作队成员即该批次已到岗的挂职干部"),
    )
    name = forms.CharField(label=_("名称"), max_length=60)
    unit = forms.ModelChoiceField(
        label=_("所属单位"),
        queryset=OrgUnit.objects.none(),
        help_text=_("工作队在组织机构中的单位，如 沈阳市赴京挂职干部工作队"),
    )
    leader = forms.ModelChoiceField(
        label=_("队长"),
        queryset=services.leader_candidates().none(),
        help_text=_("须持有“工作队队长”角色"),
    )
    deputies = forms.ModelMultipleChoiceField(
        label=_("副队长"),
        queryset=services.deputy_candidates().none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, team: WorkTeam | None = None, **kwargs):
        if team is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": team.name,
                    "unit": team.unit_id,
                    "leader": team.leader_id,
                    "deputies": list(team.deputies.values_list("pk", flat=True)),
                },
            )
        super().__init__(*args, **kwargs)
        self.team = team
        if team is None:
            self.fields["batch"].queryset = Batch.objects.filter(team__isnull=True).select_related(
                "programme"
            )
        else:
            del self.fields["batch"]
        self.fields["unit"].queryset = OrgUnit.objects.filter(is_active=True)
        self.fields["leader"].queryset = services.leader_candidates().select_related("unit")
        self.fields["leader"].label_from_instance = _user_label
        self.fields["deputies"].queryset = services.deputy_candidates().select_related("unit")
        self.fields["deputies"].label_from_instance = _user_label

    def clean(self):
        data = super().clean()
        leader, deputies = data.get("leader"), data.get("deputies") or []
        if leader and leader in deputies:
            self.add_error("deputies", gettext("队长不能同时是副队长"))
        return data


class BranchForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("名称"), max_length=60)
    founded_on = forms.DateField(label=_("成立日期"), required=False, widget=DATE)
    secretary = forms.ModelChoiceField(
        label=_("书记"), queryset=Cadre.objects.none(), required=False
    )
    committee = forms.ModelMultipleChoiceField(
        label=_("支委委员"),
        queryset=Cadre.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, team: WorkTeam, **kwargs):
        branch = getattr(team, "branch", None)
        if branch is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": branch.name,
                    "founded_on": branch.founded_on,
                    "secretary": branch.secretary_id,
                    "committee": list(branch.committee.values_list("pk", flat=True)),
                },
            )
        else:
            kwargs.setdefault("initial", {"name": gettext("%(team)s临时党支部") % {"team": team}})
        super().__init__(*args, **kwargs)
        members = services.party_members(team)
        self.fields["secretary"].queryset = members
        self.fields["committee"].queryset = members
        self.fields["secretary"].help_text = gettext("从本工作队的党员中选择")

    def clean_founded_on(self):
        day = self.cleaned_data.get("founded_on")
        if day and day > timezone.localdate():
            raise forms.ValidationError(gettext("成立日期不能晚于今天"))
        return day


ATTENDANCE_CHOICES = [("present", _("出席")), ("absent", _("缺席"))]


class MeetingForm(BootstrapMixin, forms.ModelForm):
    """The meeting and, once it has been held, a row per expected attendee: present, or
    absent with a reason. The rows follow the kind and date entered (Party meetings: the
    branch's Party members; study and research: everyone on post that day)."""

    class Meta:
        model = Meeting
        fields = ["kind", "date", "place", "topic", "host", "minutes"]
        widgets = {"date": DATE, "minutes": forms.Textarea(attrs={"rows": 8})}

    def __init__(self, *args, team: WorkTeam, today=None, refresh_url: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        if refresh_url:
            # Changing the kind or the date redraws the attendance rows (htmx).
            for name in ("kind", "date"):
                self.fields[name].widget.attrs.update(
                    {
                        "hx-get": refresh_url,
                        "hx-trigger": "change",
                        "hx-target": "#attendance",
                        "hx-include": "#id_kind, #id_date, .attendance-input",
                    }
                )
        self.today = today or timezone.localdate()
        self.attendees = []
        kind, day = self._kind_and_date()
        self.planned = day is not None and day > self.today
        if kind and day and not self.planned:
            self.attendees = list(services.expected_attendees(team, kind, day))
        existing = {}
        if self.instance.pk:
            existing = {a.cadre_id: a for a in self.instance.attendance.all()}
        for cadre in self.attendees:
            row = existing.get(cadre.pk)
            state = "present" if row is None or row.present else "absent"
            self.fields[f"att_{cadre.pk}"] = forms.ChoiceField(
                label=cadre.name,
                choices=ATTENDANCE_CHOICES,
                initial=state,
                widget=forms.RadioSelect(attrs={"class": "form-check-input attendance-input"}),
                error_messages={
                    "required": gettext("请登记 %(name)s 的出席情况") % {"name": cadre.name}
                },
            )
            self.fields[f"reason_{cadre.pk}"] = forms.CharField(
                label=gettext("%(name)s 缺席原因") % {"name": cadre.name},
                max_length=100,
                required=False,
                initial=row.absence_reason if row is not None else "",
                widget=forms.TextInput(
                    attrs={
                        "class": "form-control form-control-sm attendance-input",
                        "placeholder": gettext("缺席时填写原因"),
                    }
                ),
            )

    def _kind_and_date(self):
        """The kind and date the rows are built for: as submitted, else as stored."""
        source = self.data if self.is_bound else None
        kind = day = None
        if source is not None:
            kind = source.get(self.add_prefix("kind"))
            try:
                day = self.fields["date"].to_python(source.get(self.add_prefix("date")))
            except forms.ValidationError:
                day = None
        else:
            kind = self.initial.get("kind") or (self.instance.kind if self.instance.pk else None)
            day = self.initial.get("date") or (self.instance.date if self.instance.pk else None)
            if isinstance(day, str):
                try:
                    day = self.fields["date"].to_python(day)
                except forms.ValidationError:
                    day = None
        if kind not in MeetingType.values:
            kind = None
        return kind, day

    def main_fields(self):
        return [self[name] for name in ("kind", "date", "place", "host")]

    def rows(self):
        """(cadre, attendance field, reason field) for the template."""
        return [(c, self[f"att_{c.pk}"], self[f"reason_{c.pk}"]) for c in self.attendees]

    def clean(self):
        data = super().clean()
        for cadre in self.attendees:
            state = data.get(f"att_{cadre.pk}")
            reason = (data.get(f"reason_{cadre.pk}") or "").strip()
            if state == "absent" and not reason:
                self.add_error(
                    f"reason_{cadre.pk}",
                    gettext("%(name)s 缺席，请填写缺席原因") % {"name": cadre.name},
                )
        return data

    def marks(self) -> dict[int, services.Mark]:
        data = self.cleaned_data
        return {
            c.pk: services.Mark(
                data.get(f"att_{c.pk}") == "present", data.get(f"reason_{c.pk}") or ""
            )
            for c in self.attendees
        }

    def attendance_errors(self) -> list[str]:
        errors = []
        for cadre in self.attendees:
            for name in (f"att_{cadre.pk}", f"reason_{cadre.pk}"):
                errors.extend(self.errors.get(name, []))
        return errors


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("附件"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        exts = ",".join(f".{e}" for e in services.ALLOWED_TYPES)
        self.fields["file"].widget.attrs.update({"class": "form-control", "accept": exts})


class PairingForm(BootstrapMixin, forms.Form):
    members = forms.ModelMultipleChoiceField(
        label=_("结对成员"),
        queryset=Cadre.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("两人结对，或三五人一组"),
    )
    goals = forms.CharField(
        label=_("帮带目标"), max_length=2000, widget=forms.Textarea(attrs={"rows": 4})
    )
    started_on = forms.DateField(label=_("结对日期"), widget=DATE)

    def __init__(self, *args, team: WorkTeam, **kwargs):
        kwargs.setdefault("initial", {"started_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = team.members().order_by("name", "pk")

    def clean_members(self):
        members = self.cleaned_data["members"]
        if len(members) < 2:
            raise forms.ValidationError(gettext("结对至少需要两名成员"))
        return members

    def clean_started_on(self):
        day = self.cleaned_data["started_on"]
        if day > timezone.localdate():
            raise forms.ValidationError(gettext("结对日期不能晚于今天"))
        return day


class PairingCloseForm(BootstrapMixin, forms.Form):
    note = forms.CharField(
        label=_("结束说明"), max_length=200, error_messages={"required": _("请填写结束说明")}
    )


class CheckInForm(BootstrapMixin, forms.Form):
    date = forms.DateField(label=_("日期"), widget=DATE)
    content = forms.CharField(
        label=_("交流内容"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("请填写交流内容")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["date"].widget.attrs["max"] = f"{timezone.localdate():%Y-%m-%d}"

    def clean_date(self):
        day = self.cleaned_data["date"]
        if day > timezone.localdate():
            raise forms.ValidationError(gettext("交流日期不能晚于今天"))
        return day

    def clean_content(self):
        content = self.cleaned_data["content"].strip()
        if not content:
            raise forms.ValidationError(gettext("请填写交流内容"))
        return content


class RhythmRuleForm(BootstrapMixin, forms.Form):
    meeting_type = forms.ChoiceField(
        label=_("会议类型"), choices=[("", "---------"), *MeetingType.choices]
    )
    period = forms.ChoiceField(
        label=_("周期"), choices=[("", "---------"), *RhythmRule.Period.choices]
    )
    count = forms.IntegerField(label=_("至少次数"), min_value=1, max_value=31, initial=1)


class BaseRhythmFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        seen = set()
        for form in self.forms:
            data = form.cleaned_data
            if not data or data.get("DELETE"):
                continue
            key = (data["meeting_type"], data["period"])
            if key in seen:
                raise forms.ValidationError(
                    gettext("“%(rule)s”重复了，同一会议类型和周期只能设一条要求")
                    % {"rule": f"{RhythmRule.Period(key[1]).label}{MeetingType(key[0]).label}"}
                )
            seen.add(key)

    def rows(self) -> list[dict]:
        return [
            f.cleaned_data
            for f in self.forms
            if f.cleaned_data and not f.cleaned_data.get("DELETE")
        ]


RhythmFormSet = forms.formset_factory(
    RhythmRuleForm,
    formset=BaseRhythmFormSet,
    extra=2,
    can_delete=True,
    max_num=30,
    validate_max=True,
)


def _bootstrap_filter(filterset):
    for f in filterset.form.fields.values():
        f.widget.attrs.setdefault(
            "class", "form-select" if isinstance(f.widget, forms.Select) else "form-control"
        )


class TeamFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("名称"), field_name="name", lookup_expr="contains")
    programme = django_filters.ModelChoiceFilter(
        label=_("选派项目"), field_name="batch__programme", queryset=Programme.objects.all()
    )

    class Meta:
        model = WorkTeam
        fields = ["q", "programme"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap_filter(self)


class MeetingFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=MeetingType.choices)
    start = django_filters.DateFilter(
        label=_("起始日期"), field_name="date", lookup_expr="gte", widget=DATE
    )
    end = django_filters.DateFilter(
        label=_("截止日期"), field_name="date", lookup_expr="lte", widget=DATE
    )
    q = django_filters.CharFilter(label=_("主题"), field_name="topic", lookup_expr="contains")

    class Meta:
        model = Meeting
        fields = ["kind", "start", "end", "q"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _bootstrap_filter(self)
