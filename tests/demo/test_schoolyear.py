"""The school year on the demo data, as the demo's people would do it: loaded in December, the
countdown shows what blocks 农安县实验小学's graduation; in July the registrar clears the
graduating grade's pending requests and graduates it on the pages; on 10 August the daily job
promotes every school (the demo's prepared classes and its swapped mapping included); on
1 September the monthly report of August counts the move."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from demo.world import SCHOOL_YEAR
from reports.services import monthly_reports_generate
from schoolyear import selectors, services
from schoolyear.models import Graduate, PromotionRun
from tests.demo.signin import demo_login
from xueji.accounts.models import Membership, Unit
from xueji.approvals.models import StepStatus
from xueji.approvals.services import request_decide, request_withdraw
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil, SchoolClass

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOADED = datetime(2026, 12, 4, 10, tzinfo=SHANGHAI)
GRADUATION_DAY = datetime(2027, 7, 10, 9, tzinfo=SHANGHAI)
PROMOTION_DAY = date(2027, 8, 10)
A1 = "2122012201"


def finish(request) -> None:
    """Clear a pending request: its starter withdraws it before any decision, else whoever
    decides its current step rejects it."""
    if not request.steps.exclude(status__in=[StepStatus.WAITING, StepStatus.PENDING]).exists():
        request_withdraw(actor=request.started_by, request_id=request.pk)
        return
    step = request.steps.get(status=StepStatus.PENDING)
    decider = Membership.objects.filter(unit=step.unit, role=step.role).select_related("user").first().user
    request_decide(actor=decider, request_id=request.pk, approve=False, comment="毕业前清理")


def signed_in(username: str, new_password: str = "") -> Client:
    return demo_login(username, new_password=new_password)


@pytest.mark.django_db
def test_graduation_promotion_and_the_monthly_report_on_the_demo(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    with time_machine.travel(LOADED, tick=True):
        call_command("load_demo")
        a1 = Unit.objects.get(code=A1)
        # Before 1 July the countdown says when graduation opens.
        page = signed_in("registrar_a1").get(f"/schoolyear/graduation/{a1.pk}/").content.decode()
        assert "07月01日起可办理毕业" in page or "2027-07-01" in page

    sixth = list(Pupil.objects.filter(school=a1, grade=6, status=PupilStatus.ENROLLED).values_list("pk", flat=True))
    first_graders = {p.pk: p.school_class.number for p in Pupil.objects.filter(
        school=a1, grade=1, status=PupilStatus.ENROLLED).select_related("school_class")}
    second_graders = {p.pk: p.school_class.number for p in Pupil.objects.filter(
        school=a1, grade=2, status=PupilStatus.ENROLLED).select_related("school_class")}
    assert sixth and first_graders and second_graders

    with time_machine.travel(GRADUATION_DAY, tick=True):
        # Seven months after loading, the password is past the 90 days: the registrar sets a new one.
        registrar = signed_in("registrar_a1", new_password="Huanglong#Road2027")
        state = selectors.graduation_state(a1, GRADUATION_DAY.date(), SCHOOL_YEAR)
        # Pending requests of the graduating grade block it until they are finished or withdrawn.
        for pending in state.pending:
            finish(pending)
        state = selectors.graduation_state(a1, GRADUATION_DAY.date(), SCHOOL_YEAR)
        assert not state.pending and state.enrolled
        expected = len(state.enrolled)
        response = registrar.post(f"/schoolyear/graduation/{a1.pk}/confirm/", {"expected": expected, "checked": "on"},
                                  follow=True)
        assert f"已为 {expected} 名学生办理毕业" in response.content.decode()
    graduated = set(Graduate.objects.filter(graduation__school=a1).values_list("pupil_id", flat=True))
    assert len(graduated) == expected and graduated <= set(sixth)
    assert not Pupil.objects.filter(school=a1, grade=6, status=PupilStatus.ENROLLED).exists()

    with time_machine.travel(datetime(2027, 8, 10, 1, 30, tzinfo=SHANGHAI), tick=True):
        runs = services.promotion_daily(today=PROMOTION_DAY)
    assert runs and all(run.status == PromotionRun.Status.DONE for run in runs)
    moved = {p.pk: p for p in Pupil.objects.filter(pk__in=list(first_graders) + list(second_graders))
             .select_related("school_class__school_year")}
    for pk, number in first_graders.items():
        pupil = moved[pk]
        if pupil.status == PupilStatus.ENROLLED:
            assert (pupil.grade, pupil.school_class.grade, pupil.school_class.number,
                    pupil.school_class.school_year.start_year) == (2, 2, number, SCHOOL_YEAR + 1)
    # The demo's mapping: 二年级（1）班 goes into 三年级（2）班 and 二年级（2）班 into 三年级（1）班.
    swapped = {1: 2, 2: 1}
    for pk, number in second_graders.items():
        pupil = moved[pk]
        if pupil.status == PupilStatus.ENROLLED and number in swapped:
            assert (pupil.grade, pupil.school_class.number) == (3, swapped[number])
    assert not SchoolClass.objects.filter(school=a1, school_year__start_year=SCHOOL_YEAR, pupils__status=PupilStatus.ENROLLED).exists()
    # Run again, nothing moves.
    with time_machine.travel(datetime(2027, 8, 11, 1, 30, tzinfo=SHANGHAI), tick=True):
        services.promotion_daily(today=date(2027, 8, 11))
    assert set(Pupil.objects.filter(pk__in=list(first_graders), status=PupilStatus.ENROLLED)
               .values_list("grade", flat=True)) == {2}

    # The July report of the school counts the graduation as the grade leaving the roll.
    with time_machine.travel(datetime(2027, 9, 1, 2, tzinfo=SHANGHAI), tick=True):
        reports = monthly_reports_generate(month=date(2027, 7, 1), today=date(2027, 9, 1))
    figures = next(r for r in reports if r.unit_id == a1.pk).figures
    assert figures["check"]["ok"], figures["check"]
    graduation = next(c for c in figures["changes"] if c["kind"] == "graduation")
    assert (graduation["out"], graduation["by_grade"]) == (expected, {"6": expected})
    assert figures["end"]["by_grade"].get("6", 0) == figures["start"]["by_grade"]["6"] - expected
