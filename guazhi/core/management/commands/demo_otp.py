from django.conf import settings
from django.core.management import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from guazhi.core.demo import is_demo_admin


class Command(BaseCommand):
    help = "（仅开发模式、仅演示管理员账号）显示当前的双因素验证码"

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if settings.PRODUCTION or not is_demo_admin(username):
            raise CommandError("只能在开发模式下为演示管理员账号显示验证码。")
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            raise CommandError(f"账号 {username} 没有已绑定的验证器。")
        code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
        self.stdout.write(f"{code:0{device.digits}d}")
