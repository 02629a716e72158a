"""降级 (2025 办法 第十四条): only special-education pupils, one grade down, into a class of that
grade with room, the guardian's request and the proof; the chain school (headmaster) → bureau; the
last approval moves the pupil, in the history."""

import pytest
from django.core.exceptions import ValidationError

from special_education.kinds import NOT_SPECIAL_EDUCATION, is_special_education
from tests.factories import SchoolClassFactory, make_pupil
from tests.special_education.conftest import decide, grade_down, make_special, second_grade
from xueji.accounts.models import BureauSettings, UnitKind
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.models import RequestStatus
from xueji.codes import Disability, PupilStatus, SchoolType
from xueji.pupils.models import StatusChange
from xueji.pupils.selectors import pupil_field_history


def test_other_pupils_are_refused_with_the_reason(world):
    second_grade(world)
    with pytest.raises(ValidationError) as refused:
        grade_down(world)
    assert refused.value.code == "not_special_education"
    assert "只有特殊教育学生可以申请降级" in refused.value.messages[0] == NOT_SPECIAL_EDUCATION
    assert not world.pupils["a1"].requests.exists()


def test_a_pupil_with_a_disability_or_of_a_special_school_is_a_special_education_pupil(world):
    pupil = world.pupils["a1"]
    assert not is_special_education(pupil)
    assert is_special_education(make_special(pupil))
    school = world.units["a1"]
    school.school_type = SchoolType.SPECIAL
    school.save()
    other = world.pupils["a1_other"]
    other.refresh_from_db()
    assert other.disability == Disability.NONE and is_special_education(other)


def test_chain_is_the_headmaster_then_the_bureau_and_applying_moves_the_pupil_down_one_grade(world):
    pupil = make_special(world.pupils["a1"])
    target = second_grade(world)
    request = grade_down(world)
    steps = list(request.steps.order_by("position"))
    assert [(s.unit.kind, s.role) for s in steps] == [(UnitKind.SCHOOL, "headmaster"), (UnitKind.COUNTY_BUREAU, "county_officer")]
    assert request.payload["from_grade"] == 3 and request.payload["to_grade"] == 2

    decide(world, request, "headmaster_a1")
    pupil.refresh_from_db()
    assert pupil.grade == 3  # nothing moves before the bureau approves
    decide(world, request, "officer_a")
    assert request.status == RequestStatus.APPROVED
    pupil.refresh_from_db()
    assert (pupil.grade, pupil.school_class_id, pupil.status) == (2, target.pk, PupilStatus.ENROLLED)
    step = StatusChange.objects.filter(pupil=pupil, change_request_id=request.pk).get()
    assert step.reason.startswith("降级：由三年级降至二年级")
    grade_changes = [c for c in pupil_field_history(pupil) if c.field == "grade"]
    assert [(c.old, c.new, c.change_request_id) for c in grade_changes] == [("三年级", "二年级", request.pk)]


def test_only_the_pupils_schools_registrar_starts(world):
    make_special(world.pupils["a1"])
    second_grade(world)
    for user in ("registrar_b1", "headmaster_a1"):
        with pytest.raises(NotAllowed):
            grade_down(world, registrar=user)


def test_one_grade_down_into_a_class_of_this_school_with_room(world):
    make_special(world.pupils["a1"])
    first = SchoolClassFactory(school=world.units["a1"], grade=1, number=1)
    with pytest.raises(ValidationError) as refused:
        grade_down(world, target=first)
    assert refused.value.message_dict["target_class"] == ["降级只能降一个年级：请选择二年级的班级。"]
    with pytest.raises(ValidationError) as refused:
        grade_down(world, target=SchoolClassFactory(school=world.units["b1"], grade=2, number=1))
    assert "target_class" in refused.value.message_dict
    BureauSettings.objects.create(bureau=world.units["county_a"], class_cap_primary=1)
    full = second_grade(world)
    make_pupil(world.units["a1"], full, name="陈满座")
    with pytest.raises(ValidationError) as refused:
        grade_down(world, target=full)
    assert "已满" in refused.value.message_dict["target_class"][0]


def test_the_guardians_request_the_proof_and_a_reason_are_required(world):
    make_special(world.pupils["a1"])
    second_grade(world)
    for kwargs, field in (({"guardian_files": []}, "guardian_files"), ({"proof_files": []}, "proof_files"),
                          ({"reason": "  "}, "reason")):
        with pytest.raises(ValidationError) as refused:
            grade_down(world, **kwargs)
        assert field in refused.value.message_dict, field


def test_the_lowest_grade_of_the_school_cannot_move_down(world):
    pupil = make_special(world.pupils["a2"])  # a junior school's eighth grade: seventh is its lowest
    assert pupil.grade == 8
    seventh = SchoolClassFactory(school=world.units["a2"], grade=7, number=1)
    world.pupils["low"] = make_pupil(world.units["a2"], seventh, name="孙七年")
    make_special(world.pupils["low"])
    with pytest.raises(ValidationError) as refused:
        grade_down(world, "low", registrar="registrar_a2", target=seventh)
    assert refused.value.code == "lowest_grade"


def test_the_bureau_cannot_approve_into_a_class_filled_since(world):
    make_special(world.pupils["a1"])
    target = second_grade(world)
    request = grade_down(world)
    decide(world, request, "headmaster_a1")
    BureauSettings.objects.create(bureau=world.units["county_a"], class_cap_primary=1)
    make_pupil(world.units["a1"], target, name="陈满座")
    with pytest.raises(ValidationError) as refused:
        decide(world, request, "officer_a")
    assert "已满" in " ".join(refused.value.messages)
    world.pupils["a1"].refresh_from_db()
    assert world.pupils["a1"].grade == 3


def test_the_monthly_report_names_a_grade_down_as_such():
    from datetime import date

    from reports.history import ChangeRow
    from reports.monthly import KIND_LABELS, classify

    row = ChangeRow(id=1, pupil_id=1, name="张小明", student_number="", effective_date=date(2026, 10, 12),
                    from_status=PupilStatus.ENROLLED, to_status=PupilStatus.ENROLLED, school_id=1, prev_school_id=1,
                    prev_status=PupilStatus.ENROLLED, request_kind="grade_down", reason="降级", grade=2)
    assert classify(row, before=True, after=True) == "grade_down"
    assert KIND_LABELS["grade_down"] == "降级（特殊教育学生）"
