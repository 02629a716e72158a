"""The demo has last month's monthly reports, so that the 月报 pages show something."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from reports.models import MonthlyReport
from reports.monthly import previous_month
from tests.demo.signin import demo_login


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 12, 4, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True)
def test_demo_has_last_months_reports(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    call_command("load_demo")
    month = previous_month(timezone.localdate())
    reports = MonthlyReport.objects.filter(month=month)
    # Five schools, one central school, two counties.
    assert reports.count() == 8
    assert all(r.figures["check"]["ok"] for r in reports), [(r.unit.name, r.figures["check"]) for r in reports]
    county = reports.get(unit__name="农安县教育局").figures
    assert county["start"]["total"] > 500
    call_command("load_demo")
    assert MonthlyReport.objects.count() == 8
    client = demo_login("officer_a")
    body = client.get("/reports/monthly/").content.decode()
    assert "农安县实验小学" in body and "合隆镇中心校" in body
    assert "学籍变动月报" in client.get("/").content.decode()
    assert client.get("/statistics/").status_code == 200
