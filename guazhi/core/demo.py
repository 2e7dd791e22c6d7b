"""The demo dataset (SPEC §6), loaded by `guazhi demo`. Idempotent: running it again
updates nothing that already exists. Later modules extend `load()`."""

from __future__ import annotations

import base64

from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import audit
from .models import OrgUnit, Role, User

DEMO_PASSWORD = "Guazhi@2026"

K = OrgUnit.Kind
# (code, name, short, kind, region, parent code)
UNITS = [
    ("SY", "沈阳市委组织部", "市委组织部", K.ORG_DEPT, "沈阳市", None),
    ("SY-NYNC", "沈阳市农业农村局", "市农业农村局", K.SENDING, "沈阳市", "SY"),
    ("SY-SWJ", "沈阳市商务局", "市商务局", K.SENDING, "沈阳市", "SY"),
    ("SY-FGW", "沈阳市发展和改革委员会", "市发改委", K.SENDING, "沈阳市", "SY"),
    ("SY-GZD", "沈阳市赴京挂职干部工作队", "赴京工作队", K.OTHER, "北京市", "SY"),
    ("HP", "和平区委组织部", "和平区委组织部", K.ORG_DEPT, "和平区", "SY"),
    ("HP-FGJ", "和平区发展和改革局", "和平区发改局", K.SENDING, "和平区", "HP"),
    ("HP-SWJ", "和平区商务局", "和平区商务局", K.SENDING, "和平区", "HP"),
    ("SH", "沈河区委组织部", "沈河区委组织部", K.ORG_DEPT, "沈河区", "SY"),
    ("SH-GXJ", "沈河区工业和信息化局", "沈河区工信局", K.SENDING, "沈河区", "SH"),
    ("SH-JYJ", "沈河区教育局", "沈河区教育局", K.SENDING, "沈河区", "SH"),
    ("HN", "浑南区委组织部", "浑南区委组织部", K.ORG_DEPT, "浑南区", "SY"),
    ("HN-KJJ", "浑南区科学技术局", "浑南区科技局", K.SENDING, "浑南区", "HN"),
    ("HN-SWJ", "浑南区商务局", "浑南区商务局", K.SENDING, "浑南区", "HN"),
    ("BJ", "北京市委组织部（合作方）", "北京市委组织部", K.ORG_DEPT, "北京市", None),
    ("BJ-CY", "北京市朝阳区人民政府", "朝阳区政府", K.HOST, "北京市朝阳区", "BJ"),
    ("BJ-TZ", "北京市通州区人民政府", "通州区政府", K.HOST, "北京市通州区", "BJ"),
    ("BJ-YZ", "北京经济技术开发区管理委员会", "亦庄经开区", K.HOST, "北京市大兴区", "BJ"),
    ("BJ-HD", "北京市海淀区科学技术和信息化局", "海淀区科信局", K.HOST, "北京市海淀区", "BJ"),
]

# (username, full name, unit code, role code, what to try)
LOGINS = [
    ("zzb", "张组织", "SY", "org_officer", "市委组织部干部科：全部范围的业务"),
    ("heping", "李和平", "HP", "district_officer", "和平区委组织部：只见和平区"),
    ("hunnan", "赵浑南", "HN", "district_officer", "浑南区委组织部：只见浑南区"),
    ("paichu", "钱派出", "HP-FGJ", "sending_unit", "派出单位：和平区发改局"),
    ("jieshou", "孙接收", "BJ-CY", "host_unit", "接收单位：北京市朝阳区"),
    ("duizhang", "周队长", "SY-GZD", "team_leader", "工作队队长"),
    ("ganbu", "吴挂职", "SY-NYNC", "cadre", "挂职干部：只见本人"),
    ("lingdao", "郑领导", "SY", "leader", "领导：只读看板"),
    ("sysadmin", "冯系统", "SY", "sysadmin", "系统管理员：设置与账号（需双因素）"),
    ("secadmin", "陈安全", "SY", "secadmin", "安全管理员：角色与权限（需双因素）"),
    ("auditor", "褚审计", "SY", "auditor", "审计管理员：审计日志（需双因素）"),
]

# Fixed TOTP secrets for the demo administrators, so a tester can add them to an
# authenticator app (or run `guazhi demo-otp USERNAME`). Demo only.
DEMO_TOTP_SECRETS = {
    "sysadmin": "GUAZHISYSADMIN234567GUAZHISYSADM",
    "secadmin": "GUAZHISECADMIN234567GUAZHISECADM",
    "auditor": "GUAZHIAUDITOR2345670GUAZHIAUDITO".replace("0", "A"),
}


def _hex_key(secret: str) -> str:
    padded = secret + "=" * (-len(secret) % 8)
    return base64.b32decode(padded).hex()


@transaction.atomic
def load(stdout=None) -> list[tuple[str, str, str, str]]:
    with audit.acting_as("demo"):
        units: dict[str, OrgUnit] = {}
        for order, (code, name, short, kind, region, parent) in enumerate(UNITS):
            unit = OrgUnit.objects.filter(code=code).first()
            if unit is None:
                unit = OrgUnit.objects.create(
                    code=code,
                    name=name,
                    short_name=short,
                    kind=kind,
                    region=region,
                    parent=units.get(parent),
                    sort_order=order,
                )
            units[code] = unit
        rows = []
        for username, full_name, unit_code, role_code, note in LOGINS:
            user = User.objects.filter(username=username).first()
            if user is None:
                user = User(username=username, full_name=full_name, unit=units[unit_code])
                user.set_password(DEMO_PASSWORD)
                user.save()
                user.roles.set([Role.objects.get(code=role_code)])
            secret = DEMO_TOTP_SECRETS.get(username)
            if secret and not TOTPDevice.objects.filter(user=user, confirmed=True).exists():
                TOTPDevice.objects.create(
                    user=user, name="演示验证器", confirmed=True, key=_hex_key(secret)
                )
            rows.append((Role.objects.get(code=role_code).name, username, DEMO_PASSWORD, note))
    return rows


def is_demo_admin(username: str) -> bool:
    return username in DEMO_TOTP_SECRETS
