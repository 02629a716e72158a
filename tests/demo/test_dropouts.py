"""The demo's dropout cases (demo/dropouts.py): every point of the return procedure in county A, a
stalled case the bureau's page marks, pupils on a suspected list; loading again adds nothing."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from dropouts import ledgers, reports, selectors, services
from dropouts.models import (
    Absence, CaseStep, DropoutCase, LedgerAttempt, LedgerEntry, LedgerKind, MonthlyDropoutReport, VisitPhoto,
)
from xueji.accounts.models import Unit, User
from xueji.approvals.models import Notice
from xueji.calendar import workdays


def counts():
    return tuple(model.objects.count() for model in (DropoutCase, CaseStep, Absence, VisitPhoto, Notice))


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 12, 4, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=True)
def test_demo_dropout_cases(settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path / "private"
    call_command("load_demo")
    today = timezone.localdate()
    cases = list(DropoutCase.objects.select_related("school__parent").prefetch_related("steps"))
    assert len(cases) == 6
    assert {case.school.name for case in cases} <= {"农安县实验小学", "农安县第一中学", "合隆镇陈家店小学"}
    kinds = {case.pk: [step.kind for step in case.steps.all()] for case in cases}
    open_kinds = [kinds[case.pk] for case in cases if case.is_open]
    assert len(open_kinds) == 5
    # Freshly confirmed: only the automatic report to the bureau.
    assert ["bureau_report"] in open_kinds
    # A home visit (with a photo) and the written notice.
    assert ["bureau_report", "home_visit", "notice"] in open_kinds
    assert VisitPhoto.objects.filter(step__case__status="open", step__case__steps__kind="notice").exists()
    # Referred to the township government.
    referral = CaseStep.objects.get(kind="referral")
    assert referral.referred_to == "合隆镇人民政府" and referral.case.school.township == "合隆镇"
    # Left for abroad without applying, with the country.
    abroad = DropoutCase.objects.get(ground="abroad")
    assert abroad.country == "KOR" and abroad.left_on < abroad.opened_on
    # Back in class: closed.
    returned = DropoutCase.objects.get(status="returned")
    assert kinds[returned.pk][-1] == "returned"

    # The bureau's page marks the cases without a step for ten school days.
    rows = selectors.bureau_rows(User.objects.get(username="officer_a"), today)
    assert len(rows) == 5 and sum(row["stalled"] for row in rows) >= 1
    for row in rows:
        last = row["last_step"].day
        assert row["stalled"] == (workdays.working_days_between(last, today) >= selectors.STALLED_AFTER_WORKING_DAYS)
    from tests.demo.signin import demo_login

    body = demo_login("officer_a", client).get("/dropouts/bureau/").content.decode()
    assert "stalled" in body and "超过10个工作日" in body

    # Two pupils of A1 on its suspected list.
    suspects = services.suspected_dropouts(school=Unit.objects.get(code="2122012201"), today=today)
    assert sorted(s.days for s in suspects) == [10, 12]

    # The three ledgers are not empty: A3's admitted children who never came (two open for 45
    # days, one closed as studying elsewhere), A1's two suspects, the open dropout cases; A1's
    # report of last month is signed by its headmaster; the county's review flags the old rows.
    officer = User.objects.get(username="officer_a")
    not_enrolled = ledgers.ledger_rows(officer, LedgerKind.NOT_ENROLLED, today, schools=[Unit.objects.get(code="2122012203")])
    assert sorted((r.name, r.is_open) for r in not_enrolled) == [("吴佳怡", False), ("孙浩然", True), ("钱小朵", True)]
    assert [a.what for a in next(r for r in not_enrolled if r.name == "钱小朵").attempts] == ["电话联系", "家访"]
    assert len(ledgers.ledger_rows(officer, LedgerKind.SUSPECTED, today, open_only=True)) == 2
    assert len(ledgers.ledger_rows(officer, LedgerKind.DROPOUT, today, open_only=True)) == 5
    report = MonthlyDropoutReport.objects.get(school__code="2122012201")
    assert report.signed_by.username == "headmaster_a1" and report.month == date(2026, 11, 1)
    assert not MonthlyDropoutReport.objects.get(school__code="2122012202").is_signed
    review = reports.quarterly_review(officer, "", today)
    assert {"钱小朵", "孙浩然"} <= {r.name for r in review.too_long}
    assert "合隆镇" in {line.township for line in review.lines}
    body = demo_login("officer_a", client).get("/dropouts/review/").content.decode()
    assert "钱小朵" in body

    before = counts()
    ledger_counts = (LedgerEntry.objects.count(), LedgerAttempt.objects.count(), MonthlyDropoutReport.objects.count())
    call_command("load_demo")
    assert counts() == before
    assert (LedgerEntry.objects.count(), LedgerAttempt.objects.count(), MonthlyDropoutReport.objects.count()) == ledger_counts
