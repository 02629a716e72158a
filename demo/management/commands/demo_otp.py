"""Print the demo accounts' current second-factor code (development only).

Every demo account shares the TOTP secret in demo/world.py (DEMO_TOTP_SECRET, listed in the
README): this prints what an authenticator app with that secret shows now, so a newcomer can log
in without a phone. Refused outside development: real accounts have their own secrets anyway.
"""

import time
from base64 import b32decode

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp

from demo.world import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "打印演示账号当前的动态验证码（仅限开发环境）。"

    def handle(self, *args, **options):
        if settings.XUEJI_ENV != "development":
            raise CommandError("demo_otp 只能在开发环境（XUEJI_ENV=development）中使用。")
        step = 30
        code = totp(b32decode(DEMO_TOTP_SECRET), step=step, t0=0, digits=6)
        left = step - int(time.time()) % step
        self.stdout.write(f"{code:06d}")
        self.stderr.write(f"（{left} 秒后更新；同一验证码只能使用一次）")
