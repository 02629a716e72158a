"""Walking the audit log's hash chain (migration 0012_audit_chain sets it up, a trigger computes it).

The walk recomputes every hash here, in Python, from the stored fields: it does not trust the
database's own functions, so a changed trigger or canonical function shows as a break too. It reads
the entries in chain order in batches (keyset on chain_seq), so it keeps one batch in memory
whatever the size of the log.
"""

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from xueji.accounts.models import AuditChainCheck

GENESIS_HASH = "0" * 64
BATCH_SIZE = 5000

# The fields of the canonical text, in its order, as text (as xueji_audit_canonical reads them).
_FIELDS_SQL = """
    SELECT chain_seq::text, id::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
           user_id::text, username, role, unit_id::text, unit_path, host(ip), action, object_type,
           object_id, object_repr, result, detail,
           chain_seq, id, at, prev_hash, entry_hash
    FROM xueji_auditentry e WHERE e.chain_seq > %s ORDER BY e.chain_seq LIMIT %s
"""
_CANONICAL_FIELDS = 15


def canonical_text(fields: tuple) -> str:
    """Version 1 of the canonical text: each field as <length>:<text>, "~" for NULL, joined by "|"."""
    return "v1|" + "|".join("~" if value is None else f"{len(value)}:{value}" for value in fields)


def entry_hash(prev_hash: str, fields: tuple) -> str:
    return hashlib.sha256(f"{prev_hash}\n{canonical_text(fields)}".encode()).hexdigest()


@dataclass
class ChainResult:
    intact: bool
    entries: int
    last_hash: str
    broken_entry_id: int | None = None
    broken_entry_at: datetime | None = None
    problem: str = ""

    def summary(self) -> str:
        if self.intact:
            return f"audit chain intact: {self.entries} entries, last hash {self.last_hash or '-'}"
        at = f"{self.broken_entry_at:%Y-%m-%d %H:%M:%S%z}" if self.broken_entry_at else "-"
        return (f"audit chain BROKEN at entry id {self.broken_entry_id} (written {at}): {self.problem}; "
                f"{self.entries} entries before it are intact")


def _rows(batch_size: int) -> Iterator[tuple]:
    after = 0
    while True:
        with connection.cursor() as cursor:
            cursor.execute(_FIELDS_SQL, [after, batch_size])
            rows = cursor.fetchall()
        if not rows:
            return
        yield from rows
        after = rows[-1][_CANONICAL_FIELDS]


def verify_chain(batch_size: int = BATCH_SIZE) -> ChainResult:
    """Walk the whole chain; stop at the first broken link and say what differs."""
    expected_seq, prev, count = 1, GENESIS_HASH, 0
    for row in _rows(batch_size):
        fields = row[:_CANONICAL_FIELDS]
        seq, entry_id, at, stored_prev, stored_hash = row[_CANONICAL_FIELDS:]
        problem = ""
        if seq != expected_seq:
            problem = f"chain number {seq} where {expected_seq} was expected (entries missing or inserted)"
        elif stored_prev != prev:
            problem = f"prev_hash {stored_prev[:16]}… differs from the previous entry's hash {prev[:16]}…"
        elif (computed := entry_hash(stored_prev, fields)) != stored_hash:
            problem = f"content changed: stored entry_hash {stored_hash[:16]}…, recomputed {computed[:16]}…"
        if problem:
            return ChainResult(False, count, prev, entry_id, at, problem)
        count, prev, expected_seq = count + 1, stored_hash, seq + 1
    return ChainResult(True, count, prev if count else "")


def run_check(batch_size: int = BATCH_SIZE) -> tuple[AuditChainCheck, ChainResult]:
    """Verify and keep the result, which the audit admins' home page shows."""
    result = verify_chain(batch_size)
    return AuditChainCheck.objects.create(
        intact=result.intact, entries=result.entries, last_hash=result.last_hash,
        broken_entry_id=result.broken_entry_id, broken_entry_at=result.broken_entry_at, problem=result.problem[:300],
    ), result
