"""The steps of key rotation (`manage.py encryption_rotate`): each re-encrypts one kind of thing
kept under an older key with the current one, in batches, resumably. The core's own steps are
here; an app adds its own from its AppConfig.ready() with register_rotation_step (the core
imports no app).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.apps import apps
from django.db import transaction

from xueji import crypto
from xueji.encryption_rewrite import encrypted_tables, rewrite_table


@dataclass(frozen=True)
class RotationStep:
    """One kind of thing to re-encrypt. `run(batch_size, max_batches, report)` returns how many
    items it re-encrypted; `report(what, count)` prints progress."""

    name: str
    description: str
    run: Callable[..., int]


def rotate_fields(*, batch_size: int, max_batches: int | None, report: Callable[[str, int], None]) -> int:
    ring = crypto.keyring()
    total = 0
    for spec in encrypted_tables(apps.get_models()):
        count = rewrite_table(
            spec, ring=ring, batch_size=batch_size, max_batches=max_batches, atomic=transaction.atomic, progress=report
        )
        report(f"{spec.label}: done", count)
        total += count
    return total


def rotate_private_files(*, batch_size: int, max_batches: int | None, report: Callable[[str, int], None]) -> int:
    from xueji.files.encrypted import rotate_files

    # Files are rewritten whole, one by one (resumable by nature): max_batches does not apply.
    count = rotate_files(batch_size=batch_size)
    report("private files: done", count)
    return count


ROTATION_STEPS: list[RotationStep] = [
    RotationStep("fields", "数据库中加密的字段（身份证件号、电话、地址、健康、残疾）", rotate_fields),
    RotationStep("files", "磁盘上的私有文件（照片、附件、学籍卡、导出文件）", rotate_private_files),
]


def register_rotation_step(step: RotationStep) -> None:
    if all(existing.name != step.name for existing in ROTATION_STEPS):
        ROTATION_STEPS.append(step)


