"""Encryption at rest of the enrolment intake's entries (their ID number and their whole record,
guardians included) and of the admission list's ID numbers: after a real import the tables hold
no plain ID number, phone or address; dedupe and the admission match still work by the blind
indexes; queries on the encrypted columns fail loudly; the data migration encrypts old rows; key
rotation covers these tables."""

import json
from importlib import import_module

import pytest
import time_machine
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from enrollment.admission.models import AdmissionEntry
from enrollment.admission.services import AdmissionImportInvalid, admission_import
from enrollment.intake import services
from enrollment.intake.models import EnrolmentEntry
from tests.conftest import transactional
from tests.enrollment.admission.test_admission import FIRST_GRADER, child, xlsx
from tests.enrollment.conftest import COLLECTING, admit, filled_template, new_pupil_row
from tests.factories import guardian_data, id_number, make_pupil
from tests.xueji.test_encryption_at_rest import keys  # noqa: F401 — the fixture
from xueji import crypto
from xueji.codes import GuardianRelation
from xueji.encrypted_fields import EncryptedLookupError, index_of
from xueji.encryption_rewrite import encrypted_tables

ENTRIES, ADMISSIONS = "enrollment_enrolmententry", "enrollment_admissionentry"
PHONES = ("13812345678", "13987654321")
ADDRESS = "农安镇秘密街17号"


def raw(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def rows_as_text(table: str) -> str:
    return " ".join(text for (text,) in raw(f"SELECT to_jsonb(t)::text FROM {table} t"))


def intake_rows(count: int = 3):
    rows = [new_pupil_row(i + 2, address=ADDRESS) for i in range(count)]
    for row in rows:
        row.guardians = [guardian_data(phone=PHONES[0]), guardian_data(relation=GuardianRelation.MOTHER, phone=PHONES[1])]
    return rows


def import_file(world, rows, *, school="a1", name="新生.xlsx"):
    with time_machine.travel(COLLECTING, tick=False):
        return services.import_start(actor=world.user(f"registrar_{school}"), school=world.units[school], intake_year=2026,
                                     grade=1, file_name=name, content=filled_template(rows))


def test_an_import_leaves_no_plain_id_number_phone_or_address_in_the_enrolment_tables(world):
    rows = intake_rows()
    admit(world.units["a1"], rows, by=world.user("officer_a"))

    upload = import_file(world, rows)

    assert upload.status == "done" and upload.created_count == 3
    secrets = {r.data["id_number"] for r in rows} | {g["id_number"] for r in rows for g in r.guardians}
    secrets |= {*PHONES, ADDRESS}
    for table in (ENTRIES, ADMISSIONS):
        text = rows_as_text(table)
        for value in secrets:
            assert value not in text, (table, value)
    for column in ("id_number", "data", "guardians"):
        assert all(v.startswith("sm4:") for (v,) in raw(f"SELECT {column} FROM {ENTRIES}")), column
    assert all(v.startswith("sm4:") for (v,) in raw(f"SELECT id_number FROM {ADMISSIONS}"))
    # Read back decrypted, as the lists, the forms and the approval use them.
    entries = {e.id_number: e for e in EnrolmentEntry.objects.all()}
    assert set(entries) == {r.data["id_number"] for r in rows}
    entry = entries[rows[0].data["id_number"]]
    assert entry.data["address"] == ADDRESS and [g["phone"] for g in entry.guardians] == list(PHONES)
    assert entry.id_number_index == index_of(EnrolmentEntry, "id_number_index", entry.id_number)
    # The admission list matched each entry by ID number (its blind index).
    assert entry.admission.id_number == entry.id_number


def test_the_import_writes_every_column_as_saving_the_entry_would(world):
    """The import writes with COPY, the plain columns straight from the entries' attributes and
    the others through their fields: each column holds what the model's own save writes for the
    same entry (checked against an entry saved that way)."""
    rows = intake_rows(2)
    admit(world.units["a1"], rows, by=world.user("officer_a"))

    upload = import_file(world, rows)

    assert upload.status == "done" and upload.created_count == 2
    registrar = world.user("registrar_a1")
    written = {e.row: e for e in EnrolmentEntry.objects.select_related("admission")}
    admissions = {a.id_number: a for a in AdmissionEntry.objects.all()}
    for row in rows:
        entry = written[row.row]
        assert (entry.school_id, entry.intake_year, entry.grade) == (world.units["a1"].pk, 2026, 1)
        assert (entry.source_id, entry.created_by_id, entry.status) == (upload.pk, registrar.pk, "draft")
        assert (entry.name, entry.gender, entry.birth_date, entry.id_type, entry.id_number) == (
            row.data["name"], row.data["gender"], row.data["birth_date"], row.data["id_type"], row.data["id_number"])
        assert entry.id_number_index == index_of(EnrolmentEntry, "id_number_index", row.data["id_number"])
        assert entry.admission == admissions[row.data["id_number"]]
        assert entry.created_at is not None and entry.continues_id is entry.school_class_id is entry.pupil_id is None
        assert entry.data["birth_date"] == row.data["birth_date"].isoformat() and entry.data["pinyin"]
        assert [g["position"] for g in entry.guardians] == [1, 2]

    # The same entry saved by the model: every column but the key, the row, the upload and the
    # moment holds the same (the encrypted ones compared decrypted).
    first = written[rows[0].row]
    saved = EnrolmentEntry.objects.get(pk=first.pk)
    EnrolmentEntry.objects.filter(pk=first.pk).delete()
    saved.pk = None
    saved.save()
    columns = [f.attname for f in EnrolmentEntry._meta.concrete_fields if f.attname not in ("id", "created_at")]
    again = EnrolmentEntry.objects.get(pk=saved.pk)
    assert {c: getattr(again, c) for c in columns} == {c: getattr(first, c) for c in columns}


def test_the_import_still_refuses_a_child_twice_in_the_file_and_one_already_entered(world):
    first, second = intake_rows(2)
    twice = new_pupil_row(4, **{k: first.data[k] for k in ("name", "gender", "birth_date", "id_number")})
    admit(world.units["a1"], [first, second], by=world.user("officer_a"))

    refused = import_file(world, [first, second, twice], name="重复.xlsx")
    assert refused.status == "failed"
    assert [(e["row"], e["key"]) for e in refused.errors] == [(2, "id_number"), (4, "id_number")]
    assert all("文件中重复" in e["message"] for e in refused.errors)

    assert import_file(world, [first], name="第一批.xlsx").status == "done"
    again = import_file(world, [first, second], name="第二批.xlsx")
    assert again.status == "failed"
    assert [(e["row"], e["key"]) for e in again.errors] == [(2, "id_number")]
    assert "本校已登记过该学生" in again.errors[0]["message"]
    assert EnrolmentEntry.objects.count() == 1


def test_the_import_still_refuses_a_child_who_already_has_a_record(world):
    from datetime import date

    existing = make_pupil(world.units["b1"], grade=1, birth_date=date(2020, 1, 5))
    row = new_pupil_row(2, birth=existing.birth_date, id_number=existing.id_number, gender=existing.gender,
                        name=existing.name)
    admit(world.units["a1"], [row], by=world.user("officer_a"))

    refused = import_file(world, [row])

    assert refused.status == "failed"
    assert [(e["row"], e["key"]) for e in refused.errors] == [(2, "id_number")]
    assert "同一学生不能重复建籍" in refused.errors[0]["message"]
    assert not EnrolmentEntry.objects.exists()


def test_the_admission_import_still_refuses_a_child_already_admitted_by_id_number(world):
    a1, a3 = world.units["a1"], world.units["a3"]
    number = id_number("220122", FIRST_GRADER)
    county = world.units["county_a"]
    assert admission_import(actor=world.user("officer_a"), bureau=county, intake_year=2026,
                            file_bytes=xlsx([child(a1, "王小雨", number=number)])) == 1
    assert raw(f"SELECT count(*) FROM {ADMISSIONS} WHERE id_number LIKE %s", [f"%{number}%"]) == [(0,)]

    with pytest.raises(AdmissionImportInvalid) as caught:
        admission_import(actor=world.user("officer_a"), bureau=county, intake_year=2026,
                         file_bytes=xlsx([child(a3, "王小雨", number=number)]))
    assert "一名学生一年只能被一所学校录取" in caught.value.row_errors[0].message
    assert AdmissionEntry.objects.get().school == a1


def test_queries_on_the_encrypted_columns_fail_loudly(world):
    with pytest.raises(EncryptedLookupError):
        list(EnrolmentEntry.objects.filter(id_number="220122201910051236"))
    with pytest.raises(EncryptedLookupError):
        list(EnrolmentEntry.objects.filter(data__address=ADDRESS))
    with pytest.raises(EncryptedLookupError):
        list(EnrolmentEntry.objects.filter(guardians__contains=[{"phone": PHONES[0]}]))
    with pytest.raises(EncryptedLookupError):
        list(EnrolmentEntry.objects.filter(data={}))
    with pytest.raises(EncryptedLookupError):
        list(AdmissionEntry.objects.filter(id_number__in=["220122201910051236"]))


def test_the_data_migration_encrypts_rows_written_before_encryption(world):
    rows = intake_rows(2)
    admit(world.units["a1"], rows, by=world.user("officer_a"))
    assert import_file(world, rows).status == "done"
    entry = EnrolmentEntry.objects.order_by("id").first()
    admission = entry.admission
    plain_data = json.dumps({"address": ADDRESS, "name": entry.name}, ensure_ascii=False)
    # As before the migration: plain JSON text, plain numbers, no index (no append-only trigger
    # guards these tables: the application's role may write them, in the test's transaction).
    raw(f"UPDATE {ENTRIES} SET id_number = %s, data = %s, guardians = %s, id_number_index = '' WHERE id = %s RETURNING id",
        [entry.id_number, plain_data, json.dumps([{"phone": PHONES[0]}]), entry.pk])
    raw(f"UPDATE {ADMISSIONS} SET id_number = %s, id_number_index = '' WHERE id = %s RETURNING id", [admission.id_number, admission.pk])
    with pytest.raises(crypto.DecryptionFailed):
        EnrolmentEntry.objects.get(pk=entry.pk)

    migration = import_module("enrollment.migrations.0007_encrypted_entries_data")
    migration.encrypt_existing(apps, None)

    again = EnrolmentEntry.objects.get(pk=entry.pk)
    assert again.id_number == entry.id_number and again.data == {"address": ADDRESS, "name": entry.name}
    assert again.guardians == [{"phone": PHONES[0]}]
    assert again.id_number_index == index_of(EnrolmentEntry, "id_number_index", entry.id_number)
    assert AdmissionEntry.objects.get(pk=admission.pk).id_number_index == admission.id_number_index
    for value in (entry.id_number, ADDRESS, PHONES[0]):
        assert value not in rows_as_text(ENTRIES) and value not in rows_as_text(ADMISSIONS)
    before = raw(f"SELECT id_number, data, guardians FROM {ENTRIES} ORDER BY id")
    migration.encrypt_existing(apps, None)
    assert raw(f"SELECT id_number, data, guardians FROM {ENTRIES} ORDER BY id") == before


def test_key_rotation_finds_the_enrolment_columns_by_itself():
    specs = {spec.table: spec for spec in encrypted_tables(apps.get_models())}
    assert {column for column, _ in specs[ENTRIES].encrypted} == {"id_number", "data", "guardians"}
    assert [index for index, *_ in specs[ENTRIES].indexes] == ["id_number_index"]
    assert {column for column, _ in specs[ADMISSIONS].encrypted} == {"id_number"}


@transactional  # the command runs as the owner, on a connection of its own
def test_rotation_moves_the_enrolment_tables_to_the_new_key(world, keys):  # noqa: F811
    rows = intake_rows(2)
    admit(world.units["a1"], rows, by=world.user("officer_a"))
    keys("old")
    assert import_file(world, rows).status == "done"
    assert {crypto.key_id_of(v) for (v,) in raw(f"SELECT data FROM {ENTRIES}")} == {"old"}

    keys("new", "old")
    call_command("encryption_rotate", "--batch-size", "1")

    keys("new", only=True)  # the old key is gone: everything still reads
    for column in ("id_number", "data", "guardians"):
        assert {crypto.key_id_of(v) for (v,) in raw(f"SELECT {column} FROM {ENTRIES}")} == {"new"}, column
    assert {crypto.key_id_of(v) for (v,) in raw(f"SELECT id_number FROM {ADMISSIONS}") if v} == {"new"}
    entries = list(EnrolmentEntry.objects.all())
    assert {e.id_number for e in entries} == {r.data["id_number"] for r in rows}
    assert all(e.guardians[0]["phone"] == PHONES[0] and e.data["address"] == ADDRESS for e in entries)
