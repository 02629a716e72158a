"""Demo data of reports/: last month's monthly change reports, as the scheduler would have made
them on the 1st, so that the 月报 pages and the home panel show something. Runs after the other
apps' demo data (reports is the last app). Idempotent: a unit's report of a month is made once."""

from django.utils import timezone

from reports.monthly import previous_month
from reports.services import monthly_reports_generate


def load(say) -> None:
    today = timezone.localdate()
    month = previous_month(today)
    written = monthly_reports_generate(month=month, today=today)
    if written:
        say(f"  学籍变动月报：{month.year}年{month.month}月，{len(written)} 个单位\n")
