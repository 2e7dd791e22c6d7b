"""Shared test fixtures: an org tree and named personas, one per role and data scope.

    city (沈阳市委组织部)
    ├── heping (和平区委组织部)
    │   └── heping_fgj (和平区发改局, a sending unit)
    └── hunnan (浑南区委组织部)
        └── hunnan_kjj (浑南区科技局)
    beijing (北京市委组织部) └── chaoyang (朝阳区政府, a host unit)

alice  市委组织部干部科, scope all            (city)
bob    区委组织部, scope this unit and below (heping)
carol  派出单位, scope this unit             (heping_fgj)
dave   挂职干部, scope only self             (heping_fgj)
eve    区委组织部 of another district        (hunnan)
hank   接收单位                             (chaoyang)
sam / sid / aud  the three administrators   (city)
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client, TestCase
from django_otp.plugins.otp_totp.models import TOTPDevice

from guazhi.core.models import OrgUnit, Role, User

PASSWORD = "Correct-Horse-9"


class QuickArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2 at the lowest cost, for tests only."""

    time_cost = 1
    memory_cost = 64
    parallelism = 1


def make_unit(code: str, name: str, kind=OrgUnit.Kind.SENDING, parent=None) -> OrgUnit:
    return OrgUnit.objects.create(code=code, name=name, kind=kind, parent=parent)


def make_user(username: str, unit: OrgUnit, *roles: str, full_name: str = "") -> User:
    user = User(username=username, full_name=full_name or username.title(), unit=unit)
    user.set_password(PASSWORD)
    user.save()
    user.roles.set(Role.objects.filter(code__in=roles))
    return user


class BaseTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        K = OrgUnit.Kind
        cls.city = make_unit("T-SY", "测试市委组织部", K.ORG_DEPT)
        cls.heping = make_unit("T-HP", "和平区委组织部", K.ORG_DEPT, cls.city)
        cls.heping_fgj = make_unit("T-HP-FGJ", "和平区发改局", K.SENDING, cls.heping)
        cls.hunnan = make_unit("T-HN", "浑南区委组织部", K.ORG_DEPT, cls.city)
        cls.hunnan_kjj = make_unit("T-HN-KJJ", "浑南区科技局", K.SENDING, cls.hunnan)
        cls.beijing = make_unit("T-BJ", "北京市委组织部", K.ORG_DEPT)
        cls.chaoyang = make_unit("T-BJ-CY", "朝阳区政府", K.HOST, cls.beijing)

        cls.alice = make_user("alice", cls.city, "org_officer", full_name="艾丽丝")
        cls.bob = make_user("bob", cls.heping, "district_officer", full_name="鲍勃")
        cls.carol = make_user("carol", cls.heping_fgj, "sending_unit", full_name="卡罗")
        cls.dave = make_user("dave", cls.heping_fgj, "cadre", full_name="戴夫")
        cls.eve = make_user("eve", cls.hunnan, "district_officer", full_name="伊芙")
        cls.hank = make_user("hank", cls.chaoyang, "host_unit", full_name="汉克")
        cls.sam = make_user("sam", cls.city, "sysadmin", full_name="系统管理员")
        cls.sid = make_user("sid", cls.city, "secadmin", full_name="安全管理员")
        cls.aud = make_user("aud", cls.city, "auditor", full_name="审计管理员")

    def login(self, user: User, client: Client | None = None) -> Client:
        """Log in through the real login form (and second factor when the user needs one)."""
        client = client or self.client
        client.logout()
        response = client.post("/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content.decode()[:2000]
        if user.needs_second_factor():
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
            response = client.post("/login/otp/", {"token": current_totp(device)})
            assert response.status_code == 302, response.content.decode()[:2000]
        return client


def current_totp(device: TOTPDevice) -> str:
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def needs_system(available: bool, reason: str):
    """Skip a test whose system package (Chinese fonts, poppler-utils) is missing — except in
    CI (GUAZHI_E2E_REQUIRED=1), where the test runs and its absence fails it."""
    import os
    import unittest

    if available or os.environ.get("GUAZHI_E2E_REQUIRED") == "1":
        return lambda test: test
    return unittest.skip(reason)


def has_chinese_font() -> bool:
    from django.core.exceptions import ImproperlyConfigured

    from guazhi.core import pdf

    try:
        pdf.fonts()
    except ImproperlyConfigured:
        return False
    return True
