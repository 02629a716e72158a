"""学籍信息变更: identity fields change on the guardian's request with the household register as
proof (school verifies, bureau approves, applied on approval, dedupe again, the G number follows the
ID number); the other fields the school corrects itself, logged."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from changes.services import info_change_start, pupil_correct
from tests.factories import id_number, make_pupil
from xueji.accounts.models import AuditEntry
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.models import ChangeRequest
from xueji.approvals.services import request_decide
from xueji.codes import Gender, IdType, PupilStatus
from xueji.files.proof import check_uploads
from xueji.pupils.dedupe import DuplicatePupilError
from xueji.pupils.models import StudentNumber
from xueji.pupils.selectors import pupil_field_history

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def files(name: str):
    return check_uploads([SimpleUploadedFile(name, PDF, content_type="application/pdf")])


def start(world, key="a1", registrar="registrar_a1", reason="户口簿姓名已更改", guardian_files=None, proof_files=None, **typed):
    pupil = world.pupils[key]
    pupil.refresh_from_db()
    return info_change_start(
        actor=world.user(registrar), pupil=pupil, typed=typed, reason=reason,
        guardian_files=files("监护人申请.pdf") if guardian_files is None else guardian_files,
        proof_files=files("户口簿.pdf") if proof_files is None else proof_files,
    )


def approve(world, request, *users):
    for user in users or ("headmaster_a1", "officer_a"):
        request_decide(actor=world.user(user), request_id=request.pk, approve=True)
    request.refresh_from_db()
    request.pupil.refresh_from_db()
    return request


def codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {item.code for items in error.error_dict.values() for item in items}
    return {item.code for item in error.error_list}


def refused(callable_, *args, **kwargs) -> set[str]:
    with pytest.raises(ValidationError) as error:
        callable_(*args, **kwargs)
    return codes(error.value)


def test_a_name_change_goes_school_then_bureau_and_applies_on_approval(world):
    pupil = world.pupils["a1"]
    old_name = pupil.name
    request = start(world, name="王新名")
    assert [s.role for s in request.steps.order_by("position")] == ["headmaster", "county_officer"]
    assert request.payload["changes"] == {"name": "王新名", "former_name": old_name}
    pupil.refresh_from_db()
    assert pupil.name == old_name  # nothing changes before the last approval
    approve(world, request, "headmaster_a1")
    pupil.refresh_from_db()
    assert pupil.name == old_name
    request = approve(world, request, "officer_a")
    assert (request.pupil.name, request.pupil.former_name) == ("王新名", old_name)
    # The field history keeps the change with the request that made it.
    names = [c for c in pupil_field_history(request.pupil) if c.field == "name"]
    assert names[-1].new == "王新名" and names[-1].change_request_id == request.pk


def test_the_id_number_change_moves_the_g_number_and_keeps_the_old_one(world):
    pupil = world.pupils["a1"]
    old_number = pupil.student_number
    assert old_number.startswith("G")
    new_id = id_number("220122", pupil.birth_date, pupil.gender, sequence=777)
    request = approve(world, start(world, id_number=new_id, reason="身份证号登记错误"))
    pupil.refresh_from_db()
    assert pupil.id_number == new_id and pupil.student_number == f"G{new_id}"
    assert StudentNumber.objects.get(number=old_number).retired_at is not None
    assert request.status == "approved"


def test_a_resident_id_brings_its_own_birth_date_and_gender(world):
    pupil = world.pupils["a1"]
    # A birth date the record does not have already (the world's are drawn at random).
    born = date(2018, 3, 4) if pupil.birth_date != date(2018, 3, 4) else date(2018, 3, 5)
    new_id = id_number("220122", born, Gender.FEMALE, sequence=321)
    request = start(world, id_number=new_id)
    assert request.payload["changes"]["birth_date"] == born.isoformat() and request.payload["changes"]["gender"] == Gender.FEMALE
    assert request.payload["before"]["birth_date"] == pupil.birth_date.isoformat()


def test_the_household_register_and_the_guardians_request_are_required(world):
    assert refused(start, world, name="王新名", proof_files=[]) == {"proof_required"}
    assert refused(start, world, name="王新名", guardian_files=[]) == {"guardian_request_required"}
    assert refused(start, world, name="王新名", reason=" ") == {"reason_required"}


def test_nothing_changed_is_refused(world):
    assert refused(start, world, name=world.pupils["a1"].name) == {"no_change"}


def test_invalid_values_are_refused_at_the_start(world):
    with pytest.raises(ValidationError) as error:
        start(world, id_number="220122201803041234")
    assert "id_number" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        start(world, name="Tom")
    assert "name" in error.value.message_dict


def test_a_new_id_number_passes_dedupe_again(world):
    other = world.pupils["b1"]
    with pytest.raises(DuplicatePupilError):
        start(world, id_number=other.id_number)


def test_dedupe_runs_again_on_approval(world):
    pupil = world.pupils["a1"]
    new_id = id_number("220122", pupil.birth_date, pupil.gender, sequence=555)
    request = approve(world, start(world, id_number=new_id), "headmaster_a1")
    # Meanwhile another school registers a child with that number.
    make_pupil(world.units["b1"], world.classes["b1_3_1"], id_number=new_id, birth_date=pupil.birth_date,
               gender=pupil.gender, name="孙撞号")
    with pytest.raises(DuplicatePupilError):
        request_decide(actor=world.user("officer_a"), request_id=request.pk, approve=True)
    request.refresh_from_db()
    pupil.refresh_from_db()
    assert request.status == "pending" and pupil.id_number != new_id


def test_a_g_number_holder_cannot_lose_the_id_number(world):
    assert refused(start, world, id_type=IdType.NONE, id_number="") == {"g_number_needs_id"}


@pytest.mark.parametrize("user", ["registrar_b1", "headmaster_a1", "officer_a", "registrar_a2"])
def test_only_the_pupils_own_registrar_asks(world, user):
    with pytest.raises(NotAllowed) as error:
        start(world, registrar=user, name="王新名")
    assert error.value.code == "not_registrar"


def test_no_change_for_a_record_that_left_the_school(world):
    pupil = world.pupils["a1"]
    pupil.status = PupilStatus.GRADUATED
    pupil.save(update_fields=["status"])
    assert refused(start, world, name="王新名") == {"status"}


def test_one_open_request_at_a_time(world):
    start(world, name="王新名")
    assert "open_request" in refused(start, world, name="王另名")


def test_the_bureau_rejects_and_nothing_changes(world):
    pupil = world.pupils["a1"]
    request = approve(world, start(world, name="王新名"), "headmaster_a1")
    request_decide(actor=world.user("officer_a"), request_id=request.pk, approve=False, comment="户口簿不清晰")
    pupil.refresh_from_db()
    assert pupil.name != "王新名" and ChangeRequest.objects.get(pk=request.pk).status == "rejected"


# The school's own correction ------------------------------------------------------------------

def test_the_school_corrects_other_fields_itself_logged(world):
    pupil = world.pupils["a1"]
    changed = pupil_correct(actor=world.user("registrar_a1"), pupil=pupil, typed={"address": "农安县新阳街 8 号"},
                            guardians=None, note="家长来电告知搬家")
    pupil.refresh_from_db()
    assert pupil.address == "农安县新阳街 8 号" and changed == ["现住址"]
    change = [c for c in pupil_field_history(pupil) if c.field == "address"][-1]
    assert change.new == "农安县新阳街 8 号" and "学校更正：家长来电告知搬家" in change.reason
    assert AuditEntry.objects.filter(action="pupil.update", object_id=str(pupil.pk)).exists()


def test_the_school_corrects_a_guardians_phone(world):
    pupil = world.pupils["a1"]
    guardians = [{f: getattr(g, f) for f in ("relation", "name", "id_type", "id_number", "phone", "workplace", "hukou_division_id")}
                 for g in pupil.guardians.order_by("position")]
    guardians[0]["phone"] = "13900001111"
    assert pupil_correct(actor=world.user("headmaster_a1"), pupil=pupil, typed={}, guardians=guardians,
                         note="家长换号") == ["监护人信息"]
    assert pupil.guardians.get(position=1).phone == "13900001111"


def test_identity_fields_are_not_corrected_directly(world):
    assert refused(pupil_correct, actor=world.user("registrar_a1"), pupil=world.pupils["a1"], typed={"name": "王新名"},
                   guardians=None, note="x") == {"identity_field"}


@pytest.mark.parametrize("user", ["registrar_b1", "officer_a", "teacher_a1"])
def test_only_the_pupils_school_corrects(world, user):
    with pytest.raises(NotAllowed) as error:
        pupil_correct(actor=world.user(user), pupil=world.pupils["a1"], typed={"address": "某地"}, guardians=None, note="x")
    assert error.value.code == "not_school"


def test_a_correction_needs_a_note_and_a_change(world):
    pupil = world.pupils["a1"]
    assert refused(pupil_correct, actor=world.user("registrar_a1"), pupil=pupil, typed={"address": "某地"},
                   guardians=None, note=" ") == {"note_required"}
    assert refused(pupil_correct, actor=world.user("registrar_a1"), pupil=pupil, typed={"address": pupil.address},
                   guardians=None, note="核对") == {"no_change"}


def test_a_bad_correction_saves_nothing(world):
    pupil = world.pupils["a1"]
    with pytest.raises(ValidationError) as error:
        pupil_correct(actor=world.user("registrar_a1"), pupil=pupil, typed={"address": "新地址", "hukou_division_id": "999999"},
                      guardians=None, note="核对")
    assert "hukou_division_id" in error.value.message_dict
    pupil.refresh_from_db()
    assert pupil.address != "新地址"
