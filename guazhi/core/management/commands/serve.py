import os
import sys

from django.conf import settings
from django.core.management import BaseCommand


class Command(BaseCommand):
    help = "用 gunicorn 启动 Web 服务"

    def add_arguments(self, parser):
        parser.add_argument("--bind", default=os.environ.get("GUAZHI_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=int(os.environ.get("WEB_WORKERS", "2")))

    def handle(self, *args, bind, workers, **options):
        from gunicorn.app.wsgiapp import run

        sys.argv = [
            "gunicorn",
            "guazhi.wsgi:application",
            "--bind",
            bind,
            "--workers",
            str(workers),
            "--access-logfile",
            "-",
            "--timeout",
            "120",
        ]
        if not settings.PRODUCTION:
            sys.argv.append("--reload")
        run()
