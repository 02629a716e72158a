"""借读: the host school registers a pupil of another school by number and name; the home school
keeps the record and its status and is told; one visit at a time; seats count against the cap;
the host ends it."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from enrollment.intake.models import VisitingPupil
from enrollment.intake.visiting import host_schools_of_visiting, pupils_visiting_class, visit_end, visit_start
from xueji.accounts.models import AuditEntry, BureauSettings
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.models import Notice
from xueji.codes import PupilStatus
from xueji.pupils.selectors import PUPIL_NOT_FOUND
from xueji.pupils.services import pupil_set_status


def start(world, pupil_key="b1", host="a1", school_class="a1_3_1", **overrides):
    pupil = world.pupils[pupil_key]
    values = dict(number=pupil.student_number, name=pupil.name, start_date=date(2026, 9, 1),
                  planned_end=date(2027, 1, 20), reason="随父母临时务工")
    values.update(overrides)
    return visit_start(actor=world.user(f"registrar_{host}"), host=world.units[host],
                       school_class=world.classes[school_class], **values)


def test_host_registers_a_visit_and_the_home_school_is_told(world):
    visit = start(world)
    pupil = world.pupils["b1"]
    pupil.refresh_from_db()
    assert (pupil.school_id, pupil.status) == (world.units["b1"].pk, PupilStatus.ENROLLED)
    assert Notice.objects.filter(unit=world.units["b1"], message__contains="借读").exists()
    visit_end(actor=world.user("registrar_a1"), visit=visit, day=date(2027, 1, 15))
    assert VisitingPupil.objects.get().ended_on == date(2027, 1, 15)
    assert Notice.objects.filter(unit=world.units["b1"], message__contains="结束").exists()


def test_one_visit_at_a_time_and_not_at_the_own_school(world):
    start(world)
    with pytest.raises(ValidationError, match="已在本校借读"):
        start(world, host="a1", school_class="a1_3_2")
    with pytest.raises(ValidationError, match="本校学生"):
        start(world, pupil_key="a1", host="a1", school_class="a1_3_2")
    # A visit at another school is that school's business: the host hears "not found".
    start(world, pupil_key="a3")
    with pytest.raises(ValidationError) as error:
        start(world, pupil_key="a3", host="b1", school_class="b1_3_1")
    assert error.value.messages == [PUPIL_NOT_FOUND]
    told = AuditEntry.objects.get(action="pupil.lookup", object_type="pupil", object_id=str(world.pupils["a3"].pk))
    assert "已在其他学校借读" in told.detail and told.unit_id == world.units["a3"].pk


def test_wrong_name_finds_nothing_and_grade_must_match(world):
    with pytest.raises(ValidationError, match="没有找到"):
        start(world, name="不是他")
    # The grade is checked, and told only as "not found": a2 is another school's pupil.
    with pytest.raises(ValidationError) as error:
        start(world, pupil_key="a2", school_class="a1_3_1")
    assert error.value.messages == [PUPIL_NOT_FOUND]
    told = AuditEntry.objects.get(action="pupil.lookup", object_type="pupil")
    assert "年级" in told.detail and told.unit_id == world.units["a2"].pk


def test_a_refusal_about_another_schools_pupil_is_answered_as_not_found_and_audited(world):
    """A host that types another school's number and name learns nothing of the pupil's status."""
    pupil = world.pupils["b1"]
    pupil_set_status(actor=None, pupil=pupil, status=PupilStatus.SUSPENDED, effective_date=date(2026, 9, 1), reason="测试")
    with pytest.raises(ValidationError) as refused:
        start(world)
    with pytest.raises(ValidationError) as missed:
        start(world, name="不是他")
    assert refused.value.messages == missed.value.messages == [PUPIL_NOT_FOUND]
    assert {e.code for e in refused.value.error_list} == {e.code for e in missed.value.error_list} == {"pupil_not_found"}
    asking = AuditEntry.objects.filter(action="pupil.lookup", unit=world.units["a1"], result="denied")
    assert asking.count() == 2 and len({e.detail for e in asking}) == 1 and not asking.exclude(object_id="").exists()
    told = AuditEntry.objects.get(action="pupil.lookup", object_id=str(pupil.pk))
    assert "休学" in told.detail and told.unit_id == world.units["b1"].pk
    texts = " ".join(e.detail + e.object_repr for e in AuditEntry.objects.all())
    assert pupil.id_number not in texts and pupil.student_number not in texts


def test_the_page_answers_a_refusal_as_not_found(world, login):
    pupil = world.pupils["b1"]
    pupil_set_status(actor=None, pupil=pupil, status=PupilStatus.SUSPENDED, effective_date=date(2026, 9, 1), reason="测试")
    client = login(world.user("registrar_a1"))

    def post(name):
        return client.post("/enrolment/visiting/", {
            "number": pupil.student_number, "name": name, "school_class": world.classes["a1_3_1"].pk,
            "start_date": "2026-09-01", "planned_end": "2027-01-20", "reason": "务工",
        })

    refused, missed = post(pupil.name), post("不是他")
    assert refused.status_code == missed.status_code == 200
    assert refused.context["form"].errors == missed.context["form"].errors
    assert PUPIL_NOT_FOUND in refused.content.decode() and "“休学”" not in refused.content.decode()
    assert not VisitingPupil.objects.exists()


def test_visitors_take_seats_within_the_cap(world):
    BureauSettings.objects.create(bureau=world.units["county_a"], class_cap_primary=1)  # a1_3_1 already holds a1
    with pytest.raises(ValidationError, match="已满"):
        start(world)


def test_what_other_apps_ask_of_visits_now(world):
    """学籍核查 asks who sits in a class as a visitor and where a class's own pupils visit; an
    ended visit answers neither."""
    visit = start(world)
    pupil = world.pupils["b1"]
    assert pupils_visiting_class(world.classes["a1_3_1"]) == [pupil]
    assert pupils_visiting_class(world.classes["a1_3_1"])[0].school_id == world.units["b1"].pk
    assert host_schools_of_visiting([pupil.pk, world.pupils["a1"].pk]) == {pupil.pk: "农安县实验小学"}
    visit_end(actor=world.user("registrar_a1"), visit=visit, day=date(2026, 12, 1))
    assert pupils_visiting_class(world.classes["a1_3_1"]) == [] and host_schools_of_visiting([pupil.pk]) == {}


def test_only_the_host_registrar(world):
    pupil = world.pupils["b1"]
    with pytest.raises(NotAllowed):
        visit_start(actor=world.user("registrar_a2"), host=world.units["a1"], number=pupil.student_number, name=pupil.name,
                    school_class=world.classes["a1_3_1"], start_date=date(2026, 9, 1), planned_end=date(2027, 1, 1), reason="x")
    visit = start(world)
    with pytest.raises(NotAllowed):
        visit_end(actor=world.user("registrar_b1"), visit=visit)


def test_pages(world, login):
    pupil = world.pupils["b1"]
    client = login(world.user("registrar_a1"))
    response = client.post("/enrolment/visiting/", {
        "number": pupil.student_number, "name": pupil.name, "school_class": world.classes["a1_3_1"].pk,
        "start_date": "2026-09-01", "planned_end": "2026-08-01", "reason": "务工",
    })
    assert "预计结束日期应在开始日期之后" in response.content.decode() and not VisitingPupil.objects.exists()
    client.post("/enrolment/visiting/", {
        "number": pupil.student_number, "name": pupil.name, "school_class": world.classes["a1_3_1"].pk,
        "start_date": "2026-09-01", "planned_end": "2027-01-20", "reason": "务工",
    })
    visit = VisitingPupil.objects.get()
    assert pupil.name in client.get("/enrolment/visiting/").content.decode()
    assert login(world.user("registrar_b1")).post(f"/enrolment/visiting/{visit.pk}/end/").status_code == 404
    assert VisitingPupil.objects.get().ended_on is None
    assert login(world.user("registrar_a1")).post(f"/enrolment/visiting/{visit.pk}/end/").status_code == 302
    assert VisitingPupil.objects.get().ended_on is not None
