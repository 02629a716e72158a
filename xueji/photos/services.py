"""Pupils' photos (2-inch, blue background, for the printed 学籍卡): uploading or taking one on
the pupil's page, removing it, and importing a school's photos from a zip.

``Pupil.photo`` is the one field, in private storage (xueji.files.storage): what is stored is always
the photo made by ``xueji.photos.images.photo_prepare`` (checked by content, turned upright,
35:49, 413 × 579, re-encoded without metadata). The registrar and the headmaster of the pupil's
school change it; a zip is the registrar's. Every change is in the audit log and, through
pghistory, in the record's field history. A replaced or removed file is deleted once the
transaction has committed (so a rollback never leaves a record pointing at nothing).
"""

import re
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from itertools import islice

import pghistory
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from xueji.accounts.audit import audit_record, audit_record_many
from xueji.accounts.models import AuditEntry, Role, Unit, User
from xueji.accounts.permissions import NotAllowed, holds
from xueji.collation import pinyin_sort_key
from xueji.photos.images import MAX_PHOTO_BYTES, PreparedPhoto, photo_prepare, stored_photo_warnings, too_large
from xueji.photos.zip import PhotoZipRefused, ZipEntry, read_photo_zip
from xueji.pupils.models import Pupil, StudentNumber
from xueji.pupils.scoping import pupils_visible_to

PHOTO_ROLES = {Role.REGISTRAR, Role.HEADMASTER}
NOT_ALLOWED = "只有本校学籍管理员或校长可以上传、更换或删除学生照片。"
IMPORT_NOT_ALLOWED = "只有本校学籍管理员可以批量导入学生照片。"
STORED_NAME = "photo.jpg"
# Photos are decoded in threads (Pillow lets go of the GIL while decoding and scaling): a
# school's 400 photos take seconds, not a minute. A few files at a time keep the memory small.
IMPORT_THREADS = 4
IMPORT_BATCH = 8


def may_change_photo(user: User, pupil: Pupil) -> bool:
    """The registrar or the headmaster of the pupil's school."""
    return holds(user, PHOTO_ROLES, pupil.school_id)


def may_import_photos(user: User, school: Unit) -> bool:
    return holds(user, Role.REGISTRAR, school)


def photo_warnings(pupil: Pupil) -> list[str]:
    """What the pupil's page says about the stored photo (a background that is not blue).
    Worked out from the stored file each time: the same file always gives the same answer."""
    if not pupil.photo:
        return []
    try:
        with pupil.photo.open("rb") as handle:
            return stored_photo_warnings(handle)
    except FileNotFoundError:
        return ["照片文件已丢失，请重新上传。"]
    except Exception:  # noqa: BLE001 - a damaged file is shown as it is, not as a crash of the page
        return ["照片文件已损坏，请重新上传。"]


def _delete_on_commit(storage, names: list[str]) -> None:
    names = [name for name in names if name]
    if names:
        transaction.on_commit(lambda: [storage.delete(name) for name in names])


# One pupil ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PhotoSaved:
    pupil: Pupil
    warnings: tuple[str, ...]
    replaced: bool


@transaction.atomic
def pupil_photo_set(*, actor: User, pupil: Pupil, upload, source: str = "upload") -> PhotoSaved:
    """Check an uploaded file (JPG or PNG, by content) and make it the pupil's photo, replacing
    any photo before it. ``source`` is "upload" or "camera" (for the audit log). Warnings (a
    background that is not blue, a small photo) come back; they do not stop the upload.
    ValidationError in Chinese for a file that is no usable photo; PermissionDenied for anyone
    but the registrar or headmaster of the pupil's school."""
    if not may_change_photo(actor, pupil):
        raise NotAllowed(NOT_ALLOWED)
    name = (getattr(upload, "name", "") or "照片").replace("\\", "/").rsplit("/", 1)[-1][:100]
    size = getattr(upload, "size", None) or 0
    if size > MAX_PHOTO_BYTES:  # not even read
        raise ValidationError(f"“{name}”{too_large(size)}", code="too_large")
    prepared = photo_prepare(upload.read(MAX_PHOTO_BYTES + 1), name=name)
    # The image work is done before the row is locked: the lock is held for the write only.
    locked = Pupil.objects.select_for_update(of=("self",)).select_related("school").get(pk=pupil.pk)
    if not may_change_photo(actor, locked):  # moved to another school meanwhile
        raise NotAllowed(NOT_ALLOWED)
    old_name = locked.photo.name
    how = "拍摄" if source == "camera" else "上传"
    try:
        with pghistory.context(user=actor.pk, reason=f"{how}照片"):
            _store(locked, prepared)
            locked.save(update_fields=["photo", "updated_at"])
        audit_record(
            action="photo.upload", obj=locked, user=actor,
            detail=f"{how}照片{'（替换原照片）' if old_name else ''}" + "".join(f"；{w}" for w in prepared.warnings),
        )
    except BaseException:
        if locked.photo.name != old_name:  # rolled back: nothing points at the new file
            locked.photo.storage.delete(locked.photo.name)
        raise
    _delete_on_commit(locked.photo.storage, [old_name])
    return PhotoSaved(pupil=locked, warnings=prepared.warnings, replaced=bool(old_name))


def _store(pupil: Pupil, prepared: PreparedPhoto) -> None:
    """Write the file under a new random name (xueji.files.storage) and point the record at it."""
    pupil.photo.save(STORED_NAME, ContentFile(prepared.content), save=False)


@transaction.atomic
def pupil_photo_remove(*, actor: User, pupil: Pupil) -> Pupil:
    """Remove the pupil's photo (the file is deleted once the change has committed)."""
    if not may_change_photo(actor, pupil):
        raise NotAllowed(NOT_ALLOWED)
    locked = Pupil.objects.select_for_update(of=("self",)).select_related("school").get(pk=pupil.pk)
    if not may_change_photo(actor, locked):
        raise NotAllowed(NOT_ALLOWED)
    if not locked.photo:
        raise ValidationError("该学生没有照片，无需删除。", code="no_photo")
    old_name = locked.photo.name
    storage = locked.photo.storage
    with pghistory.context(user=actor.pk, reason="删除照片"):
        locked.photo = ""
        locked.save(update_fields=["photo", "updated_at"])
    _delete_on_commit(storage, [old_name])
    audit_record(action="photo.remove", obj=locked, user=actor, detail="删除照片")
    return locked


# A school's zip ------------------------------------------------------------------------------
#
# Every file that can be used is saved, and the result lists every file that was not, with the
# reason. Not all-or-nothing, unlike the enrolment import: there the rows are one batch that the
# bureau approves, and half a class registered would be wrong; here each photo is right or wrong
# on its own, and a registrar on a slow line who has sent 400 photos should not have to send them
# all again because three were misnamed — sending those three again finishes the job (and sending
# the whole zip again does no harm: it only replaces photos with the same photos). The saves are
# one transaction: all the usable photos or, if the server fails midway, none. What makes the zip
# itself suspect (a zip bomb, names climbing out of the folder, too many entries) refuses it whole
# before anything is saved (xueji.photos.zip).

class ProblemKind:
    NOT_IMAGE = "not_image"
    UNMATCHED = "unmatched"
    DUPLICATE = "duplicate"
    LABELS = {
        NOT_IMAGE: "不是可用的照片",
        UNMATCHED: "没有对应的本校学生",
        DUPLICATE: "多个文件对应同一名学生",
    }


@dataclass(frozen=True)
class ImportedPhoto:
    path: str
    pupil: Pupil
    warnings: tuple[str, ...]
    replaced: bool


@dataclass(frozen=True)
class ImportProblem:
    path: str
    kind: str
    reason: str
    pupil: Pupil | None = None

    @property
    def kind_label(self) -> str:
        return ProblemKind.LABELS[self.kind]


@dataclass
class PhotoImport:
    """The result of a zip: what was saved, and every file that was not, with the reason."""

    school: Unit
    saved: list[ImportedPhoto] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # system files (__MACOSX/, Thumbs.db …)

    @property
    def warned(self) -> list[ImportedPhoto]:
        return [photo for photo in self.saved if photo.warnings]

    def problems_of(self, kind: str) -> list[ImportProblem]:
        return [problem for problem in self.problems if problem.kind == kind]

    @property
    def problem_groups(self) -> list[tuple[str, str, list[ImportProblem]]]:
        groups = [(kind, label, self.problems_of(kind)) for kind, label in ProblemKind.LABELS.items()]
        return [group for group in groups if group[2]]


# A number in a file name: an 18-character ID number, or a 19-character 学籍号 (G, L or J and
# 18 more). "张三 220122201803041234.jpg" and "220122201803041234(1).jpg" are found too.
_NUMBER = re.compile(r"(?<![0-9A-Z])([GLJ]?\d{17}[\dX])(?![0-9A-Z])")


def photo_keys(file_name: str) -> tuple[set[str], list[str]]:
    """The keys a file name may be matched by (upper case): the whole name without its
    extension (an ID number of another kind: a passport number), and every ID number or 学籍号
    in it, a G number's ID number too. Also the numbers found, to say why nothing matched."""
    stem = file_name.rsplit(".", 1)[0] if "." in file_name else file_name
    stem = stem.strip().upper()
    numbers = _NUMBER.findall(stem)
    keys = {stem, *numbers, *(n[1:] for n in numbers if n.startswith("G"))}
    return {key for key in keys if key}, numbers


def _school_keys(pupils: list[Pupil]) -> dict[str, set[int]]:
    """Key → the pupils it names: ID numbers, current and former 学籍号."""
    keys: dict[str, set[int]] = defaultdict(set)
    for pupil in pupils:
        if pupil.id_number:
            keys[pupil.id_number.strip().upper()].add(pupil.pk)
        keys[pupil.student_number.upper()].add(pupil.pk)
    former = StudentNumber.objects.filter(pupil__in=[p.pk for p in pupils]).values_list("pupil_id", "number")
    for pupil_id, number in former:
        keys[number.upper()].add(pupil_id)
    return keys


def photos_import_zip(*, actor: User, school: Unit, upload) -> PhotoImport:
    """Import a school's photos from a zip of files named by ID number or 学籍号 (see above).
    Each file is matched to a pupil of ``school`` whom the registrar sees; PhotoZipRefused
    (a ValidationError) refuses the zip whole; PermissionDenied for anyone but the school's
    registrar."""
    if not may_import_photos(actor, school):
        raise NotAllowed(IMPORT_NOT_ALLOWED)
    pupils = {p.pk: p for p in pupils_visible_to(actor).filter(school=school).select_related("school_class")}
    keys = _school_keys(list(pupils.values()))
    result = PhotoImport(school=school)
    matched: dict[int, list[tuple[ZipEntry, PreparedPhoto]]] = defaultdict(list)
    try:
        _read_and_match(upload, keys=keys, pupils=pupils, result=result, matched=matched)
    except PhotoZipRefused as refusal:
        audit_record(action="photo.import", obj=school, user=actor, result=AuditEntry.Result.FAILED,
                     detail=f"批量导入照片：整个压缩包被拒绝（{refusal.code}）")
        raise
    for pupil_id, files in matched.items():
        if len(files) > 1:
            paths = "、".join(f"“{entry.path}”" for entry, _ in files)
            for entry, _ in files:
                result.problems.append(ImportProblem(
                    entry.path, ProblemKind.DUPLICATE,
                    f"{paths}都对应{pupils[pupil_id].name}，无法确定用哪一张，均未保存：请只保留一张。",
                    pupil=pupils[pupil_id],
                ))
    chosen = {pupil_id: files[0] for pupil_id, files in matched.items() if len(files) == 1}
    _save_imported(actor=actor, school=school, chosen=chosen, result=result)
    result.problems.sort(key=lambda problem: problem.path)
    return result


def _unmatched_reason(numbers: list[str]) -> str:
    if numbers:
        return "文件名中的号码不是本校学生的身份证件号或学籍号（号码有误，或不是本校的学生）。"
    return "文件名应为学生的身份证件号或学籍号，例如 220122201803041234.jpg 或 G220122201803041234.jpg。"


def _read_and_match(upload, *, keys: dict[str, set[int]], pupils: dict[int, Pupil], result: PhotoImport,
                    matched: dict[int, list[tuple[ZipEntry, PreparedPhoto]]]) -> None:
    """Read the zip's files a few at a time, make each photo (in threads) and match its name."""

    def check(entry: ZipEntry):
        try:
            return entry, photo_prepare(entry.data, name=entry.name), None
        except ValidationError as error:
            return entry, None, error.messages[0]

    entries = read_photo_zip(upload)
    with ThreadPoolExecutor(max_workers=IMPORT_THREADS) as pool:
        while batch := list(islice(entries, IMPORT_BATCH)):
            readable = []
            for entry in batch:
                if entry.skipped:
                    result.skipped.append(entry.path)
                elif entry.problem:
                    reason = f"“{entry.name}”{entry.problem}"
                    result.problems.append(ImportProblem(entry.path, ProblemKind.NOT_IMAGE, reason))
                else:
                    readable.append(entry)
            for entry, prepared, error in pool.map(check, readable):
                entry = replace(entry, data=b"")  # the stored photo is kept, not the file sent
                if error:
                    result.problems.append(ImportProblem(entry.path, ProblemKind.NOT_IMAGE, error))
                    continue
                file_keys, numbers = photo_keys(entry.name)
                found = set().union(*(keys.get(key, set()) for key in file_keys))
                if len(found) == 1:
                    matched[found.pop()].append((entry, prepared))
                elif found:
                    names = "、".join(sorted(pupils[pk].name for pk in found))
                    result.problems.append(ImportProblem(
                        entry.path, ProblemKind.UNMATCHED, f"文件名同时对应多名学生（{names}），请只用其中一人的号码命名。"))
                else:
                    result.problems.append(ImportProblem(entry.path, ProblemKind.UNMATCHED, _unmatched_reason(numbers)))


@transaction.atomic
def _save_imported(*, actor: User, school: Unit, chosen: dict, result: PhotoImport) -> None:
    # The pupils are locked in one order (by id), so two imports at once wait for each other
    # instead of deadlocking; a pupil who has left the school (or the registrar's sight) since
    # the zip was read is reported, not written.
    locked = {
        p.pk: p for p in pupils_visible_to(actor).filter(school=school, pk__in=list(chosen))
        .select_related("school_class").select_for_update(of=("self",)).order_by("pk")
    }
    old_names, changed, stored = [], [], []
    try:
        with pghistory.context(user=actor.pk, reason="批量导入照片"):
            now = timezone.now()
            for pupil_id, (entry, prepared) in chosen.items():
                pupil = locked.get(pupil_id)
                if pupil is None:
                    result.problems.append(ImportProblem(entry.path, ProblemKind.UNMATCHED, "该学生已不在本校。"))
                    continue
                old_names.append(pupil.photo.name)
                _store(pupil, prepared)
                stored.append(pupil.photo.name)
                pupil.updated_at = now
                changed.append(pupil)
                result.saved.append(ImportedPhoto(entry.path, pupil, prepared.warnings, replaced=bool(old_names[-1])))
            Pupil.objects.bulk_update(changed, ["photo", "updated_at"], batch_size=500)
        if changed:
            audit_record_many(action="photo.upload", objs=changed, user=actor, detail="批量导入照片")
        audit_record(
            action="photo.import", obj=school, user=actor,
            detail=f"批量导入照片：保存 {len(result.saved)} 张（其中 {len(result.warned)} 张背景或清晰度需核对），"
                   f"未保存 {len(result.problems)} 个文件",
        )
    except BaseException:
        # The transaction is rolled back and nothing points at the files just written: remove
        # them rather than leave orphans.
        for name in stored:
            Pupil.photo.field.storage.delete(name)
        raise
    _delete_on_commit(Pupil.photo.field.storage, old_names)
    result.saved.sort(key=lambda photo: (photo.pupil.grade, photo.pupil.school_class_id or 0,
                                         pinyin_sort_key(photo.pupil.name)))
