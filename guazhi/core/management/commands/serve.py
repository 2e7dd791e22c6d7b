import os
import sys

from django.conf import settings
from django.core.management import BaseCommand

from guazhi.core import serving


class Command(BaseCommand):
    help = "用 gunicorn 启动 Web 服务"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("GUAZHI_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=None, help="默认 CPU 核数 + 1")

    def handle(self, *args, bind, workers, **options):
        from gunicorn.app.wsgiapp import run

        sys.argv = ["gunicorn", *serving.gunicorn_args(bind, workers_=workers)]
        sys.argv += ["--access-logfile", "-"]
        if not settings.PRODUCTION:
            sys.argv.append("--reload")
        run()
