"""The audit log's hash chain (migration 0012_audit_chain): a trigger chains every entry, however
it is written; `manage.py audit_verify` walks the chain and names the first broken link; the
nightly task does the same and warns the audit admins on their home page. And the copy of every
entry shipped off the host (xueji/accounts/audit_ship.py)."""

import itertools
import json
import socket
import threading
from datetime import UTC
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import Client

from tests.conftest import login_with_code, transactional
from tests.owner import owner_cursor
from xueji.accounts.audit import audit_record, audit_record_many
from xueji.accounts.audit_chain import GENESIS_HASH, entry_hash, verify_chain
from xueji.accounts.models import AuditChainCheck, AuditEntry
from xueji.accounts.tasks import verify_audit_chain


def chain():
    return list(AuditEntry.objects.order_by("chain_seq"))


def test_every_entry_is_chained_to_the_one_before(world):
    audit_record(action="test", detail="一")
    audit_record_many(action="test.many", objs=[world.pupils["a1"], world.pupils["a2"]], user=world.user("officer_a"))
    entries = chain()
    assert [e.chain_seq for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == GENESIS_HASH
    for before, after in itertools.pairwise(entries):
        assert after.prev_hash == before.entry_hash
    assert all(len(e.entry_hash) == 64 for e in entries)


def test_the_hash_is_read_back_after_the_insert(world):
    entry = audit_record(action="test", detail="读回")
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.chain_seq, entry.prev_hash, entry.entry_hash) == (stored.chain_seq, stored.prev_hash, stored.entry_hash)


def test_what_the_insert_says_of_the_chain_is_ignored(world):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO xueji_auditentry (at, username, role, unit_path, action, object_type, object_id, object_repr,"
            " result, detail, chain_seq, prev_hash, entry_hash) VALUES (now(), '', '', '', 'forged', '', '', '', 'ok',"
            " '', 999, repeat('a', 64), repeat('b', 64)) RETURNING chain_seq, entry_hash"
        )
        seq, stored_hash = cursor.fetchone()
    assert seq != 999 and stored_hash != "b" * 64
    assert verify_chain().intact


def test_audit_verify_passes_an_intact_chain_in_batches(world):
    for i in range(7):
        audit_record(action="test", detail=f"第{i}条，含 | 和 : 与换行\n")
    out = StringIO()
    call_command("audit_verify", "--batch", "3", stdout=out)
    last = chain()[-1]
    assert out.getvalue().strip() == f"audit chain intact: {len(chain())} entries, last hash {last.entry_hash}"
    assert AuditChainCheck.objects.get().intact


@transactional
def test_audit_verify_names_a_changed_entry_in_the_middle(world):
    with time_machine.travel("2026-10-08 09:30 +0800", tick=False):
        audit_record(action="test", detail="改前")
    entries = chain()
    middle = entries[len(entries) // 2]
    with owner_cursor() as cursor:  # an owner lifting the trigger, as an attacker with its password would
        cursor.execute("ALTER TABLE xueji_auditentry DISABLE TRIGGER xueji_audit_append_only")
        cursor.execute("UPDATE xueji_auditentry SET detail = detail || '（改过）' WHERE id = %s", [middle.pk])
        cursor.execute("ALTER TABLE xueji_auditentry ENABLE TRIGGER xueji_audit_append_only")
    with pytest.raises(CommandError) as broken:
        call_command("audit_verify", "--batch", "4", stdout=StringIO())
    message = str(broken.value)
    assert f"entry id {middle.pk} " in message and "content changed" in message
    assert f"{middle.at:%Y-%m-%d}" in message
    assert broken.value.returncode == 1
    check = AuditChainCheck.objects.get()
    assert (check.intact, check.broken_entry_id, check.entries) == (False, middle.pk, middle.chain_seq - 1)


@transactional
def test_audit_verify_names_the_entry_after_a_deleted_one(world):
    entries = chain()
    gone, after = entries[2], entries[3]
    with owner_cursor() as cursor:
        cursor.execute("ALTER TABLE xueji_auditentry DISABLE TRIGGER xueji_audit_append_only")
        cursor.execute("DELETE FROM xueji_auditentry WHERE id = %s", [gone.pk])
        cursor.execute("ALTER TABLE xueji_auditentry ENABLE TRIGGER xueji_audit_append_only")
    result = verify_chain()
    assert not result.intact and result.broken_entry_id == after.pk and "missing" in result.problem


@transactional
def test_a_rewritten_hash_shows_at_the_next_link(world):
    """Recomputing one entry's hash after changing it breaks the link to the next entry."""
    entries = chain()
    changed, following = entries[1], entries[2]
    with owner_cursor() as cursor:
        cursor.execute("ALTER TABLE xueji_auditentry DISABLE TRIGGER xueji_audit_append_only")
        cursor.execute("UPDATE xueji_auditentry SET detail = '伪造' WHERE id = %s", [changed.pk])
        cursor.execute("UPDATE xueji_auditentry e SET entry_hash = xueji_audit_hash(e.prev_hash, e) WHERE id = %s",
                       [changed.pk])
        cursor.execute("ALTER TABLE xueji_auditentry ENABLE TRIGGER xueji_audit_append_only")
    result = verify_chain()
    assert not result.intact and result.broken_entry_id == following.pk and "prev_hash" in result.problem


def test_python_and_the_database_hash_alike(world):
    """The verifier's canonical text matches the trigger's, NULLs, Chinese and separators included."""
    entry = audit_record(action="test", detail="中文|1:2~\n", ip="::1")
    fields = (str(entry.chain_seq), str(entry.pk), entry.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f"), None, "", "", None, "", "::1", "test", "", "", "", "ok", "中文|1:2~\n")
    assert entry_hash(entry.prev_hash, fields) == entry.entry_hash


@transactional
def test_concurrent_writers_keep_one_chain(world):
    def write(n):
        try:
            for i in range(10):
                with transaction.atomic():
                    audit_record(action="test", detail=f"线程{n}-{i}")
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result = verify_chain()
    assert result.intact and AuditEntry.objects.filter(detail__startswith="线程").count() == 40


@transactional
def test_the_nightly_task_warns_the_audit_admins(world):
    verify_audit_chain.apply()  # as beat would queue it
    auditor = login_with_code(Client(), world.user("auditor"))
    assert "检查完好" in auditor.get("/").content.decode()

    middle = chain()[3]
    with owner_cursor() as cursor:
        cursor.execute("ALTER TABLE xueji_auditentry DISABLE TRIGGER xueji_audit_append_only")
        cursor.execute("UPDATE xueji_auditentry SET username = 'someone_else' WHERE id = %s", [middle.pk])
        cursor.execute("ALTER TABLE xueji_auditentry ENABLE TRIGGER xueji_audit_append_only")
    assert verify_audit_chain.apply().get() is False
    page = auditor.get("/").content.decode()
    assert f"检查发现断点：第 {middle.pk} 号记录" in page
    # Only the audit admins are shown it.
    officer = login_with_code(Client(), world.user("officer_a"))
    assert "哈希链" not in officer.get("/").content.decode()


def test_the_nightly_task_is_scheduled():
    from django.conf import settings

    assert settings.CELERY_BEAT_SCHEDULE["audit-chain-verify"]["task"] == "xueji.accounts.tasks.verify_audit_chain"


# Shipped off the host ------------------------------------------------------------------------------


def test_entries_are_shipped_to_a_file_after_commit(world, settings, tmp_path, django_capture_on_commit_callbacks):
    target = tmp_path / "audit.jsonl"
    settings.AUDIT_SHIP = f"file:{target}"
    with django_capture_on_commit_callbacks(execute=True):
        entry = audit_record(action="pupil.view", obj=world.pupils["a1"], detail="身份证 220122201803141234")
        audit_record_many(action="test.many", objs=[world.pupils["a2"]], user=world.user("officer_a"))
        assert not target.exists() or target.read_text() == ""  # nothing before the commit
    lines = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert [line["action"] for line in lines] == ["pupil.view", "test.many"]
    stored = AuditEntry.objects.get(pk=entry.pk)
    assert lines[0]["entry_hash"] == stored.entry_hash and lines[0]["prev_hash"] == stored.prev_hash
    assert lines[1]["prev_hash"] == stored.entry_hash
    assert lines[0]["detail"] == stored.detail and "220122201803141234" not in target.read_text()


def test_a_rolled_back_entry_is_not_shipped(world, settings, tmp_path, django_capture_on_commit_callbacks):
    target = tmp_path / "audit.jsonl"
    settings.AUDIT_SHIP = f"file:{target}"
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        audit_record(action="test", detail="回滚")
        raise RuntimeError
    assert not target.exists() or target.read_text() == ""


def test_entries_are_shipped_to_syslog(world, settings, django_capture_on_commit_callbacks):
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    receiver.bind(("127.0.0.1", 0))
    receiver.settimeout(5)
    settings.AUDIT_SHIP = f"syslog:127.0.0.1:{receiver.getsockname()[1]}"
    try:
        with django_capture_on_commit_callbacks(execute=True):
            entry = audit_record(action="test", detail="送往日志服务器")
        message = receiver.recv(65536).decode()
    finally:
        receiver.close()
    assert "xueji-audit: " in message
    assert json.loads(message.split("xueji-audit: ", 1)[1].rstrip("\x00"))["entry_hash"] == entry.entry_hash


def test_shipping_is_off_by_default_in_tests(settings):
    assert settings.AUDIT_SHIP == ""
