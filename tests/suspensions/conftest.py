"""Helpers for suspension tests: proof files, starting a 休学 at a pupil's school, approving it
through the engine (headmaster, then the county officer)."""

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from suspensions.services import SuspensionApplication, suspension_start
from xueji.approvals.services import request_decide
from xueji.files.proof import check_uploads

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
FIRST_ABSENCE = date(2026, 10, 12)
FILED = date(2026, 10, 20)


def proof(name: str = "诊断证明.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def proofs(*names: str):
    return check_uploads([proof(name) for name in (names or ("诊断证明.pdf",))])


def suspend(world, pupil_key: str = "a1", *, today: date = FILED, first_absence: date | None = FIRST_ABSENCE,
            grounds: str = "illness", files=None, registrar: str | None = None, **application):
    """The pupil's school's registrar files a 休学 on ``today`` (the clock is frozen there too)."""
    pupil = world.pupils[pupil_key]
    pupil.refresh_from_db()
    registrar = registrar or f"registrar_{pupil_key[:2]}"
    application = {"hospital": "农安县人民医院", "hospital_county_level": True, "grounds_note": "骨折住院", **application}
    with time_machine.travel(today, tick=False):
        return suspension_start(
            actor=world.user(registrar), pupil=pupil, today=today,
            application=SuspensionApplication(grounds=grounds, first_absence=first_absence, **application),
            files=proofs() if files is None else files,
        )


def decide(world, request, *names: str, today: date | None = None, **details):
    """Approve the request's steps in turn as the named users (headmaster, then the officer)."""
    with time_machine.travel(today or timezone.localdate(request.started_at), tick=False):
        for name in names or _deciders(request):
            request_decide(actor=world.user(name), request_id=request.pk, approve=True, details=details)
    request.refresh_from_db()
    request.pupil.refresh_from_db()
    return request


def _deciders(request) -> tuple[str, ...]:
    school = request.pupil.school.name
    return {"农安县实验小学": ("headmaster_a1", "officer_a"), "农安县第一中学": ("headmaster_a2", "officer_a"),
            "榆树市实验小学": ("headmaster_b1", "officer_b")}[school]


@pytest.fixture
def no_cap(world):
    """The world's grades hold two or three pupils: any suspension is over 3 %. Tests of other
    rules lift the cap (both bureaus set it to 100 %); the cap has its own tests."""
    from xueji.accounts.models import BureauSettings

    for county in ("county_a", "county_b"):
        BureauSettings.objects.update_or_create(bureau=world.units[county], defaults={"suspension_cap_percent": 100})
