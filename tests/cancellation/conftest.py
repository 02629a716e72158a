"""Helpers for 注销学籍 tests: proof files, starting a cancellation at a pupil's school, approving it
through the engine (the headmaster, then the county officer)."""

from datetime import date

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cancellation.services import CancellationApplication, cancellation_start
from xueji.approvals.services import request_decide
from xueji.files.proof import check_uploads

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
# A Monday before the National Day holiday (1–7 Oct 2026): ten working days later is 16 Oct,
# not the 12 Oct that Monday–Friday counting gives.
DIED = date(2026, 9, 28)
DUE = date(2026, 10, 16)
FILED = date(2026, 10, 9)


def proof(name: str = "证明.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def proofs(*names: str):
    return check_uploads([proof(name) for name in (names or ("证明.pdf",))])


def cancel(world, pupil_key: str = "a1", *, today: date = FILED, grounds: str = "death", registrar: str | None = None,
           guardian_files=None, proof_files=None, resubmission_of=None, **application):
    """The pupil's school's registrar files a cancellation on ``today`` (the clock is frozen there)."""
    pupil = world.pupils[pupil_key]
    pupil.refresh_from_db()
    registrar = registrar or f"registrar_{pupil_key[:2]}"
    if grounds == "death":
        application.setdefault("date_of_death", DIED)
    with time_machine.travel(today, tick=False):
        return cancellation_start(
            actor=world.user(registrar), pupil=pupil, resubmission_of=resubmission_of,
            application=CancellationApplication(grounds=grounds, **application),
            guardian_files=proofs("监护人申请.pdf") if guardian_files is None else guardian_files,
            proof_files=proofs("死亡证明.pdf") if proof_files is None else proof_files,
        )


def decide(world, request, *names: str, approve: bool = True, comment: str = ""):
    """Decide the request's steps in turn as the named users (headmaster, then the officer)."""
    with time_machine.travel(timezone.localtime(request.started_at), tick=False):
        for name in names or ("headmaster_a1", "officer_a"):
            request_decide(actor=world.user(name), request_id=request.pk, approve=approve, comment=comment)
    request.refresh_from_db()
    request.pupil.refresh_from_db()
    return request
