"""Demo data of suspensions/: one 休学 waiting for the headmaster, one waiting for the bureau and
overdue, one approved whose period ends within 30 days (reminded), and one whose period ended
weeks ago without a resumption (在籍异常, with the reminders sent before). Idempotent: nothing is
added once any suspension exists.

The periods lie in the past: the services take ``today=`` for the filing rules, and the requests'
dates are set back afterwards, as transfers/demo.py does."""

from datetime import datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from suspensions.periods import add_months
from suspensions.reminders import suspension_reminders_sweep
from suspensions.services import GRADUATING_GRADE, SuspensionApplication, suspension_start
from xueji.models import ApprovalStep, ChangeRequest, Pupil, User
from xueji.services.approvals import deadlines_sweep, request_decide
from xueji.services.attachments import CheckedFile

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
        if pupil.grade in grades or pupil.grade == GRADUATING_GRADE.get(pupil.school.school_type):
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
        # Waiting for officer_a, three weeks overdue (its deadline set back, as transfers/demo.py does).
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
