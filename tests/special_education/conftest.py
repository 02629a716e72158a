"""Helpers for the special-education tests: a second-grade class at A1 for 降级, making a pupil a
special-education pupil (a disability on the record), starting a 降级 and deciding it."""

from datetime import date

import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from special_education.services import grade_down_start
from tests.factories import SchoolClassFactory
from xueji.approvals.services import request_decide
from xueji.codes import Disability, DisabilityPlacement
from xueji.files.proof import check_uploads
from xueji.pupils.models import Pupil

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
FILED = date(2026, 10, 12)  # a Monday after the National Day holiday


def proof(name: str = "证明.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def proofs(*names: str):
    return check_uploads([proof(name) for name in (names or ("证明.pdf",))])


def second_grade(world, number: int = 1):
    """A class of A1's second grade in the world's school year (made once per number)."""
    key = f"a1_2_{number}"
    if key not in world.classes:
        world.classes[key] = SchoolClassFactory(school=world.units["a1"], grade=2, number=number)
    return world.classes[key]


def make_special(pupil: Pupil, placement: str = DisabilityPlacement.REGULAR_CLASS, disability: str = Disability.HEARING):
    """The pupil with a disability on the record (the manager's update keeps the blind indexes)."""
    Pupil.objects.filter(pk=pupil.pk).update(disability=disability, disability_placement=placement)
    pupil.refresh_from_db()
    return pupil


def grade_down(world, pupil_key: str = "a1", *, target=None, registrar: str | None = None, reason: str = "听力障碍，跟不上三年级的课程",
               guardian_files=None, proof_files=None, resubmission_of=None, today: date = FILED):
    pupil = world.pupils[pupil_key]
    pupil.refresh_from_db()
    with time_machine.travel(today, tick=False):
        return grade_down_start(
            actor=world.user(registrar or f"registrar_{pupil_key[:2]}"), pupil=pupil,
            target_class=target or second_grade(world), reason=reason,
            guardian_files=proofs("监护人申请.pdf") if guardian_files is None else guardian_files,
            proof_files=proofs("残疾证.pdf") if proof_files is None else proof_files,
            resubmission_of=resubmission_of,
        )


def decide(world, request, *names: str, approve: bool = True, comment: str = ""):
    """Decide the request's steps in turn as the named users (headmaster, then the officer)."""
    with time_machine.travel(timezone.localtime(request.started_at), tick=False):
        for name in names or ("headmaster_a1", "officer_a"):
            request_decide(actor=world.user(name), request_id=request.pk, approve=approve, comment=comment)
    request.refresh_from_db()
    request.pupil.refresh_from_db()
    return request
