"""Dedupe: no pupil may hold two records, even when two schools register the child at once."""

import threading
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from tests.conftest import build_world, transactional
from tests.factories import guardian_data, id_number, make_pupil, pupil_data
from xueji.codes import Gender, IdType, NumberKind
from xueji.pupils import services as pupil_services
from xueji.pupils.dedupe import DuplicatePupilError, Identity, find_duplicates_many
from xueji.pupils.models import ProblemRecord, Pupil, id_number_index
from xueji.pupils.services import pupil_create, pupil_mark_deleted, pupil_update


def test_same_id_number_at_another_school_is_refused(world):
    existing = world.pupils["a1"]
    with pytest.raises(DuplicatePupilError) as error:
        make_pupil(world.units["b1"], world.classes["b1_3_1"], name="刘冒名", id_number=existing.id_number,
                   birth_date=existing.birth_date, gender=existing.gender)
    assert error.value.duplicates[0].pupil == existing
    # The message names no school: only the bureau may learn where the other record is.
    assert world.units["a1"].name not in error.value.messages[0]
    assert Pupil.objects.filter(id_number_index=id_number_index(existing.id_number)).count() == 1


def test_a_childs_identity_is_looked_up_as_a_record_is(world):
    """An identity without a record (a new entry, a form) is compared as a record is: by ID
    number, or by name + gender + birth date without one (无身份证件 even with digits typed);
    a record is never its own duplicate."""
    existing = world.pupils["a1"]
    birth = date(2017, 11, 11)
    without = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="吴双", id_type=IdType.NONE, id_number="",
                         birth_date=birth)
    by_number = Identity(id_type=existing.id_type, id_number=existing.id_number, name="另一个名字",
                         gender=existing.gender, birth_date=date(2018, 1, 1))
    itself = Identity(id_type=existing.id_type, id_number=existing.id_number, name=existing.name,
                      gender=existing.gender, birth_date=existing.birth_date, pk=existing.pk)
    by_name = Identity(id_type=IdType.NONE, id_number="123", name="吴双", gender=without.gender, birth_date=birth)
    stranger = Identity(id_type=IdType.NONE, id_number="", name="吴双", gender=without.gender, birth_date=date(2017, 11, 12))

    found = find_duplicates_many([by_number, itself, by_name, stranger])

    assert [(d.pupil, d.reason) for d in found[id(by_number)]] == [(existing, "id_number")]
    assert [(d.pupil, d.reason) for d in found[id(by_name)]] == [(without, "identity")]
    assert id(itself) not in found and id(stranger) not in found


def test_no_id_pupil_with_same_name_gender_and_birth_date_is_refused(world):
    birth = date(2017, 11, 11)
    make_pupil(world.units["a1"], world.classes["a1_3_1"], name="吴双", id_type=IdType.NONE, id_number="", birth_date=birth)
    with pytest.raises(DuplicatePupilError) as error:
        make_pupil(world.units["b1"], world.classes["b1_3_1"], name="吴双", id_type=IdType.NONE, id_number="", birth_date=birth)
    assert error.value.code == "duplicate_identity"


def test_identity_duplicate_accepted_as_problem_record(world):
    birth = date(2017, 11, 11)
    first = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="吴双", id_type=IdType.NONE, id_number="", birth_date=birth)
    second = pupil_create(
        actor=None, school=world.units["b1"], grade=3, entry_date=date(2024, 9, 1), school_class=world.classes["b1_3_1"],
        data=pupil_data(name="吴双", id_type=IdType.NONE, id_number="", birth_date=birth),
        guardians=[guardian_data(area="220182")], number_kind=NumberKind.WITHOUT_ID, accept_identity_duplicate=True,
    )
    problem = ProblemRecord.objects.get(pupil=second)
    assert problem.kind == ProblemRecord.Kind.DUPLICATE_IDENTITY and problem.other_pupil == first


def test_deleted_problem_record_does_not_block(world):
    old = world.pupils["a1"]
    pupil_mark_deleted(actor=world.user("officer_a"), pupil=old, reason="重复学籍")
    again = make_pupil(world.units["b1"], world.classes["b1_3_1"], name=old.name, id_number=old.id_number,
                       birth_date=old.birth_date, gender=old.gender, number_kind=NumberKind.TEMPORARY)
    assert again.pk != old.pk
    # The G number stays with the deleted record: it is never deleted or given again.
    with pytest.raises(ValidationError) as error:
        pupil_services.numbers.pupil_assign_number(pupil=again, kind=NumberKind.FROM_ID, reason="核验")
    assert "已删除的问题学籍" in error.value.messages[0]


def test_changing_id_number_to_one_in_use_is_refused(world):
    other = world.pupils["b1"]
    pupil = world.pupils["a1"]
    with pytest.raises(DuplicatePupilError):
        pupil_update(actor=None, pupil=pupil, changes={"id_number": other.id_number})
    pupil.refresh_from_db()
    assert pupil.id_number != other.id_number


def test_changing_name_passes_dedupe_again(world):
    birth = date(2017, 11, 11)
    make_pupil(world.units["a1"], world.classes["a1_3_1"], name="吴双", id_type=IdType.NONE, id_number="", birth_date=birth)
    other = make_pupil(world.units["b1"], world.classes["b1_3_1"], name="吴单", id_type=IdType.NONE, id_number="", birth_date=birth)
    with pytest.raises(DuplicatePupilError):
        pupil_update(actor=None, pupil=other, changes={"name": "吴双"})


def _register(school, school_class, number, birth, results, before_commit=None):
    """One school's registrar registering the child, in its own connection."""
    try:
        with transaction.atomic():
            pupil = pupil_create(
                actor=None, school=school, grade=3, entry_date=date(2024, 9, 1), school_class=school_class,
                data=pupil_data(name="陈同时", id_number=number, birth_date=birth, gender=Gender.MALE),
                guardians=[guardian_data()], number_kind=NumberKind.FROM_ID,
            )
            if before_commit:
                before_commit()
        results.append(("ok", pupil.pk))
    except ValidationError as error:
        results.append(("refused", getattr(error, "code", None)))
    finally:
        connection.close()


@transactional
def test_two_schools_registering_the_same_child_at_once_only_one_succeeds():
    world = build_world()
    birth = date(2017, 6, 6)
    number = id_number("220122", birth, Gender.MALE, sequence=311)
    barrier = threading.Barrier(2)
    results: list = []

    def run(school_key, class_key):
        barrier.wait()
        _register(world.units[school_key], world.classes[class_key], number, birth, results)

    threads = [threading.Thread(target=run, args=args) for args in (("a1", "a1_3_1"), ("b1", "b1_3_1"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(r[0] for r in results) == ["ok", "refused"]
    assert Pupil.objects.filter(id_number_index=id_number_index(number)).count() == 1


@transactional
def test_unique_index_stops_the_second_school_even_when_both_passed_the_check(monkeypatch):
    """The worst interleaving: both registrations pass the dedupe query before either has
    committed. The partial unique index makes the second insert wait for the first and fail."""
    world = build_world()
    birth = date(2017, 6, 6)
    number = id_number("220122", birth, Gender.MALE, sequence=313)
    monkeypatch.setattr(pupil_services, "find_duplicates", lambda **kwargs: [])
    first_inserted = threading.Event()
    results: list = []

    def first():
        def hold_open():
            first_inserted.set()
            # Keep the first transaction open while the second one inserts and waits on the index.
            threading.Event().wait(0.5)

        _register(world.units["a1"], world.classes["a1_3_1"], number, birth, results, before_commit=hold_open)

    def second():
        first_inserted.wait(10)
        _register(world.units["b1"], world.classes["b1_3_1"], number, birth, results)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert results[0][0] == "ok"
    assert results[1] == ("refused", "duplicate_id_number")
    assert Pupil.objects.filter(id_number_index=id_number_index(number)).count() == 1


def _row(world, **overrides):
    from tests.factories import birth_date_for_grade
    from xueji.pupils.services import NewPupil

    birth = overrides.pop("birth_date", None) or birth_date_for_grade(3)
    return NewPupil(
        data=pupil_data(birth_date=birth, **overrides), guardians=[guardian_data()], grade=3,
        entry_date=date(2024, 9, 1), school_class=world.classes["a1_3_2"], number_kind=NumberKind.FROM_ID,
    )


def test_batch_reports_every_bad_row_and_writes_nothing(world):
    from xueji.pupils.services import RowErrors, pupils_create_many

    rows = [
        _row(world, name="好学生"),
        _row(world, name="Tom"),  # Latin letters
        _row(world, name="重复", id_number=world.pupils["b1"].id_number, birth_date=world.pupils["b1"].birth_date),
        _row(world, name="好学生二"),
    ]
    before = Pupil.objects.count()
    with pytest.raises(RowErrors) as error:
        pupils_create_many(actor=None, school=world.units["a1"], rows=rows)
    assert sorted(error.value.rows) == [1, 2]
    assert "name" in error.value.rows[1].message_dict
    assert error.value.rows[2].code == "duplicate_id_number"
    assert Pupil.objects.count() == before


def test_batch_refuses_the_same_child_twice_in_one_file(world):
    from xueji.pupils.services import RowErrors, pupils_create_many

    first = _row(world, name="双胞胎")
    second = _row(world, name="双胞胎", id_number=first.data["id_number"], birth_date=first.data["birth_date"])
    with pytest.raises(RowErrors) as error:
        pupils_create_many(actor=None, school=world.units["a1"], rows=[first, second])
    assert list(error.value.rows) == [1]


def test_batch_creates_records_numbers_history_and_audit(world):
    from xueji.accounts.models import AuditEntry
    from xueji.pupils.models import StatusChange, StudentNumber
    from xueji.pupils.models.pupils import PupilEvent
    from xueji.pupils.services import pupils_create_many

    rows = [_row(world, name=f"批量{n}") for n in "甲乙丙"]
    rows[2].data.update(id_type=IdType.NONE, id_number="")
    rows[2].number_kind = NumberKind.WITHOUT_ID
    pupils = pupils_create_many(actor=world.user("registrar_a1"), school=world.units["a1"], rows=rows)
    assert [p.student_number[0] for p in pupils] == ["G", "G", "J"]
    ids = [p.pk for p in pupils]
    assert StudentNumber.objects.filter(pupil_id__in=ids).count() == 3
    assert StatusChange.objects.filter(pupil_id__in=ids).count() == 3
    assert PupilEvent.objects.filter(pgh_obj_id__in=ids, pgh_label="insert").count() == 3
    assert AuditEntry.objects.filter(action="pupil.create", object_id__in=[str(i) for i in ids]).count() == 3


def test_class_cap_is_enforced_counting_pupils_already_seated(world):
    from xueji.accounts.models import BureauSettings
    from xueji.pupils.services import RowErrors, pupils_create_many

    BureauSettings.objects.create(bureau=world.units["county_a"], class_cap_primary=3)
    rows = [_row(world, name=f"新生{n}") for n in "甲乙丙"]  # class a1_3_2 already seats 李晓燕
    with pytest.raises(RowErrors) as error:
        pupils_create_many(actor=None, school=world.units["a1"], rows=rows)
    assert list(error.value.rows) == [2]
    assert "已满（班额上限 3 人）" in error.value.rows[2].message_dict["school_class"][0]
    assert len(pupils_create_many(actor=None, school=world.units["a1"], rows=rows[:2])) == 2
