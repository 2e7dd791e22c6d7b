"""Password policy (Chinese messages): length, three of four character classes, not the
user name, not a common password."""

from __future__ import annotations

import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class MinimumLengthValidator:
    def __init__(self, min_length: int = 8):
        self.min_length = min_length

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(
                _("密码至少需要 %(n)d 个字符。") % {"n": self.min_length}, code="password_too_short"
            )

    def get_help_text(self):
        return _("至少 %(n)d 个字符") % {"n": self.min_length}


CLASSES = [
    (re.compile(r"[A-Z]"), "大写字母"),
    (re.compile(r"[a-z]"), "小写字母"),
    (re.compile(r"[0-9]"), "数字"),
    (re.compile(r"[^A-Za-z0-9]"), "符号"),
]


class CharacterClassValidator:
    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        present = sum(1 for pattern, _name in CLASSES if pattern.search(password))
        if present < self.min_classes:
            raise ValidationError(
                _("密码需包含大写字母、小写字母、数字、符号中的至少 %(n)d 类。")
                % {"n": self.min_classes},
                code="password_too_simple",
            )

    def get_help_text(self):
        return _("包含大写字母、小写字母、数字、符号中的至少 %(n)d 类") % {"n": self.min_classes}


class NotUsernameValidator:
    def validate(self, password, user=None):
        username = (getattr(user, "username", "") or "").lower()
        if username and username in password.lower():
            raise ValidationError(_("密码不能包含用户名。"), code="password_contains_username")

    def get_help_text(self):
        return _("不能包含用户名")


class CommonPasswordValidator(password_validation.CommonPasswordValidator):
    def validate(self, password, user=None):
        try:
            super().validate(password, user)
        except ValidationError:
            raise ValidationError(
                _("该密码过于常见，请换一个。"), code="password_too_common"
            ) from None

    def get_help_text(self):
        return _("不能是常见密码")
