"""Demo data of information changes: at 农安县实验小学, a name change waiting for county A's bureau
(overdue), an ID-number correction waiting for the headmaster, and one approved name change.
Idempotent: nothing is added once any information change exists."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from stdnum.cn import ric

from changes.services import KIND, info_change_start
from xueji.accounts.models import User
from xueji.approvals.models import ApprovalStep, ChangeRequest
from xueji.approvals.services import deadlines_sweep, request_decide
from xueji.files.proof import CheckedFile
from xueji.pupils.models import Pupil

SCHOOL_CODE = "2122012201"  # 农安县实验小学 (a1)
REGISTRAR, HEADMASTER, OFFICER = "registrar_a1", "headmaster_a1", "officer_a"
DEMO_PROOF = CheckedFile(
    content=b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    content_type="application/pdf", extension=".pdf", original_name="户口簿（演示）.pdf",
)


def _pupils(count: int) -> list[Pupil]:
    """Enrolled pupils of A1 with a G number and no request of any kind yet, from the top grades."""
    return list(
        Pupil.objects.filter(school__code=SCHOOL_CODE, status="enrolled", deleted_at__isnull=True,
                             student_number__startswith="G")
        .exclude(requests__isnull=False).order_by("-grade", "id")[:count]
    )


def _corrected_id(pupil: Pupil) -> str:
    """Another valid number with the same area, birth date and gender (a clerk's typo corrected)."""
    sequence = (int(pupil.id_number[14:17]) + 2) % 1000
    body = f"{pupil.id_number[:14]}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def _start(pupil: Pupil, reason: str, **typed) -> ChangeRequest:
    return info_change_start(actor=User.objects.get(username=REGISTRAR), pupil=pupil, typed=typed,
                             reason=f"{reason}（演示数据）", guardian_files=[DEMO_PROOF], proof_files=[DEMO_PROOF])


def _approve(request: ChangeRequest, *usernames: str) -> None:
    for username in usernames:
        request_decide(actor=User.objects.get(username=username), request_id=request.pk, approve=True, comment="同意")


def load(say) -> None:
    if ChangeRequest.objects.filter(kind=KIND).exists():
        return
    pupils = _pupils(3)
    if len(pupils) < 3:
        return
    renamed, mistyped, done = pupils
    with transaction.atomic():
        late = _start(renamed, "父母为孩子改名，户口簿已变更", name=renamed.name[0] + "子涵")
        _approve(late, HEADMASTER)
        ApprovalStep.objects.filter(request=late, status="pending").update(
            activated_at=timezone.now() - timedelta(days=25), due_at=timezone.now() - timedelta(days=11))
        _start(mistyped, "建籍时身份证号录错一位", id_number=_corrected_id(mistyped))
        finished = _start(done, "户口簿姓名用字更正", name=done.name[0] + "雨桐")
        _approve(finished, HEADMASTER, OFFICER)
    deadlines_sweep()
    say("  信息变更演示：3 项（1 项待教育局审批且已超期，1 项身份证号更正待校长审核，1 项已批准）\n")
