from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth.models import Permission
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .models import AuditEntry, CalendarDay, OrgUnit, Role, SiteSettings, User
from .personal import normalise_mobile, validate_mobile

TEXT_MAX = 10_000  # characters: the bound of a free-text field that has none of its own


class BootstrapMixin:
    """Bootstrap classes on every widget, so templates stay plain; a text field without a
    length limit of its own (a textarea over a model TextField) gets TEXT_MAX, so a pasted
    megabyte is refused on the field instead of stored."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if type(field) is forms.CharField and field.max_length is None:
                field.max_length = TEXT_MAX
                field.validators.append(MaxLengthValidator(TEXT_MAX))
                field.widget.attrs.setdefault("maxlength", str(TEXT_MAX))
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(widget, forms.CheckboxSelectMultiple):
                continue
            elif isinstance(widget, forms.Select | forms.SelectMultiple):
                widget.attrs.setdefault("class", "form-select")
            else:
                widget.attrs.setdefault("class", "form-control")


class LoginForm(BootstrapMixin, forms.Form):
    username = forms.CharField(label=_("用户名"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, max_length=256)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].widget.attrs.update(autofocus=True, autocomplete="username")
        self.fields["password"].widget.attrs.update(autocomplete="current-password")


class TokenForm(BootstrapMixin, forms.Form):
    token = forms.RegexField(
        label=_("验证码"),
        regex=r"^\s*\d{6}\s*$",
        error_messages={"invalid": _("验证码是 6 位数字")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].widget.attrs.update(
            autocomplete="one-time-code", inputmode="numeric", autofocus=True
        )


class OrgUnitForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = OrgUnit
        fields = [
            "name",
            "short_name",
            "code",
            "kind",
            "region",
            "parent",
            "sort_order",
            "is_active",
        ]

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["parent"].queryset = units
        if self.instance.pk:
            self.fields["parent"].queryset = self.fields["parent"].queryset.exclude(
                path__startswith=self.instance.path
            )


class UserCreateForm(BootstrapMixin, forms.Form):
    username = forms.RegexField(
        label=_("用户名"),
        max_length=150,
        regex=r"^[A-Za-z0-9_.@-]+$",
        error_messages={"invalid": _("用户名只能包含字母、数字和 _ . @ -")},
    )
    full_name = forms.CharField(label=_("姓名"), max_length=50)
    unit = forms.ModelChoiceField(label=_("所在单位"), queryset=OrgUnit.objects.none())
    email = forms.EmailField(label=_("电子邮箱"), required=False)
    mobile = forms.CharField(label=_("手机号"), required=False, max_length=20)
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, max_length=256)

    def clean_mobile(self):
        value = normalise_mobile(self.cleaned_data.get("mobile", ""))
        validate_mobile(value)
        return value

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units if units is not None else OrgUnit.objects.none()


class UserEditForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = User
        fields = ["full_name", "unit", "email", "mobile", "is_active"]

    def clean_mobile(self):
        value = normalise_mobile(self.cleaned_data.get("mobile", ""))
        validate_mobile(value)
        return value

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.fields["unit"].queryset = units


class UserRolesForm(forms.Form):
    roles = forms.ModelMultipleChoiceField(
        label=_("角色"),
        queryset=Role.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )


class RoleForm(BootstrapMixin, forms.ModelForm):
    permissions = forms.ModelMultipleChoiceField(
        label=_("权限"),
        queryset=Permission.objects.select_related("content_type").order_by(
            "content_type__app_label", "codename"
        ),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Role
        fields = ["code", "name", "scope", "description"]


class PasswordChangeForm(BootstrapMixin, forms.Form):
    old_password = forms.CharField(label=_("当前密码"), widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput)
    new_password2 = forms.CharField(label=_("再次输入新密码"), widget=forms.PasswordInput)

    def __init__(self, user, *args, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_old_password(self):
        value = self.cleaned_data["old_password"]
        if not self.user.check_password(value):
            raise forms.ValidationError(_("当前密码不正确"))
        return value

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


class SiteSettingsForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = SiteSettings
        fields = ["site_name", "login_failure_limit", "lockout_minutes", "idle_timeout_minutes"]


class CalendarDayForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def clean_date(self):
        value = self.cleaned_data["date"]
        other = CalendarDay.objects.filter(date=value).exclude(pk=self.instance.pk).first()
        if other is not None:
            raise forms.ValidationError(
                _("%(d)s 已登记为“%(n)s”（%(k)s），请编辑那一天")
                % {"d": f"{value:%Y-%m-%d}", "n": other.name, "k": other.get_kind_display()}
            )
        return value


class CalendarBulkForm(BootstrapMixin, forms.Form):
    lines = forms.CharField(
        label=_("日历条目"),
        max_length=50000,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text=_(
            "每行一天：日期 类型 名称。类型写 holiday（或“休”）表示法定节假日，"
            "workday（或“班”）表示调休上班日。已登记的日期按本次内容更新。"
        ),
    )


class FilterForm(BootstrapMixin, forms.Form):
    pass


# --- list filters ----------------------------------------------------------------------------------


class UnitFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("名称或代码"), method="search")
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=OrgUnit.Kind.choices)

    class Meta:
        form = FilterForm
        model = OrgUnit
        fields = ["q", "kind", "is_active"]

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(name__icontains=value) | Q(code__icontains=value))


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("姓名或用户名"), method="search")
    unit = django_filters.ModelChoiceFilter(
        label=_("单位"), queryset=OrgUnit.objects.none(), method="in_unit"
    )
    role = django_filters.ModelChoiceFilter(
        label=_("角色"), queryset=Role.objects.all(), field_name="roles"
    )
    is_active = django_filters.BooleanFilter(label=_("启用"))
    locked = django_filters.BooleanFilter(label=_("已锁定"), method="filter_locked")

    class Meta:
        form = FilterForm
        model = User
        fields = ["q", "unit", "role", "is_active"]

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        if units is not None:
            self.filters["unit"].queryset = units

    def search(self, queryset, name, value):
        from django.db.models import Q

        return queryset.filter(Q(full_name__icontains=value) | Q(username__icontains=value))

    def in_unit(self, queryset, name, value):
        return queryset.filter(unit__path__startswith=value.path)

    def filter_locked(self, queryset, name, value):
        from django.utils import timezone

        if value:
            return queryset.filter(locked_until__gt=timezone.now())
        from django.db.models import Q

        return queryset.filter(Q(locked_until__isnull=True) | Q(locked_until__lte=timezone.now()))


class AuditFilter(django_filters.FilterSet):
    actor = django_filters.CharFilter(label=_("操作账号"), field_name="actor_username")
    action = django_filters.ChoiceFilter(label=_("操作"), choices=AuditEntry.Action.choices)
    object_type = django_filters.CharFilter(label=_("对象类型"), field_name="object_type")
    object_id = django_filters.CharFilter(label=_("对象编号"), field_name="object_id")
    ip = django_filters.CharFilter(label=_("客户端地址"), field_name="ip")
    # A range on the time itself, not on at::date: the index on `at` serves it.
    since = django_filters.DateFilter(
        label=_("起始日期"),
        method="from_day",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    until = django_filters.DateFilter(
        label=_("截止日期"),
        method="to_day",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        form = FilterForm
        model = AuditEntry
        fields = ["actor", "action", "object_type", "object_id", "ip", "since", "until"]

    @staticmethod
    def _day_start(day):
        import datetime

        from django.utils import timezone

        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))

    def from_day(self, queryset, name, value):
        return queryset.filter(at__gte=self._day_start(value)) if value else queryset

    def to_day(self, queryset, name, value):
        import datetime

        if not value:
            return queryset
        return queryset.filter(at__lt=self._day_start(value + datetime.timedelta(days=1)))
