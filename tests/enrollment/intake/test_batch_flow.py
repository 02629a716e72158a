"""From entries to records: classes within their caps, balanced classes, the submission window,
the headmaster's and the bureau's decisions (a return with a reason per pupil), the records with
L numbers on approval, then G and J numbers when the bureau confirms identity."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from enrollment.intake import services
from enrollment.intake.models import EnrolmentEntry, EntryStatus
from enrollment.intake.validation import IntakeInvalid
from tests.enrollment.conftest import COLLECTING, SUBMITTING, admit, new_pupil_row
from tests.factories import guardian_data
from xueji.accounts.models import BureauSettings
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.services import request_decide, request_withdraw
from xueji.codes import Gender, IdType, PupilStatus
from xueji.pupils.models import Pupil, StudentNumber, id_number_index


def enter(world, intake, rows):
    admit(intake.school, rows, by=world.user("officer_a"))
    with time_machine.travel(COLLECTING, tick=False):
        return [services.entry_save(actor=world.user("registrar_a1"), school=intake.school, intake=intake, row=r) for r in rows]


def placed(world, intake, count=4):
    entries = enter(world, intake, [new_pupil_row(i + 2, gender=(Gender.MALE, Gender.FEMALE)[i % 2]) for i in range(count)])
    [school_class] = services.classes_create(actor=world.user("registrar_a1"), school=intake.school, intake_year=2026, grade=1, count=1)
    services.entries_assign(actor=world.user("registrar_a1"), school=intake.school, entry_ids=[e.pk for e in entries], school_class=school_class)
    return entries, school_class


def submit(world, intake):
    with time_machine.travel(SUBMITTING, tick=False):
        return services.batch_submit(actor=world.user("registrar_a1"), school=intake.school, intake_year=2026, grade=1)


def test_entering_is_refused_outside_the_windows(world, intake):
    row = new_pupil_row()
    admit(intake.school, [row], by=world.user("officer_a"))
    with time_machine.travel("2026-10-08 10:00 +0800", tick=False), pytest.raises(ValidationError, match="不在此期间"):
        services.entry_save(actor=world.user("registrar_a1"), school=intake.school, intake=intake, row=row)


def test_only_the_schools_registrar_enters_pupils(world, intake):
    row = new_pupil_row()
    admit(intake.school, [row], by=world.user("officer_a"))
    with time_machine.travel(COLLECTING, tick=False), pytest.raises(NotAllowed, match="学籍管理员"):
        services.entry_save(actor=world.user("registrar_b1"), school=intake.school, intake=intake, row=row)


def test_the_form_reports_a_correction_that_breaks_a_rule_and_keeps_the_entry(world, intake):
    [entry] = enter(world, intake, [new_pupil_row()])
    bad = new_pupil_row(1, birth=entry.birth_date, id_number=entry.id_number, name=entry.name, gender=entry.gender)
    bad.guardians = []
    with time_machine.travel(COLLECTING, tick=False), pytest.raises(IntakeInvalid):
        services.entry_save(actor=world.user("registrar_a1"), school=intake.school, intake=intake, row=bad, entry=entry)
    entry.refresh_from_db()
    assert len(entry.guardians) == 2


def test_class_cap_is_enforced_when_assigning(world, intake):
    BureauSettings.objects.create(bureau=world.units["county_a"], class_cap_primary=3)
    entries = enter(world, intake, [new_pupil_row(i + 2) for i in range(4)])
    [school_class] = services.classes_create(actor=world.user("registrar_a1"), school=intake.school, intake_year=2026, grade=1, count=1)

    with pytest.raises(ValidationError, match="班额上限 3 人"):
        services.entries_assign(actor=world.user("registrar_a1"), school=intake.school,
                                entry_ids=[e.pk for e in entries], school_class=school_class)
    assert not EnrolmentEntry.objects.filter(school_class=school_class).exists()


def test_balance_deals_boys_and_girls_evenly_within_caps(world, intake):
    rows = [new_pupil_row(i + 2, gender=Gender.MALE if i < 6 else Gender.FEMALE) for i in range(10)]
    enter(world, intake, rows)
    classes = services.classes_create(actor=world.user("registrar_a1"), school=intake.school, intake_year=2026, grade=1, count=2)

    counts = services.entries_balance(actor=world.user("registrar_a1"), school=intake.school, intake_year=2026, grade=1)

    assert sorted(counts.values()) == [5, 5]
    for school_class in classes:
        boys = EnrolmentEntry.objects.filter(school_class=school_class, gender=Gender.MALE).count()
        assert boys == 3


def test_submit_needs_every_pupil_in_a_class_and_the_submission_window(world, intake):
    enter(world, intake, [new_pupil_row()])
    with pytest.raises(ValidationError, match="没有分班"):
        submit(world, intake)
    with time_machine.travel(COLLECTING, tick=False), pytest.raises(ValidationError, match="上报时间"):
        services.batch_submit(actor=world.user("registrar_a1"), school=intake.school, intake_year=2026, grade=1)


def test_approved_batch_establishes_records_with_l_numbers_in_their_classes(world, intake):
    entries, school_class = placed(world, intake)
    batch = submit(world, intake)
    assert [s.role for s in batch.steps.order_by("position")] == ["headmaster", "county_officer"]
    assert set(EnrolmentEntry.objects.values_list("status", flat=True)) == {EntryStatus.SUBMITTED}

    with time_machine.travel(SUBMITTING, tick=False):
        request_decide(actor=world.user("headmaster_a1"), request_id=batch.pk, approve=True)
        request_decide(actor=world.user("officer_a"), request_id=batch.pk, approve=True)

    pupils = Pupil.objects.filter(school_class=school_class)
    assert pupils.count() == 4
    assert all(p.student_number.startswith("L") and p.status == PupilStatus.ENROLLED and p.grade == 1 for p in pupils)
    assert set(EnrolmentEntry.objects.values_list("status", flat=True)) == {EntryStatus.ESTABLISHED}
    assert all(e.pupil_id for e in EnrolmentEntry.objects.all())


def test_bureau_returns_with_a_reason_per_pupil_and_the_school_resubmits(world, intake):
    entries, _ = placed(world, intake, count=2)
    batch = submit(world, intake)
    with time_machine.travel(SUBMITTING, tick=False):
        request_decide(actor=world.user("headmaster_a1"), request_id=batch.pk, approve=True)
        with pytest.raises(ValidationError, match="至少为一名学生"):
            request_decide(actor=world.user("officer_a"), request_id=batch.pk, approve=False, comment="有误", details={"returns": {}})
        request_decide(actor=world.user("officer_a"), request_id=batch.pk, approve=False, comment="有误",
                       details={"returns": {str(entries[0].pk): "户口性质与户口簿不符"}})

    first, second = (EnrolmentEntry.objects.get(pk=e.pk) for e in entries)
    assert (first.status, first.return_reason) == (EntryStatus.RETURNED, "户口性质与户口簿不符")
    assert (second.status, second.return_reason) == (EntryStatus.RETURNED, "")
    assert not Pupil.objects.filter(school_class__grade=1).exists()

    again = submit(world, intake)
    assert again.resubmission_of_id == batch.pk


def test_withdrawn_batch_goes_back_to_the_school(world, intake):
    placed(world, intake, count=1)
    batch = submit(world, intake)
    request_withdraw(actor=world.user("registrar_a1"), request_id=batch.pk)
    assert set(EnrolmentEntry.objects.values_list("status", flat=True)) == {EntryStatus.DRAFT}


def test_headmaster_may_not_approve_another_schools_batch(world, intake):
    placed(world, intake, count=1)
    batch = submit(world, intake)
    with pytest.raises(ValidationError, match="审批人"):
        request_decide(actor=world.user("headmaster_b1"), request_id=batch.pk, approve=True)


def test_identity_confirmation_gives_g_and_j_numbers_and_keeps_the_l(world, intake):
    with_id = new_pupil_row(2)
    without_id = new_pupil_row(3, id_type=IdType.NONE, id_number="", birth=date(2020, 2, 2))
    without_id.guardians = [guardian_data()]
    entries = enter(world, intake, [with_id, without_id])
    [school_class] = services.classes_create(actor=world.user("registrar_a1"), school=intake.school, intake_year=2026, grade=1, count=1)
    services.entries_assign(actor=world.user("registrar_a1"), school=intake.school, entry_ids=[e.pk for e in entries], school_class=school_class)
    batch = submit(world, intake)
    with time_machine.travel(SUBMITTING, tick=False):
        request_decide(actor=world.user("headmaster_a1"), request_id=batch.pk, approve=True)
        request_decide(actor=world.user("officer_a"), request_id=batch.pk, approve=True)
    pupils = {p.name: p for p in Pupil.objects.filter(school_class=school_class)}
    ids = [p.pk for p in pupils.values()]

    assert services.identity_confirm(actor=world.user("officer_b"), pupil_ids=ids) == 0  # another county's officer
    assert services.identity_confirm(actor=world.user("officer_a"), pupil_ids=ids) == 2

    g = Pupil.objects.get(name=with_id.data["name"])
    j = Pupil.objects.get(name=without_id.data["name"])
    assert g.student_number == "G" + g.id_number
    assert j.student_number.startswith("J")
    assert StudentNumber.objects.filter(pupil=g, number__startswith="L", retired_at__isnull=False).exists()
    with pytest.raises(NotAllowed):
        services.identity_confirm(actor=world.user("registrar_a1"), pupil_ids=ids)


def test_junior_intake_continues_the_primary_record_with_the_same_number(world):
    from enrollment.intake.validation import Intake
    from tests.factories import make_pupil
    from xueji.pupils.services import pupil_set_status

    graduate = make_pupil(world.units["a1"], grade=6, birth_date=date(2014, 3, 3))  # grade 6 in 2025—2026
    pupil_set_status(actor=None, pupil=graduate, status=PupilStatus.GRADUATED, effective_date=date(2026, 7, 1), reason="小学毕业")
    number = graduate.student_number
    junior = Intake(school=world.units["a2"], intake_year=2026, grade=7)
    row = new_pupil_row(2, birth=graduate.birth_date, id_number=graduate.id_number, name=graduate.name, gender=graduate.gender)
    admit(junior.school, [row], by=world.user("officer_a"))
    with time_machine.travel(COLLECTING, tick=False):
        entry = services.entry_save(actor=world.user("registrar_a2"), school=junior.school, intake=junior, row=row)
    assert entry.continues_id == graduate.pk
    [school_class] = services.classes_create(actor=world.user("registrar_a2"), school=junior.school, intake_year=2026, grade=7, count=1)
    services.entries_assign(actor=world.user("registrar_a2"), school=junior.school, entry_ids=[entry.pk], school_class=school_class)
    with time_machine.travel(SUBMITTING, tick=False):
        batch = services.batch_submit(actor=world.user("registrar_a2"), school=junior.school, intake_year=2026, grade=7)
        request_decide(actor=world.user("headmaster_a2"), request_id=batch.pk, approve=True)
        request_decide(actor=world.user("officer_a"), request_id=batch.pk, approve=True)

    graduate.refresh_from_db()
    assert (graduate.school_id, graduate.grade, graduate.status) == (junior.school.pk, 7, PupilStatus.ENROLLED)
    assert graduate.student_number == number
    assert Pupil.objects.filter(id_number_index=id_number_index(graduate.id_number)).count() == 1


def test_a_primary_record_is_not_continued_into_grade_1(world, intake):
    from tests.factories import make_pupil

    existing = make_pupil(world.units["b1"], grade=1, birth_date=date(2020, 4, 4))
    row = new_pupil_row(2, birth=existing.birth_date, id_number=existing.id_number, name=existing.name, gender=existing.gender)
    admit(intake.school, [row], by=world.user("officer_a"))
    with time_machine.travel(COLLECTING, tick=False), pytest.raises(IntakeInvalid):
        services.entry_save(actor=world.user("registrar_a1"), school=intake.school, intake=intake, row=row)


def test_the_page_confirms_before_submitting_and_sends_nothing_before(world, intake, login):
    """Issue 14: 上报 shows what goes up (how many, per class) with 确认/返回; nothing is submitted
    until 确认上报 (confirm=1 with the count seen); a list changed since is refused."""
    entries, school_class = placed(world, intake, count=3)
    with time_machine.travel(SUBMITTING, tick=False):
        client = login(world.user("registrar_a1"))
        response = client.post("/enrolment/submit/?grade=1")
        assert response.status_code == 200
        body = response.content.decode()
        assert "确认上报 3 名新生" in body and "返回" in body and f"{school_class.name}" in body and "3 人" in body
        assert not EnrolmentEntry.objects.exclude(status=EntryStatus.DRAFT).exists()
        assert not EnrolmentEntry.objects.filter(batch__isnull=False).exists()

        # Without the count seen, or with another count: refused, nothing sent.
        for data in ({"confirm": "1"}, {"confirm": "1", "expected": "2"}):
            text = client.post("/enrolment/submit/?grade=1", data, follow=True).content.decode()
            assert "核对" in text
            assert not EnrolmentEntry.objects.filter(batch__isnull=False).exists()

        response = client.post("/enrolment/submit/?grade=1", {"confirm": "1", "expected": "3"})
    assert response.status_code == 302 and "/requests/" in response["Location"]
    assert set(EnrolmentEntry.objects.values_list("status", flat=True)) == {EntryStatus.SUBMITTED}


def test_the_confirmation_refuses_as_submitting_would(world, intake, login):
    enter(world, intake, [new_pupil_row()])  # not in a class
    with time_machine.travel(SUBMITTING, tick=False):
        text = login(world.user("registrar_a1")).post("/enrolment/submit/?grade=1", follow=True).content.decode()
    assert "没有分班" in text and "确认上报" not in text
