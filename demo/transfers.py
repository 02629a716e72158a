"""Demo data of transfers/: requests at every stage, so that inboxes, the bureau's overdue list
and the archive hand-over have something to show. Idempotent: nothing is added once any request of
transfers/ exists."""

from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from archives.handover.services import handover_mark_sent
from transfers.services import TransferApplication, study_abroad_start, transfer_start
from xueji.accounts.models import Unit, User
from xueji.approvals.models import ApprovalStep, ChangeRequest
from xueji.approvals.services import deadlines_sweep, request_decide, request_follow_up
from xueji.files.proof import CheckedFile
from xueji.pupils.models import Pupil, SchoolClass

DEMO_PROOF = CheckedFile(
    content=b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    content_type="application/pdf", extension=".pdf", original_name="户口簿（演示）.pdf",
)
# A day when every transfer window is open: the demo's requests start then, whatever today is.
WINDOW_OPEN = date(2026, 9, 1)


def _pupil(school_code: str, grade: int, index: int) -> Pupil:
    return Pupil.objects.filter(school__code=school_code, grade=grade, status="enrolled").order_by("id")[index]


def _transfer(to_code: str, pupil: Pupil, grounds: str) -> ChangeRequest:
    school = Unit.objects.get(code=to_code)
    target = SchoolClass.objects.filter(school=school, grade=pupil.grade).order_by("number").first()
    return transfer_start(
        actor=User.objects.get(username=f"registrar_{_key(to_code)}"), school=school, files=[DEMO_PROOF], today=WINDOW_OPEN,
        application=TransferApplication(pupil.student_number, pupil.name, grounds, "随父母迁居（演示数据）", target),
    )


def _key(code: str) -> str:
    return {"2122012201": "a1", "2122012202": "a2", "2122012203": "a3", "2122018201": "b1", "2122018202": "b2"}[code]


def _approve(request: ChangeRequest, *usernames: str) -> None:
    for username in usernames:
        request_decide(actor=User.objects.get(username=username), request_id=request.pk, approve=True, comment="同意")


def _make_overdue(request: ChangeRequest, days: int) -> None:
    """Let the pending step's deadline lie in the past (as if it had started weeks ago)."""
    step = ApprovalStep.objects.get(request=request, status="pending")
    ApprovalStep.objects.filter(pk=step.pk).update(
        activated_at=timezone.now() - timedelta(days=days + 14), due_at=timezone.now() - timedelta(days=days)
    )


def load(say) -> None:
    if ChangeRequest.objects.filter(kind__in=["transfer", "study_abroad", "abroad_return", "transfer_out"]).exists():
        return
    with transaction.atomic():
        # Waiting for headmaster_b1: a county A pupil moving to B1 (the full four-party chain).
        _transfer("2122018201", _pupil("2122012201", 4, 0), "residence")
        # Waiting for officer_b, overdue: the county and the city are told by the sweep.
        late = _transfer("2122018201", _pupil("2122012201", 5, 0), "job")
        _approve(late, "headmaster_b1")
        _make_overdue(late, 3)
        # Waiting for headmaster_a1 (sending school) after county B approved.
        middle = _transfer("2122018201", _pupil("2122012201", 2, 0), "residence")
        _approve(middle, "headmaster_b1", "officer_b")
        # Within county A, A1 receives from the rural school: waiting for headmaster_a1.
        _transfer("2122012201", _pupil("2122012203", 3, 0), "residence")
        # Done: a B1 pupil moved to A1; the archive is sent and waits for A1 to confirm receipt.
        done = _transfer("2122012201", _pupil("2122018201", 3, 0), "job")
        _approve(done, "headmaster_a1", "officer_a", "headmaster_b1", "officer_b")
        request_follow_up(done.pk)
        handover_mark_sent(actor=User.objects.get(username="registrar_b1"), handover_id=done.handover.pk,
                           method="courier", tracking_number="SF1234567890", carrier="顺丰速运")
        # Study abroad, waiting for headmaster_a2.
        study_abroad_start(actor=User.objects.get(username="registrar_a2"), pupil=_pupil("2122012202", 8, 0),
                           country="CAN", departure_date=date(2027, 1, 20), note="随父母出国（演示数据）", files=[DEMO_PROOF])
    deadlines_sweep()
    say("  转学演示：6 项申请（其中 1 项已超期，1 项已办结待确认档案）\n")
