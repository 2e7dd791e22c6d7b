"""`guazhi remind`: write today's reminders (missing weekly records, overdue check-ins,
meetings behind rhythm, follow-up evaluations due) as notices. Run it once a day, e.g. from
cron: `15 6 * * * cd /srv/guazhi && .venv/bin/guazhi remind`."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from guazhi.core import notices


class Command(BaseCommand):
    help = "生成今日提醒（缺少每周纪实、结对交流逾期、会议频次不足、返岗跟踪评价到期）"

    def add_arguments(self, parser):
        parser.add_argument("--date", help="按这一天计算（YYYY-MM-DD），默认今天")

    def handle(self, *args, date=None, **options):
        if date:
            try:
                today = _parse(date)
            except ValueError as exc:
                raise CommandError(f"日期格式应为 YYYY-MM-DD：{date}") from exc
        else:
            today = timezone.localdate()
        summary = notices.remind(today)
        self.stdout.write(
            f"{today:%Y-%m-%d}：新增提醒 {summary.created} 条，保留 {summary.kept} 条，"
            f"已消除 {summary.removed} 条"
        )


def _parse(value: str):
    return date.fromisoformat(value)
