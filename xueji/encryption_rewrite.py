"""Rewrite the encrypted columns of a table in place, in batches: encrypt plain values (the data
migration that introduced encryption), re-encrypt values under an older key (`manage.py
encryption_rotate`), and fill blind indexes left empty.

Raw SQL over the primary key in order, one batch a call (the caller decides the transaction), and
only the rows that still need work are selected: a rerun continues where the last one stopped.
The plain values do not change, so the statements run with pgtrigger's triggers ignored for this
thread: pghistory's update triggers would record a "new version" of every pupil that is only new
ciphertext, and the append-only protection of the event tables would refuse the rewrite of their
old values (which must not stay plain either). Works with the migration's historical models too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pgtrigger
from django.db import connection

from xueji import crypto
from xueji.encrypted_fields import NORMALIZERS, BlindIndexField, EncryptedMixin


@dataclass(frozen=True)
class TableSpec:
    label: str
    table: str
    pk: str
    encrypted: list[tuple[str, str]]  # (column, context)
    indexes: list[tuple[str, str, str, str]]  # (index column, source column, purpose, normaliser)


def table_spec(model) -> TableSpec | None:
    fields = model._meta.concrete_fields
    encrypted = [(f.column, f.context) for f in fields if isinstance(f, EncryptedMixin)]
    if not encrypted:
        return None
    by_name = {f.name: f for f in fields}
    indexes = [
        (f.column, by_name[f.source].column, f.purpose, f.normalize) for f in fields if isinstance(f, BlindIndexField)
    ]
    return TableSpec(model._meta.label, model._meta.db_table, model._meta.pk.column, encrypted, indexes)


def encrypted_tables(models) -> list[TableSpec]:
    return [spec for spec in (table_spec(model) for model in models) if spec]


def rewrite_batch(spec: TableSpec, *, ring: crypto.Keyring, after=None, batch_size: int = 1000):
    """Rewrite the next batch of rows needing work after primary key `after`.
    Returns (rows rewritten, last primary key seen or None when there is nothing left)."""
    quote = connection.ops.quote_name
    current = f"{crypto.PREFIX}:{ring.current_id}:"
    conditions = [f"({quote(c)} <> '' AND {quote(c)} NOT LIKE %s)" for c, _ in spec.encrypted]
    params: list = [current.replace("_", "\\_") + "%" for _ in spec.encrypted]
    conditions += [f"({quote(i)} = '' AND {quote(s)} <> '')" for i, s, _, _ in spec.indexes]
    columns = [spec.pk] + [c for c, _ in spec.encrypted]
    sql = (
        f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(spec.table)} "
        f"WHERE ({' OR '.join(conditions)})"
    )
    if after is not None:
        sql += f" AND {quote(spec.pk)} > %s"
        params.append(after)
    sql += f" ORDER BY {quote(spec.pk)} LIMIT %s"
    params.append(batch_size)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return 0, None
    contexts = dict(spec.encrypted)
    updates = []
    for row in rows:
        pk, values = row[0], dict(zip(columns[1:], row[1:], strict=True))
        plain = {column: _plain(value, contexts[column], ring) for column, value in values.items()}
        new = {}
        for column, value in values.items():
            if value and not value.startswith(current):
                new[column] = crypto.encrypt_text(plain[column], context=contexts[column], ring=ring)
            else:
                new[column] = value
        for index, source, purpose, normalize in spec.indexes:
            normalized = NORMALIZERS[normalize](plain.get(source, ""))
            new[index] = crypto.blind_index(normalized, purpose=purpose, ring=ring) if normalized else ""
        updates.append((pk, new))
    set_columns = [c for c, _ in spec.encrypted] + [i for i, _, _, _ in spec.indexes]
    # One statement for the batch (pgtrigger's ignore does not reach executemany).
    names = ["pk"] + [f"c{position}" for position in range(len(set_columns))]
    assignments = ", ".join(f"{quote(c)} = v.c{position}::text" for position, c in enumerate(set_columns))
    row = "(" + ", ".join(["%s"] * len(names)) + ")"
    statement = (
        f"UPDATE {quote(spec.table)} AS t SET {assignments} "
        f"FROM (VALUES {', '.join([row] * len(updates))}) AS v({', '.join(names)}) WHERE t.{quote(spec.pk)} = v.pk"
    )
    values = [value for pk, new in updates for value in [pk, *(new[c] for c in set_columns)]]
    with pgtrigger.ignore(), connection.cursor() as cursor:
        cursor.execute(statement, values)
    return len(rows), rows[-1][0]


def _plain(value: str | None, context: str, ring: crypto.Keyring) -> str:
    if not value:
        return value or ""
    if crypto.is_encrypted(value):
        return crypto.decrypt_text(value, context=context, ring=ring)
    return value  # written before encryption: the data migration encrypts it


def rewrite_table(
    spec: TableSpec,
    *,
    ring: crypto.Keyring | None = None,
    batch_size: int = 1000,
    max_batches: int | None = None,
    atomic: Callable | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> int:
    """Rewrite every row of the table that needs it, batch by batch (each inside `atomic()` when
    given, so that an interrupted run keeps the batches done). Returns the rows rewritten."""
    ring = ring or crypto.keyring()
    done, after, batches = 0, None, 0
    while max_batches is None or batches < max_batches:
        if atomic is not None:
            with atomic():
                count, after = rewrite_batch(spec, ring=ring, after=after, batch_size=batch_size)
        else:
            count, after = rewrite_batch(spec, ring=ring, after=after, batch_size=batch_size)
        if after is None:
            break
        done += count
        batches += 1
        if progress:
            progress(spec.label, done)
    return done
