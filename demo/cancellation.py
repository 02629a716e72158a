"""Demo data of 注销学籍 (cancellation/services.py), at county A's 农安县实验小学: one waiting for the
headmaster (a death reported in time), one waiting for the bureau and overdue (settled abroad), and
one approved (a death reported late, marked late on the request). Idempotent: nothing is added once
any cancellation exists.

The dates lie in the past: cancellation_start takes ``today=`` for the date rules, and the
requests' times are set back afterwards, as demo/transfers.py and demo/suspensions.py do."""

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from cancellation.kinds import KIND
from cancellation.services import CancellationApplication, cancellation_start
from xueji.accounts.models import User
from xueji.approvals.models import ApprovalStep, ChangeRequest
from xueji.approvals.services import deadlines_sweep, due_at_for, request_decide
from xueji.files.proof import CheckedFile
from xueji.pupils.models import Pupil

SCHOOL_CODE = "2122012201"  # 农安县实验小学 (a1)
REGISTRAR, HEADMASTER, OFFICER = "registrar_a1", "headmaster_a1", "officer_a"


def _pdf(name: str) -> CheckedFile:
    return CheckedFile(
        content=b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
        content_type="application/pdf", extension=".pdf", original_name=name,
    )


def _pupils(count: int) -> list[Pupil]:
    """Enrolled pupils of A1 that no request has touched, one per grade from the top down, the
    first of each grade (the dropouts demo takes the last ones)."""
    candidates = (Pupil.objects.filter(school__code=SCHOOL_CODE, status="enrolled", deleted_at__isnull=True,
                                       requests__isnull=True)
                  .order_by("-grade", "id"))
    chosen, grades = [], set()
    for pupil in candidates:
        if pupil.grade in grades:
            continue
        grades.add(pupil.grade)
        chosen.append(pupil)
        if len(chosen) == count:
            break
    return chosen


def _cancel(pupil: Pupil, filed_on: date, grounds: str, proof: str, note: str, **application) -> ChangeRequest:
    return cancellation_start(
        actor=User.objects.get(username=REGISTRAR), pupil=pupil, today=filed_on,
        application=CancellationApplication(grounds=grounds, note=f"{note}（演示数据）", **application),
        guardian_files=[_pdf("监护人书面申请（演示）.pdf")], proof_files=[_pdf(f"{proof}（演示）.pdf")],
    )


def _decide(request: ChangeRequest, *usernames: str) -> None:
    for username in usernames:
        request_decide(actor=User.objects.get(username=username), request_id=request.pk, approve=True,
                       comment="情况属实，同意")


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _set_back(request: ChangeRequest, filed_on: date, decided_on: list[date]) -> None:
    """Let the request look as if it had been filed on ``filed_on`` and its first steps decided on
    ``decided_on``: each step starts when the one before it was decided, its deadline counted in
    working days from then (so the sweep finds an overdue step overdue)."""
    started = _at(filed_on, 9)
    ChangeRequest.objects.filter(pk=request.pk).update(started_at=started)
    activated = started
    for step, day in zip(request.steps.order_by("position"), [*decided_on, None, None]):
        changes = {"activated_at": activated, "due_at": due_at_for(activated, step.working_days)}
        if day is not None:
            activated = changes["decided_at"] = _at(day, 10)
        ApprovalStep.objects.filter(pk=step.pk).update(**changes)
        if day is None:
            break
    if request.status == "approved":
        ChangeRequest.objects.filter(pk=request.pk).update(finished_at=activated)


def load(say) -> None:
    if ChangeRequest.objects.filter(kind=KIND).exists():
        return
    pupils = _pupils(3)
    if len(pupils) < 3:
        return
    today = timezone.localdate()
    waiting, abroad, late = pupils
    with transaction.atomic():
        # Waiting for headmaster_a1: a death three days ago, reported in time.
        _cancel(waiting, today, "death", "医学死亡证明", "因突发心脏病经抢救无效死亡", date_of_death=today - timedelta(days=3))
        # Waiting for officer_a, overdue: filed five weeks ago, signed by the headmaster two days later.
        overdue = _cancel(abroad, today - timedelta(days=35), "emigration", "护照和境外永久居留证明",
                          "随父母移居加拿大定居，不再回国就读", country="加拿大")
        _decide(overdue, HEADMASTER)
        _set_back(overdue, today - timedelta(days=35), [today - timedelta(days=33)])
        # Approved: a death reported a month after it, past the ten working days (marked late).
        reported = _cancel(late, today - timedelta(days=40), "death", "公安机关出具的死亡证明", "溺水身亡，家长外出务工未及时告知学校",
                           date_of_death=today - timedelta(days=70))
        _decide(reported, HEADMASTER, OFFICER)
        _set_back(reported, today - timedelta(days=40), [today - timedelta(days=39), today - timedelta(days=37)])
    deadlines_sweep()
    say("  注销学籍演示：3 项（1 项待校长审核，1 项待教育局确认且已超期，1 项逾期报告的死亡已确认）\n")
