from django.core.management import BaseCommand

from guazhi.cadres.services import rotate_keys
from guazhi.core import audit


class Command(BaseCommand):
    help = "用 FIELD_ENCRYPTION_KEYS 的第一个密钥重新加密全部个人信息字段（密钥轮换第 2 步）"

    def handle(self, *args, **options):
        with audit.acting_as("cli"):
            count = rotate_keys()
        self.stdout.write(self.style.SUCCESS(f"已用新密钥重新加密 {count} 名干部的个人信息字段。"))
