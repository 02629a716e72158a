"""Encryption at rest of pupils' and guardians' personal fields (xueji.encrypted_fields): the
columns hold SM4-GCM ciphertext, the history too; exact lookups, the unique index and the
statistics use blind indexes; tampering fails loudly; keys rotate; production needs keys."""

import base64
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pgtrigger
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from tests.conftest import transactional
from tests.factories import make_pupil
from xueji import crypto
from xueji.codes import Disability
from xueji.db_roles import connected_as_owner
from xueji.encrypted_fields import EncryptedLookupError
from xueji.pupils.models import Guardian, Pupil, disability_index, id_number_index
from xueji.pupils.models.pupils import PupilEvent
from xueji.pupils.selectors import pupil_field_history, pupil_search
from xueji.pupils.services import pupil_update

ENCRYPTED_PUPIL_COLUMNS = ["id_number", "hukou_address", "address", "health", "disability", "disability_placement"]
TABLES = ["xueji_pupil", "xueji_guardian", "xueji_pupilevent", "xueji_guardianevent"]
REPO = Path(__file__).resolve().parents[2]


def raw(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def key_text(key_id: str) -> str:
    return crypto.new_key_text(key_id)


@pytest.fixture
def keys(settings):
    """Set XUEJI_ENCRYPTION_KEYS for a test (the blind key stays): keys("new", "old") puts them
    before the test settings' own key (which the world was written with), keys("new", only=True)
    leaves that one out."""
    made: dict[str, str] = {}
    original = settings.ENCRYPTION_KEYS

    def use(*ids: str, only: bool = False) -> None:
        for key_id in ids:
            made.setdefault(key_id, key_text(key_id))
        settings.ENCRYPTION_KEYS = ",".join([made[key_id] for key_id in ids] + ([] if only else [original]))
        crypto.keyring_reset()

    yield use
    crypto.keyring_reset()


def test_columns_and_history_hold_ciphertext_only(world):
    pupil = world.pupils["a1"]
    pupil_update(actor=world.user("officer_a"), pupil=pupil, changes={"address": "农安镇新街9号", "hukou_address": "农安镇户籍路3号"},
                 reason="搬家")
    plain_numbers = {p.id_number for p in Pupil.objects.all()} | {g.id_number for g in Guardian.objects.all()}
    phones = {g.phone for g in Guardian.objects.all()}
    assert plain_numbers and phones
    for table in ("xueji_pupil", "xueji_pupilevent"):
        for column in ENCRYPTED_PUPIL_COLUMNS:
            values = [v for (v,) in raw(f"SELECT {column} FROM {table}") if v]
            assert values or column == "disability_placement", (table, column)
            assert all(v.startswith("sm4:") for v in values), (table, column)
    for table in ("xueji_guardian", "xueji_guardianevent"):
        for column in ("id_number", "phone"):
            assert all(v.startswith("sm4:") for (v,) in raw(f"SELECT {column} FROM {table}")), (table, column)
    # No plain ID number, phone or address anywhere in the rows (every column, as text), but for
    # the 学籍号: a G number is "G" + the ID number and stays plain (it is the national key).
    for table in TABLES:
        rows = " ".join(text for (text,) in raw(f"SELECT (to_jsonb(t) - 'student_number')::text FROM {table} t"))
        for value in plain_numbers | phones | {"农安镇新街9号", "农安镇黄龙路1号"}:
            assert value not in rows, (table, value)


def test_values_round_trip_and_history_shows_them_decrypted(world):
    pupil = world.pupils["a1"]
    original = Pupil.objects.get(pk=pupil.pk)
    pupil_update(
        actor=world.user("officer_a"), pupil=pupil,
        changes={"address": "农安镇新街9号", "disability": Disability.HEARING, "disability_placement": "1", "health": "30"}, reason="核实",
    )
    again = Pupil.objects.get(pk=pupil.pk)
    assert (again.address, again.disability, again.health) == ("农安镇新街9号", Disability.HEARING, "30")
    assert again.id_number == original.id_number
    assert again.get_disability_display() == Disability.HEARING.label
    changes = {c.field: c for c in pupil_field_history(again)}
    assert (changes["address"].old, changes["address"].new) == (original.address, "农安镇新街9号")
    assert (changes["disability"].old, changes["disability"].new) == (
        original.get_disability_display(), Disability.HEARING.label
    )
    guardian = again.guardians.first()
    assert guardian.phone and guardian.phone.isdigit()


def test_saving_unchanged_values_keeps_the_ciphertext_and_makes_no_history(world):
    pupil = Pupil.objects.get(pk=world.pupils["a1"].pk)
    before = raw("SELECT id_number, address FROM xueji_pupil WHERE id = %s", [pupil.pk])
    events = PupilEvent.objects.filter(pgh_obj_id=pupil.pk).count()
    pupil.save()
    assert raw("SELECT id_number, address FROM xueji_pupil WHERE id = %s", [pupil.pk]) == before
    assert PupilEvent.objects.filter(pgh_obj_id=pupil.pk).count() == events


def test_a_query_on_an_encrypted_column_fails_loudly(world):
    number = world.pupils["a1"].id_number
    for query in ({"id_number": number}, {"id_number__startswith": number[:6]}, {"address__contains": "农安"},
                  {"disability": Disability.NONE}, {"id_number__in": [number]}):
        with pytest.raises(EncryptedLookupError, match="encrypted"):
            list(Pupil.objects.filter(**query))
    with pytest.raises(EncryptedLookupError):
        list(Guardian.objects.filter(phone="13800000000"))
    assert Pupil.objects.filter(id_number_index=id_number_index(number)).get() == world.pupils["a1"]
    assert Pupil.objects.exclude(id_number="").count() == Pupil.objects.exclude(id_number_index="").count()


def test_a_tampered_or_moved_value_fails_loudly(world):
    pupil = world.pupils["a1"]
    (stored,) = raw("SELECT id_number FROM xueji_pupil WHERE id = %s", [pupil.pk])[0]
    prefix, key_id, body = stored.split(":")
    raw_body = bytearray(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    raw_body[14] ^= 1
    tampered = f"{prefix}:{key_id}:{base64.urlsafe_b64encode(bytes(raw_body)).decode().rstrip('=')}"
    with pgtrigger.ignore("xueji.Pupil:update_update"):
        raw("UPDATE xueji_pupil SET id_number = %s WHERE id = %s RETURNING id", [tampered, pupil.pk])
        with pytest.raises(crypto.DecryptionFailed):
            Pupil.objects.get(pk=pupil.pk)
        # The ciphertext of the ID number copied into the address column does not open either.
        raw("UPDATE xueji_pupil SET id_number = %s, address = %s WHERE id = %s RETURNING id", [stored, stored, pupil.pk])
        with pytest.raises(crypto.DecryptionFailed):
            Pupil.objects.get(pk=pupil.pk)
        # Nor does a plain value written behind the application's back.
        raw("UPDATE xueji_pupil SET address = '明文地址' WHERE id = %s RETURNING id", [pupil.pk])
        with pytest.raises(crypto.DecryptionFailed):
            Pupil.objects.get(pk=pupil.pk)


def test_the_unique_index_refuses_two_live_records_with_one_id_number(world):
    """Straight into the database, past dedupe: the partial unique index on the blind index."""
    existing = world.pupils["a1"]
    twin = make_pupil(world.units["b1"], world.classes["b1_3_1"], name="甲乙")
    with pytest.raises(IntegrityError, match="pupil_live_id_number_unique"), transaction.atomic():
        Pupil.objects.filter(pk=twin.pk).update(id_number=existing.id_number, id_number_index=existing.id_number_index)
    # Written another way (lower case x, spaces) the number has the same index.
    assert id_number_index(" " + existing.id_number.lower() + " ") == existing.id_number_index
    # A deleted record does not block.
    Pupil.objects.filter(pk=existing.pk).update(deleted_at="2026-09-01T00:00:00Z")
    Pupil.objects.filter(pk=twin.pk).update(id_number=existing.id_number, id_number_index=existing.id_number_index)


def test_search_by_full_id_number_and_lookup_use_the_blind_index(world):
    pupil = world.pupils["a2"]
    found = pupil_search(Pupil.objects.all(), pupil.id_number.lower())
    assert list(found) == [pupil]
    assert "id_number_index" in str(found.query)


def test_statistics_count_disability_by_its_blind_index(world):
    from xueji.codes import ROLL_STATUSES
    from reports.statistics import unit_statistics

    a1 = world.pupils["a1"]
    pupil_update(actor=world.user("officer_a"), pupil=a1, changes={"disability": Disability.VISUAL, "disability_placement": "1"}, reason="核实")
    assert Pupil.objects.get(pk=a1.pk).disability_index == disability_index(Disability.VISUAL)
    officer = world.user("officer_a")
    stats = unit_statistics(officer, world.units["a1"].parent)
    on_roll = Pupil.objects.filter(school__path__startswith=world.units["a1"].parent.path, deleted_at__isnull=True,
                                   status__in=ROLL_STATUSES)
    visual = sum(1 for p in on_roll if p.disability == Disability.VISUAL)
    assert visual >= 1
    assert stats["total"].counts[f"disability_{Disability.VISUAL}"] == visual
    assert stats["total"].counts[f"disability_{Disability.NONE}"] == sum(1 for p in on_roll if p.disability == Disability.NONE)


@transactional  # the history is rewritten as the owner, on a connection of its own
def test_data_migration_encrypts_plain_rows_and_their_history(world):
    """Rows written before encryption (plain, no blind index), events included: the migration's
    function encrypts them in place and fills the indexes; running it again changes nothing."""
    from importlib import import_module

    migration = import_module("xueji.migrations.0014_encrypted_fields_data")
    pupil = world.pupils["a1"]
    plain = Pupil.objects.get(pk=pupil.pk)
    with connected_as_owner(), pgtrigger.ignore():
        raw("UPDATE xueji_pupil SET id_number = %s, address = %s, disability = %s, id_number_index = '', "
            "disability_index = '' WHERE id = %s RETURNING id", [plain.id_number, plain.address, plain.disability, pupil.pk])
        raw("UPDATE xueji_pupilevent SET id_number = %s WHERE pgh_obj_id = %s RETURNING pgh_id", [plain.id_number, pupil.pk])
    with pytest.raises(crypto.DecryptionFailed):
        Pupil.objects.get(pk=pupil.pk)
    with connected_as_owner():  # as migrations run
        migration.encrypt_existing(apps, None)
    again = Pupil.objects.get(pk=pupil.pk)
    assert (again.id_number, again.address, again.disability) == (plain.id_number, plain.address, plain.disability)
    assert again.id_number_index == id_number_index(plain.id_number)
    assert again.disability_index == disability_index(plain.disability)
    assert all(v.startswith("sm4:") for (v,) in raw("SELECT id_number FROM xueji_pupilevent WHERE pgh_obj_id = %s", [pupil.pk]))
    assert {e.id_number for e in PupilEvent.objects.filter(pgh_obj_id=pupil.pk)} == {plain.id_number}
    before = raw("SELECT id_number FROM xueji_pupil ORDER BY id")
    with connected_as_owner():
        migration.encrypt_existing(apps, None)
    assert raw("SELECT id_number FROM xueji_pupil ORDER BY id") == before


@transactional  # the command rewrites the history as the owner, on a connection of its own
def test_rotation_moves_everything_to_the_new_key(world, keys, capsys):
    keys("old")
    pupils = [make_pupil(world.units["a1"], world.classes["a1_3_1"], name=f"旧钥{'甲乙丙'[i]}") for i in range(3)]
    # Everything under "old", the world's values included (as after a first rotation's start).
    call_command("encryption_rotate")
    keys("new", "old")
    call_command("encryption_rotate", "--batch-size", "2")
    out = capsys.readouterr().out
    assert "当前密钥：new" in out and "encryption_rotate:" in out
    keys("new", only=True)  # the old keys are gone: everything still reads
    for pupil in pupils:
        assert Pupil.objects.get(pk=pupil.pk).id_number == pupil.id_number
    for table in TABLES:
        columns = ["id_number"] + (["phone"] if "guardian" in table else ["address", "health"])
        for column in columns:
            ids = {crypto.key_id_of(v) for (v,) in raw(f"SELECT {column} FROM {table}") if v}
            assert ids == {"new"}, (table, column, ids)
    assert all(g.phone for g in Guardian.objects.all())


@transactional  # the command rewrites the history as the owner, on a connection of its own
def test_an_interrupted_rotation_is_finished_by_running_it_again(world, keys, capsys):
    keys("old")
    call_command("encryption_rotate")
    keys("new", "old")
    call_command("encryption_rotate", "--batch-size", "1", "--max-batches", "1")
    left = raw("SELECT count(*) FROM xueji_pupil WHERE id_number LIKE 'sm4:old:%%'")[0][0]
    assert left > 0
    call_command("encryption_rotate")
    assert "encryption_rotate: " in capsys.readouterr().out
    assert raw("SELECT count(*) FROM xueji_pupil WHERE id_number LIKE 'sm4:old:%%'")[0][0] == 0
    call_command("encryption_rotate")
    assert capsys.readouterr().out.strip().endswith("encryption_rotate: 0 re-encrypted (重新加密共 0 项)")


def test_rotation_steps_are_a_list_others_can_extend():
    from xueji.key_rotation import ROTATION_STEPS

    assert [step.name for step in ROTATION_STEPS] == ["fields", "files", "enrolment_uploads"]


def test_production_refuses_to_start_without_keys(tmp_path):
    env = {
        key: value for key, value in os.environ.items()
        if key not in ("XUEJI_ENCRYPTION_KEYS", "XUEJI_BLIND_INDEX_KEY")
    }
    env.update(XUEJI_ENV="production", DJANGO_SECRET_KEY=secrets.token_urlsafe(50), ALLOWED_HOSTS="xueji.example",
               XUEJI_DATA_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode != 0
    assert "XUEJI_ENCRYPTION_KEYS and XUEJI_BLIND_INDEX_KEY must be set in production" in result.stderr
    assert not (tmp_path / "keys.json").exists()


def test_the_pupil_page_shows_the_history_decrypted(world, login):
    pupil = world.pupils["a1"]
    old_address = Pupil.objects.get(pk=pupil.pk).address
    pupil_update(actor=world.user("officer_a"), pupil=pupil, changes={"address": "农安镇新街9号"}, reason="搬家")
    body = login(world.user("officer_a")).get(f"/pupils/{pupil.pk}/").content.decode()
    section = body[body.index("信息变更记录"):]
    assert old_address in section and "农安镇新街9号" in section
    assert "sm4:" not in body


def test_update_and_bulk_update_keep_the_blind_indexes_in_step(world):
    a1, a2 = world.pupils["a1"], world.pupils["a2"]
    Pupil.objects.filter(pk=a1.pk).update(disability=Disability.PHYSICAL)
    assert Pupil.objects.get(pk=a1.pk).disability_index == disability_index(Disability.PHYSICAL)
    pupils = list(Pupil.objects.filter(pk__in=[a1.pk, a2.pk]).order_by("pk"))
    pupils[0].id_number, pupils[1].disability = "11010519491231002X", Disability.SPEECH
    Pupil.objects.bulk_update(pupils, ["id_number", "disability"])
    assert Pupil.objects.get(id_number_index=id_number_index("11010519491231002x")).pk == pupils[0].pk
    assert Pupil.objects.get(pk=pupils[1].pk).disability_index == disability_index(Disability.SPEECH)
    with pytest.raises(EncryptedLookupError):
        Pupil.objects.filter(pk=a1.pk).update(disability=F("health"))
