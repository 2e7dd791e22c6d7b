"""`guazhi explain`: the slowest queries of the main pages with their PostgreSQL plans
(core/explain.py), on a benchmark database holding seed-scale data."""

from django.core.management import BaseCommand, CommandError

from guazhi.core import explain


class Command(BaseCommand):
    help = (
        "列出主要页面最慢的 SQL 及其执行计划（EXPLAIN ANALYZE，需规模数据、名称含 bench 的数据库）"
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--top", type=int, default=explain.DEFAULT_TOP, help="列出最慢的多少条（默认 10）"
        )

    def handle(self, *args, top, **options):
        try:
            explain.run(self.stdout, top=top)
        except RuntimeError as e:
            raise CommandError(str(e)) from e
