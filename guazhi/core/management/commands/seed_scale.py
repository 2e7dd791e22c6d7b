"""guazhi seed-scale: generate a consistent province-scale dataset (guazhi/core/scale)."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.core.management import BaseCommand, CommandError

from guazhi.core.scale import SIZE_NAMES, ScaleRefused, Sizes, generate

DEMO_PASSWORD = "Guazhi@2026"


class Command(BaseCommand):
    help = (
        "生成省级规模的一致性数据（默认 2 万干部、200 批次、2 万项目、20 万阶段变化、"
        "100 万条纪实、5 万件实事、50 万条评价），用于性能测试"
    )

    def add_arguments(self, parser):
        defaults = Sizes()
        for name in SIZE_NAMES:
            parser.add_argument(
                f"--{name.replace('_', '-')}",
                type=int,
                default=None,
                help=f"数量（默认 {getattr(defaults, name):,}，乘以 --scale）",
            )
        parser.add_argument(
            "--scale", type=float, default=1.0, help="所有默认数量乘以该系数，如 0.01"
        )
        parser.add_argument("--seed", type=int, default=2026, help="随机种子（同一种子结果相同）")
        parser.add_argument(
            "--today", type=date.fromisoformat, default=None, help="以该日期为“今天”（YYYY-MM-DD）"
        )
        parser.add_argument(
            "--password",
            default=DEMO_PASSWORD,
            help="组织部、领导、接收单位、工作队队长账号的登录密码（其余账号不能登录）",
        )
        parser.add_argument(
            "--force", action="store_true", help="数据库已有数据时仍然生成（另写一套，不混合）"
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("生产模式下不允许生成规模数据。")
        if options["scale"] <= 0:
            raise CommandError("--scale 须大于 0")
        sizes = Sizes().scaled(options["scale"])
        for name in SIZE_NAMES:
            if options[name] is not None:
                setattr(sizes, name, options[name])
        self.stdout.write(
            "生成规模数据：" + "，".join(f"{name} {getattr(sizes, name):,}" for name in SIZE_NAMES)
        )
        try:
            ctx = generate(
                sizes,
                seed=options["seed"],
                force=options["force"],
                password=options["password"],
                today=options["today"],
                write_line=self.stdout.write,
            )
        except ScaleRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"  {'合计 total':<34}{ctx.timer.total:8.1f} s")
        self.stdout.write(self.style.SUCCESS(f"已生成 {ctx.prefix}："))
        for label, n in sorted(ctx.counts.items()):
            self.stdout.write(f"  {label:<32}{n:>10,}")
        p = ctx.user_prefix
        self.stdout.write(
            f"登录账号（密码 {options['password']}）：{p}zzb（市委组织部，全部数据）、"
            f"{p}lingdao（领导）、{p}hp / {p}hn …（各区委组织部，本区数据）。"
        )
