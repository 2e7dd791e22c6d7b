from django.conf import settings
from django.core.management import BaseCommand, call_command
from django.utils import timezone

from guazhi.core import demo


class Command(BaseCommand):
    help = "创建数据库、载入演示数据、收集静态文件，并启动服务（http://127.0.0.1:8000）"

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="只载入数据，不启动服务")
        parser.add_argument("--bind", default="127.0.0.1:8000")

    def handle(self, *args, no_serve=False, bind="127.0.0.1:8000", **options):
        if settings.PRODUCTION:
            self.stderr.write("生产模式下不允许载入演示数据。")
            raise SystemExit(2)
        call_command("migrate", interactive=False, verbosity=0)
        rows = demo.load()
        # Each app may add its part of the demo story in <app>/demo.py (core knows no app).
        from importlib import import_module
        from importlib.util import find_spec

        from django.apps import apps

        for app in apps.get_app_configs():
            is_module = app.name.startswith("guazhi.") and app.label != "core"
            if is_module and find_spec(f"{app.name}.demo"):
                import_module(f"{app.name}.demo").load()
        # Today's reminders, so the demo's bells show what is due.
        from guazhi.core import notices

        notices.remind(timezone.localdate())
        call_command("collectstatic", interactive=False, verbosity=0)
        self.stdout.write(self.style.SUCCESS("演示数据已载入。演示账号（每个角色一个）："))
        self.stdout.write(f"  {'角色':<12}{'用户名':<12}{'密码':<14}说明")
        for role, username, password, note in rows:
            self.stdout.write(f"  {role:<12}{username:<12}{password:<14}{note}")
        self.stdout.write(
            "  三个管理员账号需要双因素验证码：运行 `.venv/bin/guazhi demo-otp 用户名` 获取。"
        )
        if not no_serve:
            self.stdout.write(self.style.SUCCESS(f"服务地址：http://{bind}/  （Ctrl+C 停止）"))
            call_command("serve", bind=bind)
