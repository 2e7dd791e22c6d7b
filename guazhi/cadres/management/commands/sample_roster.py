"""Writes a deliberately messy roster (花名册) for trying the import: two-row merged headers,
full-width digits, stray spaces, lower-case x, every common date style, an Excel date cell —
and, unless --clean, three rows with real mistakes that the dry run must report."""

import random
from datetime import date, datetime

from django.core.management import BaseCommand
from openpyxl import Workbook
from stdnum.cn import ric

from guazhi.core.models import OrgUnit

HEADERS = [
    ("姓名", None),
    ("性别", None),
    ("出生年月", None),
    ("民族", None),
    ("身份证号", None),
    ("所在单位", None),
    ("现任职务", None),
    ("职级", None),
    ("学历", "全日制教育"),
    ("学位", "全日制教育"),
    ("毕业院校系及专业", "全日制教育"),
    ("参加工作时间", None),
    ("入党时间", None),
    ("手机号", None),
    ("简历", None),
]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def _ident(rng, birth, male):
    first17 = (
        f"210102{birth:%Y%m}{rng.randint(10, 28):02d}{rng.randint(10, 99)}"
        f"{rng.choice('13579' if male else '02468')}"
    )
    return first17 + ric.calc_check_digit(first17 + "0")


class Command(BaseCommand):
    help = "生成一个“真实而凌乱”的示例花名册，用于试用导入功能"

    def add_arguments(self, parser):
        parser.add_argument("output", help="输出的 .xlsx 文件")
        parser.add_argument("--rows", type=int, default=30)
        parser.add_argument("--clean", action="store_true", help="不加入有错误的行")

    def handle(self, *args, output, rows, clean, **options):
        rng = random.Random(7)  # noqa: S311  (sample data)
        units = list(OrgUnit.objects.filter(kind="sending").values_list("name", flat=True)) or [""]
        wb = Workbook()
        ws = wb.active
        ws.title = "花名册"
        ws.append(["沈阳市赴京挂职干部推荐人选花名册"])
        group_row = [group or name for name, group in HEADERS]
        ws.append(group_row)
        ws.append([name if group else None for name, group in HEADERS])
        for col, (_name, group) in enumerate(HEADERS, start=1):
            if not group:
                ws.merge_cells(start_row=2, start_column=col, end_row=3, end_column=col)
        ws.merge_cells(start_row=2, start_column=9, end_row=2, end_column=11)
        styles = [
            lambda d: f"{d:%Y.%m}",
            lambda d: f"{d.year}年{d.month}月",
            lambda d: f"{d:%Y%m}",
            lambda d: f"{d.year}-{d.month}",
            lambda d: datetime(d.year, d.month, 1),
            lambda d: f" {d:%Y.%m} ".translate(FULL_WIDTH),
        ]
        for i in range(rows):
            male = rng.random() < 0.6
            birth = date(rng.randint(1980, 1995), rng.randint(1, 12), 1)
            ident = _ident(rng, birth, male)
            if i % 3 == 0:
                ident = ident.lower()
            if i % 4 == 1:
                ident = f" {ident.translate(FULL_WIDTH)} "
            name = rng.choice("王李张刘陈杨赵黄周吴") + rng.choice(
                ["晓明", "丽", "建国", "思远", "雪梅", "博"]
            )
            start_work = date(birth.year + 22, 7, 1)
            ws.append(
                [
                    f" {name} ",
                    "男" if male else "女",
                    styles[i % len(styles)](birth),
                    rng.choice(["汉", "汉族", "满族", "01", "朝鲜族"]),
                    ident,
                    rng.choice(units),
                    "科员",
                    rng.choice(["一级主任科员", "正科级", "四级调研员", ""]),
                    "大学",
                    "学士",
                    "东北大学经济学专业",
                    styles[(i + 2) % len(styles)](start_work),
                    "",
                    rng.choice(["13812345678", "+86 139 1234 5678", "１３７００００１１１１", ""]),
                    f"{birth.year + 18}.09--{start_work:%Y.%m}  东北大学经济学专业学习\n"
                    f"{start_work:%Y.%m}—  {rng.choice(units)}科员",
                ]
            )
        if not clean:
            bad = date(1987, 5, 1)
            good_id = _ident(rng, bad, True)
            wrong_digit = good_id[:-1] + ("1" if good_id[-1] != "1" else "2")
            ws.append(["错校验", "男", "1987.05", "汉族", wrong_digit, units[0], "科员"])
            ws.append(
                ["错民族", "男", "1987.05", "火星族", _ident(rng, bad, True), units[0], "科员"]
            )
            ws.append(["错日期", "男", "1987.13", "汉族", _ident(rng, bad, True), units[0], "科员"])
        wb.save(output)
        self.stdout.write(
            self.style.SUCCESS(
                f"已生成 {output}：{rows} 行{'' if clean else '，另有 3 行故意写错（校验位、民族、日期）'}。"
            )
        )
