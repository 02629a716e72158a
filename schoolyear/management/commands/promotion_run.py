"""The system administrator's way to run promotion on demand, or to resume an unfinished run:

    manage.py promotion_run                    # what the daily job does today
    manage.py promotion_run --bureau 12        # that bureau's run of this year (from its promotion date)
    manage.py promotion_run --run 7            # resume run 7, whatever the day
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from schoolyear import services
from xueji.accounts.models import Unit


class Command(BaseCommand):
    help = "升级：执行（或继续执行）各教育局的年度升级。"

    def add_arguments(self, parser):
        parser.add_argument("--bureau", type=int, help="教育局的单位编号")
        parser.add_argument("--run", type=int, help="继续执行的升级编号")

    def handle(self, *args, bureau=None, run=None, **options):
        try:
            if run:
                runs = [services.promotion_run_execute(run_id=run)]
            elif bureau:
                unit = Unit.objects.get(pk=bureau)
                requested = services.promotion_run_request(actor=None, bureau=unit, queue=False)
                runs = [services.promotion_run_execute(run_id=requested.pk)]
            else:
                runs = services.promotion_daily()
        except (ValidationError, Unit.DoesNotExist) as error:
            raise CommandError("；".join(getattr(error, "messages", [str(error)]))) from error
        for item in runs:
            self.stdout.write(f"{item}：{item.get_status_display()}，{item.schools_done}/{item.schools_total} 所学校，升级 {item.promoted} 人\n")
        if not runs:
            self.stdout.write("今天没有需要执行的升级。\n")
