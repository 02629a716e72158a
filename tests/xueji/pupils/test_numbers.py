"""学籍号: the L / G / J formats and the history of every number a pupil has held."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, ProgrammingError, connection, transaction

from tests.factories import id_number, make_pupil
from xueji.codes import IdType, NumberKind
from xueji.pupils.models import StudentNumber
from xueji.pupils.numbers import is_valid_j_number, j_number, pupil_assign_number, temporary_number
from xueji.pupils.services import pupil_update


def test_temporary_number_format():
    number = temporary_number("220122", date(2019, 10, 3))
    assert re.fullmatch(r"L22012220191003\d{4}", number)
    assert len(number) == 19


def test_j_number_format_and_check_digit():
    number = j_number("220122", date(2019, 10, 3), 7)
    assert len(number) == 19 and number.startswith("J22012220191003007")
    assert is_valid_j_number(number)
    assert not is_valid_j_number(number[:-1] + ("0" if number[-1] != "0" else "1"))


def test_pupil_with_id_gets_g_number_made_of_the_id(world):
    pupil = world.pupils["a1"]
    assert pupil.student_number == "G" + pupil.id_number
    assert pupil.numbers.get().kind == NumberKind.FROM_ID


def test_new_pupil_gets_a_temporary_number(world):
    pupil = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="孙悦", number_kind=NumberKind.TEMPORARY)
    assert pupil.student_number.startswith("L220122" + pupil.birth_date.strftime("%Y%m%d"))


def test_pupil_without_id_gets_j_numbers_in_sequence(world):
    birth = date(2017, 12, 1)
    first = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="周甲", id_type=IdType.NONE, id_number="", birth_date=birth)
    second = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="周乙", id_type=IdType.NONE, id_number="", birth_date=birth)
    assert first.student_number == j_number("220122", birth, 1)
    assert second.student_number == j_number("220122", birth, 2)


def test_temporary_number_becomes_g_keeping_the_l_in_history(world):
    pupil = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="孙悦", number_kind=NumberKind.TEMPORARY)
    old = pupil.student_number
    pupil_assign_number(pupil=pupil, kind=NumberKind.FROM_ID, reason="身份核验通过")
    pupil.refresh_from_db()
    assert pupil.student_number == "G" + pupil.id_number
    history = list(pupil.numbers.order_by("assigned_at", "id").values_list("number", "retired_at"))
    assert history[0][0] == old and history[0][1] is not None
    assert history[1] == (pupil.student_number, None)


def test_j_number_becomes_g_when_an_id_number_is_added(world):
    birth = date(2017, 12, 1)
    pupil = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="周甲", id_type=IdType.NONE, id_number="", birth_date=birth)
    j = pupil.student_number
    new_id = id_number("220122", birth, pupil.gender)
    pupil = pupil_update(actor=None, pupil=pupil, changes={"id_type": IdType.RESIDENT_ID, "id_number": new_id}, reason="补录身份证号")
    assert pupil.student_number == "G" + new_id
    assert set(pupil.numbers.values_list("number", flat=True)) == {j, "G" + new_id}


def test_g_number_is_never_replaced_by_a_temporary_one(world):
    with pytest.raises(ValidationError):
        pupil_assign_number(pupil=world.pupils["a1"], kind=NumberKind.TEMPORARY, reason="试图降级")


def test_student_numbers_cannot_be_deleted(world):
    number = world.pupils["a1"].numbers.get()
    with pytest.raises(ProgrammingError) as error, transaction.atomic():
        number.delete()
    assert "student_number_never_deleted" in str(error.value) or "Cannot delete" in str(error.value)
    with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM xueji_studentnumber WHERE id = %s", [number.pk])
    assert StudentNumber.objects.filter(pk=number.pk).exists()


def test_a_number_is_held_by_one_pupil_only(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        StudentNumber.objects.create(pupil=world.pupils["b1"], number=world.pupils["a1"].student_number, kind="G")
