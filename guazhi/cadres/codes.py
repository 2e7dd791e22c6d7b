"""Code sets used by cadre records (GB/T 2261.1 性别, GB/T 3304 民族, and the common lists
of 学历, 学位, 年度考核 results). Values are stored as the Chinese names the 任免审批表 uses."""

from __future__ import annotations

GENDERS = ["男", "女"]

# GB/T 3304-1991, in code order 01–56.
ETHNIC_GROUPS = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
]
assert len(ETHNIC_GROUPS) == 56

ETHNIC_CODES = {name: f"{i:02d}" for i, name in enumerate(ETHNIC_GROUPS, start=1)}


def ethnic_group(value: str) -> str | None:
    """'汉' or '汉族' or '01' → '汉族'; None when not in GB 3304."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit() and 1 <= int(text) <= 56:
        return ETHNIC_GROUPS[int(text) - 1]
    if text in ETHNIC_CODES:
        return text
    if text + "族" in ETHNIC_CODES:
        return text + "族"
    return None


EDUCATION_LEVELS = [
    "研究生",
    "大学",
    "大专",
    "中专",
    "高中",
    "初中",
    "中央党校研究生",
    "省（区、市）委党校研究生",
    "中央党校大学",
    "省（区、市）委党校大学",
]
DEGREES = ["博士", "硕士", "学士", "无"]
ASSESSMENT_RESULTS = ["优秀", "称职", "基本称职", "不称职", "不定等次"]
HEALTH = ["健康", "一般", "较差"]
POLITICAL_STATUS = ["中共党员", "中共预备党员", "共青团员", "民主党派", "无党派人士", "群众"]
