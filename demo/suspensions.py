"""Demo data of suspensions/: one 休学 waiting for the headmaster, one waiting for the bureau and
overdue, one approved whose period ends within 30 days (reminded), and one whose period ended
weeks ago without a resumption (在籍异常, with the reminders sent before). Idempotent: nothing is
added once any suspension exists.

Then one 复学 waiting for the headmaster (a suspension approved a year ago ends today) and one 缓学
waiting for the bureau (filed before 1 September of the intake year, so overdue once that has
passed). Idempotent on their own: nothing is added once any resumption or deferral exists.

The periods lie in the past: the services take ``today=`` for the filing rules, and the requests'
dates are set back afterwards, as demo/transfers.py does."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from suspensions.periods import add_months, deferral_deadline
from suspensions.reminders import suspension_reminders_sweep
from suspensions.services import (
    SuspensionApplication,
    current_period_end,
    deferral_start,
    resumption_start,
    suspension_start,
)
from xueji.accounts.models import User
from xueji.approvals.models import ApprovalStep, ChangeRequest
from xueji.approvals.services import deadlines_sweep, due_at_for, request_decide
from xueji.files.proof import CheckedFile
from xueji.pupils.models import Pupil

DEMO_PROOF = CheckedFile(
    content=b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    content_type="application/pdf", extension=".pdf", original_name="诊断证明（演示）.pdf",
)
SCHOOL_CODE = "2122012201"  # 农安县实验小学 (a1)
REGISTRAR, HEADMASTER, OFFICER = "registrar_a1", "headmaster_a1", "officer_a"
# The demo's grades are a few pupils over 3 %; the bureau grants it with a reason.
DETAILS = {"over_cap_reason": "演示数据：经核实确需休学。", "graduating_reason": "演示数据：经核实确需休学。"}


def _pupils(count: int) -> list[Pupil]:
    """Enrolled pupils of A1 with no open request, one per grade (not the graduating grade)."""
    candidates = (Pupil.objects.filter(school__code=SCHOOL_CODE, status="enrolled", deleted_at__isnull=True)
                  .exclude(requests__status="pending").select_related("school").order_by("grade", "id"))
    chosen, grades = [], set()
    for pupil in candidates:
        if pupil.grade in grades or pupil.grade == pupil.school.graduating_grade:
            continue
        grades.add(pupil.grade)
        chosen.append(pupil)
        if len(chosen) == count:
            break
    return chosen


def _suspend(pupil: Pupil, first_absence, filed_on, note: str) -> ChangeRequest:
    return suspension_start(
        actor=User.objects.get(username=REGISTRAR), pupil=pupil, files=[DEMO_PROOF], today=filed_on,
        application=SuspensionApplication(grounds="illness", grounds_note=f"{note}（演示数据）", first_absence=first_absence,
                                          hospital="农安县人民医院", hospital_county_level=True),
    )


def _approve(request: ChangeRequest, *usernames: str) -> None:
    for username in usernames:
        request_decide(actor=User.objects.get(username=username), request_id=request.pk, approve=True, comment="同意",
                       details=DETAILS)


def _backdate(request: ChangeRequest, filed_on) -> None:
    """Let an approved request look as if it had been filed and decided back then."""
    at = timezone.make_aware(datetime.combine(filed_on, time(9)))
    ChangeRequest.objects.filter(pk=request.pk).update(started_at=at, finished_at=at + timedelta(days=5))
    ApprovalStep.objects.filter(request=request).update(activated_at=at, due_at=at + timedelta(days=14),
                                                        decided_at=at + timedelta(days=5))


def load(say) -> None:
    _load_suspensions(say)
    _load_resumption_and_deferral(say)


def _load_suspensions(say) -> None:
    if ChangeRequest.objects.filter(kind="suspension").exists():
        return
    pupils = _pupils(4)
    if len(pupils) < 4:
        return
    today = timezone.localdate()
    waiting, late, ending, ended = pupils
    with transaction.atomic():
        # Waiting for headmaster_a1.
        _suspend(waiting, today - timedelta(days=5), today, "骨折住院")
        # Waiting for officer_a, three weeks overdue (its deadline set back, as demo/transfers.py does).
        overdue = _suspend(late, today - timedelta(days=20), today, "肺炎住院治疗")
        _approve(overdue, HEADMASTER)
        ApprovalStep.objects.filter(request=overdue, status="pending").update(
            activated_at=timezone.now() - timedelta(days=35), due_at=timezone.now() - timedelta(days=21))
        # Approved a year ago: the period ends in 20 days.
        first = add_months(today + timedelta(days=20), -12)
        soon = _suspend(ending, first, first + timedelta(days=3), "腿部手术后康复")
        _approve(soon, HEADMASTER, OFFICER)
        _backdate(soon, first + timedelta(days=3))
        # Approved over a year ago: the period ended 40 days ago, no resumption, no renewal.
        first = add_months(today - timedelta(days=40), -12)
        limbo = _suspend(ended, first, first + timedelta(days=3), "抑郁症住院治疗")
        _approve(limbo, HEADMASTER, OFFICER)
        _backdate(limbo, first + timedelta(days=3))
    # The reminders the daily sweep would have sent for the ended one, then today's.
    ends = today - timedelta(days=40)
    suspension_reminders_sweep(today=ends - timedelta(days=30))
    suspension_reminders_sweep(today=ends)
    suspension_reminders_sweep(today=today)
    deadlines_sweep()
    say("  休学演示：4 项休学（1 项待校长审核，1 项待教育局审批且已超期，1 项 20 天后期满，1 项期满未复学）\n")


# 复学 and 缓学 ----------------------------------------------------------------------------------

def _untouched(grade: int) -> Pupil | None:
    """The first enrolled pupil of A1 in the grade that no request has touched (the dropouts demo
    takes the last ones)."""
    return (Pupil.objects.filter(school__code=SCHOOL_CODE, grade=grade, status="enrolled", deleted_at__isnull=True,
                                 requests__isnull=True)
            .select_related("school", "school_class").order_by("id").first())


def _pdf(name: str) -> CheckedFile:
    return CheckedFile(content=DEMO_PROOF.content, content_type="application/pdf", extension=".pdf", original_name=name)


def _set_back_waiting(request: ChangeRequest, filed_on, signed_on) -> None:
    """Let a request whose first step is signed look as if it had been filed and signed back then;
    the step now pending started on the day of the signature, its deadline counted from it."""
    first, waiting = request.steps.order_by("position")[:2]
    filed = timezone.make_aware(datetime.combine(filed_on, time(9)))
    signed = timezone.make_aware(datetime.combine(signed_on, time(10)))
    ChangeRequest.objects.filter(pk=request.pk).update(started_at=filed)
    ApprovalStep.objects.filter(pk=first.pk).update(
        activated_at=filed, due_at=due_at_for(filed, first.working_days), decided_at=signed)
    ApprovalStep.objects.filter(pk=waiting.pk).update(
        activated_at=signed, due_at=due_at_for(signed, waiting.working_days))


def _load_resumption_and_deferral(say) -> None:
    if ChangeRequest.objects.filter(kind__in=["resumption", "deferral"]).exists():
        return
    returning, newcomer = _untouched(5), _untouched(1)
    if returning is None or newcomer is None or returning.school_class is None:
        return
    today = timezone.localdate()
    registrar = User.objects.get(username=REGISTRAR)
    with transaction.atomic():
        # Suspended a year ago, approved then; the period ends today, and the school was reminded
        # 30 days before: the guardian brings the recovery certificate today. Waiting for headmaster_a1.
        first = add_months(today, -12)
        suspension = _suspend(returning, first, first + timedelta(days=2), "肾病综合征住院治疗")
        _approve(suspension, HEADMASTER, OFFICER)
        _backdate(suspension, first + timedelta(days=2))
        returning.refresh_from_db()
        ends = current_period_end(returning)
        suspension_reminders_sweep(today=ends - timedelta(days=30))
        resumption_start(actor=registrar, pupil=returning, target_class=returning.school_class,
                         files=[_pdf("康复证明（演示）.pdf")], today=ends)
        # 缓学 of a grade-1 pupil, filed before 1 September of the intake year and signed by the
        # headmaster the next day: waiting for officer_a (overdue once that is weeks ago).
        deadline = deferral_deadline(newcomer.entry_date.year)
        filed_on = min(today, deadline - timedelta(days=7))
        deferral = deferral_start(
            actor=registrar, pupil=newcomer, hospital="农安县人民医院", hospital_county_level=True,
            note="先天性心脏病术后康复，体质虚弱，家长申请延缓一年入学（演示数据）", today=filed_on,
            medical_files=[_pdf("医务证明书（演示）.pdf")], guardian_files=[_pdf("家长缓学申请（演示）.pdf")],
        )
        _approve(deferral, HEADMASTER)
        if filed_on < today:
            _set_back_waiting(deferral, filed_on, filed_on + timedelta(days=1))
    deadlines_sweep()
    say("  复学、缓学演示：1 项复学待校长审核（休学期今天期满），1 项缓学待教育局审批\n")
