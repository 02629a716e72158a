"""The demo data: its accounts, loading it twice, and a photo class's cards."""

from collections import Counter

import pytest
from django.core.management import call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image

from demo.world import ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET
from tests.demo.signin import demo_login
from tests.otp import totp_code
from tests.pdfs import image_pages, page_count
from tests.document_jobs import print_through_job
from xueji.accounts.models import Membership, Unit, UnitKind, User
from xueji.accounts.two_factor import needs_second_factor
from xueji.approvals.models import ApprovalStep, ChangeRequest
from xueji.documents.cards import IN_SCHOOL
from xueji.photos.images import PHOTO_SIZE
from xueji.photos.services import photo_warnings
from xueji.pupils.models import Pupil, SchoolClass


@pytest.mark.django_db
def test_demo_data_accounts_and_idempotence(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path  # the demo's photos are files
    call_command("load_demo")
    _assert_national_items()
    counts = (Pupil.objects.count(), User.objects.count(), Membership.objects.count(), ChangeRequest.objects.count())
    photos = set(Pupil.objects.exclude(photo="").values_list("pk", "photo"))
    assert 1200 <= counts[0] <= 1800 and photos
    call_command("load_demo")
    assert (Pupil.objects.count(), User.objects.count(), Membership.objects.count(), ChangeRequest.objects.count()) == counts
    assert set(Pupil.objects.exclude(photo="").values_list("pk", "photo")) == photos  # the same files, none added
    # Six transfers at every stage, one enrolment batch waiting for officer_b, five suspensions, a
    # resumption and a deferral, three cancellations, three information changes. Overdue at a bureau:
    # one of each kind but the enrolment batch and the resumption (the deferral was filed before
    # 1 September). One more transfer, approved seven weeks ago, is demo/archives.py's: its
    # paper file's hand-over is overdue.
    kinds = Counter(ChangeRequest.objects.values_list("kind", flat=True))
    assert kinds == {"enrolment": 1, "transfer": 6, "study_abroad": 1, "suspension": 5, "resumption": 1,
                     "deferral": 1, "cancellation": 3, "info_change": 3}
    assert sum(kinds.values()) == counts[3]
    # The schools the finished transfers left keep their copies (已转出学生): B1 and A3.
    from transfers.left.models import LeftPupilCopy

    assert sorted(LeftPupilCopy.objects.values_list("school__name", flat=True)) == ["合隆镇陈家店小学", "榆树市实验小学"]
    overdue = Counter(ApprovalStep.objects.filter(status="pending", overdue_at__isnull=False)
                      .values_list("request__kind", flat=True))
    assert overdue == {"transfer": 1, "suspension": 1, "deferral": 1, "cancellation": 1, "info_change": 1}
    assert _waiting("resumption") == [("农安县实验小学", "校长审核", False)]
    assert _waiting("deferral") == [("农安县教育局", "农安县教育局审批", True)]
    assert _waiting("cancellation") == [("农安县实验小学", "学校核实：校长审核", False), ("农安县教育局", "农安县教育局确认", True)]
    assert _waiting("info_change") == [("农安县实验小学", "学校核实：校长审核", False), ("农安县教育局", "农安县教育局审批", True)]
    renamed = ChangeRequest.objects.get(kind="info_change", status="approved")
    assert renamed.pupil.name == renamed.payload["changes"]["name"] and renamed.pupil.former_name == renamed.payload["before"]["name"]
    reported_late = ChangeRequest.objects.get(kind="cancellation", status="approved")
    assert reported_late.payload["grounds"] == "death" and reported_late.payload["late"]
    assert reported_late.pupil.status == "deceased"
    batch = ChangeRequest.objects.get(kind="enrolment")
    assert batch.steps.get(status="pending").unit.name == "榆树市教育局"
    from enrollment.admission.models import AdmissionEntry
    from enrollment.intake.models import EnrolmentEntry

    # 40 at A1 and 6 at B1 (this autumn's intake), 3 at A3 from last autumn who never came (the
    # dropout ledgers' demo, demo/dropouts.py).
    assert AdmissionEntry.objects.count() == 49 and EnrolmentEntry.objects.filter(status="draft").count() == 8
    usable = {user.username for user in User.objects.all() if user.has_usable_password()}
    assert usable == {name for name, _ in ACCOUNTS}
    # Every account logs in with the password and the code of the shared secret, and lands at home.
    assert TOTPDevice.objects.filter(confirmed=True).count() == len(ACCOUNTS)
    for username, _ in ACCOUNTS:
        client = Client()
        response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        user = User.objects.get(username=username)
        if needs_second_factor(user):
            assert (response.status_code, response["Location"]) == (302, "/login/otp/"), username
            response = client.post("/login/otp/", {"code": totp_code(user, secret=DEMO_TOTP_SECRET)})
        assert (response.status_code, response["Location"]) == (302, "/"), username
        assert client.get("/").status_code == 200


def _assert_national_items():
    """The demo fills the national form's items beyond the old field set plausibly (demo/world.py)."""
    from decimal import Decimal

    from enrollment.intake.models import EnrolmentEntry
    from xueji.pupils.models import Guardian

    pupils = list(Pupil.objects.select_related("school", "school_class").prefetch_related("guardians"))
    assert {p.political_status for p in pupils} == {"13", "03"}
    assert {p.grade for p in pupils if p.political_status == "03"} <= {8, 9}
    assert all(p.preschool is not None and p.needs_aid is not None and p.one_subsidy is not None for p in pupils)
    assert sum(p.preschool for p in pupils) > 0.9 * len(pupils) and 0 < sum(p.needs_aid for p in pupils) < 0.2 * len(pupils)
    assert not any(p.government_place or p.martyr_child for p in pupils)
    assert all(p.one_subsidy <= (p.boarding == "2") for p in pupils) and any(p.one_subsidy for p in pupils)
    assert all(Decimal("0.3") <= p.distance_km <= Decimal("8.0") for p in pupils)
    assert all(p.school_bus == (p.distance_km > 2) for p in pupils)  # 48 from 46, by the rules
    assert all(p.commute_mode != "1" or p.distance_km <= 2 for p in pupils) and all(p.commute_mode for p in pupils)
    assert all(p.mailing_address and p.home_address and p.source == "1" for p in pupils)
    assert {p.postcode for p in pupils} == {"130200", "130400"}
    county_a = [p for p in pupils if p.school.division_id == "220122"]
    assert sum(p.postcode == "130200" for p in county_a) > 0.95 * len(county_a)
    assert all(p.phone == min(p.guardians.all(), key=lambda g: g.position).phone for p in pupils if p.phone)
    assert 0 < sum(bool(p.email) for p in pupils) < 0.15 * len(pupils)
    assert any(p.specialty for p in pupils) and any(p.id_validity for p in pupils)
    first = [p for p in pupils if p.school.code == "2122012201" and p.school_class and (p.school_class.grade, p.school_class.number) == (3, 1)]
    assert "01" in {p.class_number for p in first} and all(p.class_number.isdigit() for p in pupils)
    # Family members: everyone has a guardian; a grandfather here and there who is not one; 其他亲属 said who.
    assert all(any(g.is_guardian for g in p.guardians.all()) for p in pupils)
    assert Guardian.objects.filter(is_guardian=False, relation="61").exists()
    assert all(g.relation_note for g in Guardian.objects.filter(relation="97"))
    assert Guardian.objects.exclude(job_title="").exists() and not Guardian.objects.filter(ethnicity="").exists()
    entry = EnrolmentEntry.objects.filter(status="draft").first()
    assert entry.data["postcode"] == "130200" and entry.data["distance_km"] and entry.guardians[0]["is_guardian"] is True


@pytest.mark.django_db
def test_demo_prints_a_class_s_cards_with_photos(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("load_demo")
    # Every demo school has a whole class with photos.
    for school in Unit.objects.filter(kind=UnitKind.SCHOOL):
        in_school = Pupil.objects.filter(school=school, status__in=IN_SCHOOL, deleted_at__isnull=True)
        classes = SchoolClass.objects.filter(school=school)
        assert any(in_school.filter(school_class=c).exists() and not in_school.filter(school_class=c, photo="").exists()
                   for c in classes), school.name
    # teacher_a1 prints the cards of the class: a page and a photo for every pupil.
    client = demo_login("teacher_a1")
    school_class = SchoolClass.objects.get(head_teacher__username="teacher_a1")
    pupils = list(Pupil.objects.filter(school_class=school_class, status__in=IN_SCHOOL, deleted_at__isnull=True))
    assert len(pupils) >= 20 and all(pupil.photo for pupil in pupils)
    # Stored as an upload is: 2 inches, a blue background the pupil's page says nothing about.
    assert all(photo_warnings(pupil) == [] for pupil in pupils)
    with pupils[0].photo.open("rb") as handle, Image.open(handle) as image:
        assert (image.format, image.size) == ("JPEG", PHOTO_SIZE)
    response = print_through_job(client, f"/classes/{school_class.pk}/cards.pdf")
    assert response.status_code == 200 and page_count(response.content) == len(pupils)
    assert image_pages(response.content) == list(range(1, len(pupils) + 1))


def _waiting(kind: str) -> list[tuple[str, str, bool]]:
    """Where each pending request of the kind waits: (unit, step, overdue)."""
    steps = ApprovalStep.objects.filter(request__kind=kind, status="pending").select_related("unit")
    return sorted(((step.unit.name, step.label, step.overdue_at is not None) for step in steps), key=lambda w: w[2])
