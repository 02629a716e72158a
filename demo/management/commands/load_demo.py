from django.core.management.base import BaseCommand

from demo.load import demo_load
from demo.world import ACCOUNTS, DEMO_PASSWORD, demo_transfer_sample


class Command(BaseCommand):
    help = "Load the demo data (one city, two counties, about 1,500 pupils). Idempotent."

    def handle(self, *args, **options):
        self.stdout.write("正在准备演示数据……")
        demo_load(stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。演示账号（密码 %s）：" % DEMO_PASSWORD))
        for username, what in ACCOUNTS:
            self.stdout.write(f"  {username:<14} {what}")
        sample = demo_transfer_sample()
        if sample:
            self.stdout.write(f"试一试转学：用 registrar_b1 登录，在“转学”中发起转入，学生 {sample.name}，学籍号 {sample.student_number}。")
