"""The rules every new pupil's row passes (enrollment.intake.validation), each with its error: age,
the pupil's own ID number, the no-ID path, guardians, the admission list, duplicates in the file,
among open entries and against existing records."""

from datetime import date

import pytest

from enrollment.intake.models import EnrolmentEntry, EntryStatus
from enrollment.intake.validation import IntakeInvalid, validate_intake
from tests.enrollment.conftest import admit, new_pupil_row
from tests.factories import guardian_data, make_pupil
from xueji.accounts.models import BureauSettings
from xueji.codes import Gender, IdType


def errors_of(intake, rows, **kwargs) -> list[tuple[int, str, str]]:
    with pytest.raises(IntakeInvalid) as caught:
        validate_intake(intake, rows, **kwargs)
    return [(e.row, e.key, e.message) for e in caught.value.row_errors]


def test_valid_rows_become_entries_linked_to_their_admission(world, intake):
    rows = [new_pupil_row(2), new_pupil_row(3, gender=Gender.FEMALE)]
    admit(intake.school, rows, by=world.user("officer_a"))

    entries = validate_intake(intake, rows)

    assert [e.row for e in entries] == [2, 3]
    assert all(e.admission is not None and e.admission.name == e.name for e in entries)
    assert entries[0].data["birth_date"] == rows[0].data["birth_date"].isoformat()


def test_primary_entrant_must_be_six_by_31_august(world, intake):
    on_time = new_pupil_row(2, birth=date(2020, 8, 31))
    too_young = new_pupil_row(3, birth=date(2020, 9, 1))
    admit(intake.school, [on_time, too_young], by=world.user("officer_a"))

    [(row, key, message)] = errors_of(intake, [on_time, too_young])

    assert (row, key) == (3, "id_number") and "不满规定年龄" in message


def test_the_age_cutoff_is_a_bureau_setting(world, intake):
    BureauSettings.objects.create(bureau=world.units["county_a"], entry_age_cutoff="09-30")
    late_september = new_pupil_row(2, birth=date(2020, 9, 15))
    admit(intake.school, [late_september], by=world.user("officer_a"))

    assert validate_intake(intake, [late_september])


def test_a_guardians_id_number_in_the_pupils_field_is_refused_with_that_reason(world, intake):
    row = new_pupil_row(2, birth=date(1988, 5, 17))
    admit(intake.school, [row], by=world.user("officer_a"))

    [(_, key, message)] = errors_of(intake, [row])

    assert key == "id_number" and "误填了监护人的身份证件号" in message


def test_id_number_check_digit_and_gender_agreement(world, intake):
    good = new_pupil_row(2)
    bad_digit = new_pupil_row(3)
    bad_digit.data["id_number"] = bad_digit.data["id_number"][:-1] + ("0" if bad_digit.data["id_number"][-1] != "0" else "1")
    wrong_gender = new_pupil_row(4, gender=Gender.MALE)
    wrong_gender.data["gender"] = Gender.FEMALE
    admit(intake.school, [good], by=world.user("officer_a"))

    found = {(row, key) for row, key, _ in errors_of(intake, [good, bad_digit, wrong_gender])}

    assert (3, "id_number") in found and (4, "gender") in found


def test_names_latin_letters_only_for_foreign_pupils(world, intake):
    row = new_pupil_row(2, name="Tom张")
    [(_, key, _message)] = [e for e in errors_of(intake, [row]) if e[1] == "name"]
    assert key == "name"


def test_no_id_pupil_goes_through_the_guardians_id_number(world, intake):
    birth = date(2020, 3, 3)
    without = new_pupil_row(2, birth=birth, id_type=IdType.NONE, id_number="")
    without.guardians = [guardian_data(id_type=IdType.PASSPORT, id_number="E12345678")]
    admit(intake.school, [without], by=world.user("officer_a"))

    messages = [m for _, key, m in errors_of(intake, [without]) if key == "guardians"]
    assert messages and "监护人的居民身份证号" in messages[0]

    without.guardians = [guardian_data()]
    [entry] = validate_intake(intake, [without])
    assert entry.id_number == "" and entry.admission is not None


def test_two_guardians_both_complete(world, intake):
    row = new_pupil_row(2)
    row.guardians[1]["phone"] = ""
    admit(intake.school, [row], by=world.user("officer_a"))

    assert [(key) for _, key, _ in errors_of(intake, [row])] == ["guardian2_phone"]


def test_pupil_must_be_on_the_schools_admission_list(world, intake):
    listed, unlisted = new_pupil_row(2), new_pupil_row(3)
    admit(intake.school, [listed], by=world.user("officer_a"))
    admit(world.units["a3"], [unlisted], by=world.user("officer_a"))  # admitted elsewhere

    [(row, key, message)] = errors_of(intake, [listed, unlisted])

    assert (row, key) == (3, "admission") and "不在本校2026年的录取名单中" in message


def test_no_admission_list_at_all_is_said_plainly(world, intake):
    [(_, key, message)] = errors_of(intake, [new_pupil_row(2)])
    assert key == "admission" and "尚未导入本校2026年的新生录取名单" in message


def test_same_child_twice_in_the_file(world, intake):
    first = new_pupil_row(2)
    again = new_pupil_row(5, birth=first.data["birth_date"], id_number=first.data["id_number"], name=first.data["name"])
    admit(intake.school, [first], by=world.user("officer_a"))

    errors = errors_of(intake, [first, again])

    # Both rows, each naming the other (not only the second one).
    assert [(row, key) for row, key, _ in errors] == [(2, "id_number"), (5, "id_number")]
    assert "与第 5 行是同一名学生" in errors[0][2] and "与第 2 行是同一名学生" in errors[1][2]


def test_duplicate_of_an_existing_record_anywhere_names_the_school_for_the_bureau_only(world, intake):
    existing = make_pupil(world.units["b1"], grade=1, birth_date=date(2020, 1, 5))
    row = new_pupil_row(2, birth=existing.birth_date, id_number=existing.id_number, gender=existing.gender)
    admit(intake.school, [row], by=world.user("officer_a"))

    with pytest.raises(IntakeInvalid) as caught:
        validate_intake(intake, [row])

    [error] = caught.value.row_errors
    assert "同一学生不能重复建籍" in error.message and world.units["b1"].name not in error.message
    assert error.other_school == world.units["b1"].name


def test_duplicate_of_an_open_entry_of_another_school(world, intake):
    row = new_pupil_row(2)
    admit(intake.school, [row], by=world.user("officer_a"))
    [entry] = validate_intake(intake, [row])
    entry.school, entry.created_by = world.units["a3"], world.user("registrar_a1")
    entry.save()

    [(_, key, message)] = errors_of(intake, [row])
    assert key == "id_number" and "另一所学校登记为新生" in message

    EnrolmentEntry.objects.filter(pk=entry.pk).update(status=EntryStatus.ESTABLISHED)
    assert validate_intake(intake, [row])  # established: the record's dedupe takes over


def test_every_error_of_every_row_at_once(world, intake):
    rows = [new_pupil_row(2, name=""), new_pupil_row(3, ethnicity="99x"), new_pupil_row(4)]
    rows[2].cell_errors = {"birthplace_id": "出生地“12”不是有效的行政区划代码"}
    admit(intake.school, rows, by=world.user("officer_a"))

    found = {(row, key) for row, key, _ in errors_of(intake, rows)}

    assert {(2, "name"), (3, "ethnicity"), (4, "birthplace_id")} <= found


def test_the_bureau_sees_which_school_holds_the_duplicate_the_school_does_not(world, login):
    import time_machine
    from django.core.files.uploadedfile import SimpleUploadedFile

    from enrollment.intake.models import EnrolmentImport
    from tests.enrollment.conftest import COLLECTING, filled_template

    existing = make_pupil(world.units["b1"], grade=1, birth_date=date(2020, 1, 5))
    row = new_pupil_row(2, birth=existing.birth_date, id_number=existing.id_number, gender=existing.gender)
    admit(world.units["a1"], [row], by=world.user("officer_a"))
    with time_machine.travel(COLLECTING, tick=False):
        login(world.user("registrar_a1")).post("/enrolment/upload/", {"file": SimpleUploadedFile("x.xlsx", filled_template([row]))})
    upload = EnrolmentImport.objects.get()
    school_page = login(world.user("registrar_a1")).get(f"/enrolment/imports/{upload.pk}/").content.decode()
    bureau_page = login(world.user("officer_a")).get(f"/enrolment/imports/{upload.pk}/").content.decode()
    assert "同一学生不能重复建籍" in school_page and world.units["b1"].name not in school_page
    assert world.units["b1"].name in bureau_page
    assert login(world.user("officer_b")).get(f"/enrolment/imports/{upload.pk}/").status_code == 404
