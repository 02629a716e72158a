"""Services of 新生建籍: uploads, the browser form, classes and the batch the school submits.

The collection and submission windows are bureau settings (defaults 1–15 and 16–30 September):
new pupils are entered and corrected from the start of collection to the end of submission; the
batch is submitted within the submission window.
"""

import hashlib
import logging
from datetime import date

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, models, transaction
from django.db.models import Count, Q
from django.utils import timezone

from enrollment.intake.models import EnrolmentEntry, EnrolmentImport, EntryStatus
from enrollment.intake.retention import deleted_message, import_content, seal_import_content
from enrollment.intake.validation import Intake, IntakeInvalid, IntakeRow, RowError, validate_intake
from xueji.accounts.audit import audit_record, audit_record_many
from xueji.accounts.models import Unit, User
from xueji.accounts.permissions import NotAllowed, holds_anywhere, require_registrar
from xueji.accounts.selectors import bureau_settings_for
from xueji.approvals.services import request_start, resubmittable
from xueji.celery import enqueue_on_commit
from xueji.codes import PupilStatus
from xueji.documents.memory import cycle_collector_paused
from xueji.jobs import JobLost, job_claim, job_finishing, job_heartbeat, job_owned
from xueji.pupils.models import SchoolClass, SchoolYear
from xueji.pupils.selectors import class_cap

logger = logging.getLogger(__name__)

# Files with more rows than this are checked by a worker, with a progress bar; smaller ones at once.
BACKGROUND_ROWS = 300
ENROLMENT_KIND = "enrolment"


# Who may, and when ---------------------------------------------------------------------------

# Only the school's own registrar enters and submits its new pupils (xueji.accounts.permissions).
REGISTRAR_ONLY = "只有本校学籍管理员可以办理新生建籍。"


def current_intake_year(today: date | None = None) -> int:
    """The autumn intake the registrar works on: this year's from June, last year's before (the
    March late registration belongs to the intake of the autumn before)."""
    today = today or timezone.localdate()
    return today.year if today.month >= 6 else today.year - 1


def _month_day(text: str, year: int) -> date:
    month, day = (int(part) for part in text.split("-"))
    return date(year, month, day)


def intake_windows(school: Unit, intake_year: int) -> dict[str, tuple[date, date]]:
    settings = bureau_settings_for(school)
    return {
        "collect": (_month_day(settings.enrolment_collect_start, intake_year), _month_day(settings.enrolment_collect_end, intake_year)),
        "submit": (_month_day(settings.enrolment_submit_start, intake_year), _month_day(settings.enrolment_submit_end, intake_year)),
    }


def check_entry_window(school: Unit, intake_year: int, today: date | None = None) -> None:
    today = today or timezone.localdate()
    windows = intake_windows(school, intake_year)
    start, end = windows["collect"][0], windows["submit"][1]
    if not start <= today <= end:
        raise ValidationError(
            f"{intake_year}年新生信息的采集和上报时间是 {start:%m月%d日}至{end:%m月%d日}，现在不在此期间。"
            "错过的学生请在 10 月或 3 月办理补建学籍。", code="outside_window"
        )


def check_submit_window(school: Unit, intake_year: int, today: date | None = None) -> None:
    today = today or timezone.localdate()
    start, end = intake_windows(school, intake_year)["submit"]
    if not start <= today <= end:
        raise ValidationError(
            f"{intake_year}年新生学籍的上报时间是 {start:%m月%d日}至{end:%m月%d日}，现在不能上报。", code="outside_window"
        )


# Uploads -------------------------------------------------------------------------------------

def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def import_start(*, actor: User, school: Unit, intake_year: int, grade: int, file_name: str, content: bytes) -> EnrolmentImport:
    """Take an uploaded file: refuse at once a file already imported or one that cannot be read
    (hostile, wrong layout); check small files now and queue big ones for a worker."""
    from enrollment.intake.xlsx_read import read_enrolment_file

    require_registrar(actor, school, message=REGISTRAR_ONLY)
    check_entry_window(school, intake_year)
    if grade not in school.grades or grade not in (1, 7):
        raise ValidationError("新生只能登记在一年级（小学）或七年级（初中）。")
    digest = file_digest(content)
    done = EnrolmentImport.objects.filter(school=school, file_sha256=digest, status=EnrolmentImport.Status.DONE).first()
    if done is not None:
        raise ValidationError(
            f"这个文件已于 {timezone.localtime(done.finished_at):%Y-%m-%d %H:%M} 导入过（{done.created_count} 人），不会重复导入。",
            code="already_imported",
        )
    rows = read_enrolment_file(content, intake_year=intake_year)  # raises ExcelRefused
    if not rows:
        raise ValidationError("文件中没有学生数据：请从第 2 行起每行填写一名学生。", code="empty")
    upload = EnrolmentImport.objects.create(
        school=school, intake_year=intake_year, grade=grade, file_name=file_name[:200], file_sha256=digest,
        content=seal_import_content(content, file_sha256=digest), total_rows=len(rows), uploaded_by=actor,
    )
    audit_record(action="enrolment.upload", obj=upload, user=actor, unit=school, detail=f"{file_name}，{len(rows)} 行")
    if len(rows) <= BACKGROUND_ROWS:
        import_run(upload.pk)
        upload.refresh_from_db()
    else:
        from enrollment.tasks import run_import

        # The broker away: the upload stays queued and its page offers to run it again.
        enqueue_on_commit(run_import, upload.pk)
    return upload


def import_run(import_id: int) -> bool:
    """Check every row of an upload and, only when all pass, write them all in one
    transaction. Idempotent: an upload already finished, or being run by a live worker, is left
    alone; one whose worker was lost (no heartbeat for JOB_HEARTBEAT_TIMEOUT) is taken over and
    run again from the start (nothing of the lost run was written). Returns whether this call
    ran it to its end."""
    from enrollment.intake.columns import row_to_new_pupil_data
    from enrollment.intake.xlsx_read import read_enrolment_file

    if not job_claim(EnrolmentImport, import_id, progress=1):
        return False
    upload = EnrolmentImport.objects.select_related("school", "uploaded_by").get(pk=import_id)

    def progress(done: int, total: int) -> None:
        # Also the heartbeat: raises JobLost once another worker took this import over.
        job_heartbeat(EnrolmentImport, import_id, progress=max(1, min(95, done * 95 // max(total, 1))))

    try:
        with cycle_collector_paused():
            rows = []
            content = import_content(upload)
            if content is None:  # deleted after the retention period: nothing left to import
                raise ValidationError(deleted_message())
            for sheet_row in read_enrolment_file(content, intake_year=upload.intake_year):
                data, guardians, cell_errors = row_to_new_pupil_data(sheet_row.values)
                rows.append(IntakeRow(row=sheet_row.row, data=data, guardians=guardians, cell_errors=cell_errors,
                                      raw=sheet_row.values))
            job_heartbeat(EnrolmentImport, import_id)
            intake = Intake(school=upload.school, intake_year=upload.intake_year, grade=upload.grade)
            entries = validate_intake(intake, rows, progress=progress)
            job_heartbeat(EnrolmentImport, import_id, progress=96)
            with transaction.atomic():
                # Still ours, and locked until the entries and "done" commit together: a
                # takeover meanwhile rolls all of this back.
                job_finishing(EnrolmentImport, import_id)
                for entry in entries:
                    entry.source, entry.created_by = upload, upload.uploaded_by
                _copy_entries(entries)
                upload.status, upload.created_count, upload.progress = EnrolmentImport.Status.DONE, len(entries), 100
                upload.finished_at, upload.worker = timezone.now(), ""
                upload.save(update_fields=["status", "created_count", "progress", "finished_at", "worker"])
                audit_record(action="enrolment.import", obj=upload, user=upload.uploaded_by, unit=upload.school,
                             detail=f"导入新生 {len(entries)} 人")
    except JobLost:
        logger.warning("enrolment import %s was taken over by another worker: this run stops", import_id)
        return False
    except IntakeInvalid as error:
        _fail(upload, [e.as_dict() for e in error.row_errors])
    except IntegrityError as error:
        # Another upload of the same children (or of the same file) committed first.
        message = ("这个文件刚刚已经导入过，不会重复导入。" if "import_once_per_file" in str(error)
                   else "文件中有学生刚刚已由其他导入登记，请刷新后重新上传。")
        _fail(upload, [RowError(0, "__all__", "", message).as_dict()])
    except ValidationError as error:  # the file itself (read again by the worker)
        _fail(upload, [RowError(0, "__all__", "", message).as_dict() for message in error.messages])
    except DatabaseError:
        # The database went away (restarted): nothing of this run was written, and a failure
        # cannot be written either. The row stays "running" without heartbeat: the sweeper
        # queues it again and a worker runs it from the start.
        logger.exception("enrolment import %s interrupted by the database", import_id)
        raise
    except Exception:  # noqa: BLE001 — a fault of ours (or the time limit): logged, must not stay "running"
        logger.exception("enrolment import %s failed", import_id)
        _fail(upload, [RowError(0, "__all__", "", "导入时发生系统错误，文件未导入。请稍后重新上传；如仍出错请联系县教育局。").as_dict()])
    return True


def _copy_entries(entries: list[EnrolmentEntry]) -> None:
    """Insert the checked entries with COPY: what bulk_create would write (every column, auto_now_add
    included) in about 40 % of its time for a big file: bulk_create's statements carry 5,000 rows
    of JSON as parameters that the driver quotes one by one in Python. The unique index on open
    entries applies to COPY as to INSERT, and its violation is raised as Django's IntegrityError
    (another upload of the same children committed first). The entries get no primary keys: the
    import does not use them afterwards."""
    from django.db import connections

    connection = connections[EnrolmentEntry.objects.db]
    fields = [field for field in EnrolmentEntry._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    # A column of a plain field takes the attribute as it is (Django's preparation of an int, a
    # str, a date or a key is the value itself, which psycopg adapts); the others — encrypted, the
    # blind index, auto_now_add — are prepared by the model's own field. Asking every field,
    # 20 calls a row, cost as much as encrypting the row.
    plain = [_is_plain(field) for field in fields]
    with connection.cursor() as cursor, connection.wrap_database_errors:
        with cursor.cursor.copy(f"COPY {EnrolmentEntry._meta.db_table} ({columns}) FROM STDIN") as copy:
            for entry in entries:
                copy.write_row([getattr(entry, field.attname) if is_plain
                                else field.get_db_prep_save(field.pre_save(entry, True), connection)
                                for field, is_plain in zip(fields, plain)])


# Field classes whose value goes to the database unchanged (exactly these classes: the encrypted
# fields, the blind index and DateTimeField are subclasses that prepare their values).
_PLAIN_FIELDS = (models.CharField, models.PositiveIntegerField, models.PositiveSmallIntegerField, models.DateField,
                 models.ForeignKey, models.OneToOneField)


def _is_plain(field) -> bool:
    automatic = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    return type(field) in _PLAIN_FIELDS and not automatic


def _fail(upload: EnrolmentImport, errors: list[dict]) -> None:
    """Failed, if this process still runs it (a worker taken over writes nothing)."""
    job_owned(EnrolmentImport, upload.pk).update(
        status=EnrolmentImport.Status.FAILED, errors=errors, progress=100, finished_at=timezone.now(), worker=""
    )


# The browser form ----------------------------------------------------------------------------

@transaction.atomic
def entry_save(*, actor: User, school: Unit, intake: Intake, row: IntakeRow, entry: EnrolmentEntry | None = None) -> EnrolmentEntry:
    """Add one new pupil from the form, or correct one (draft or returned): the same rules as a
    file, the same errors (IntakeInvalid)."""
    require_registrar(actor, school, message=REGISTRAR_ONLY)
    check_entry_window(school, intake.intake_year)
    if entry is not None:
        entry = EnrolmentEntry.objects.select_for_update().get(pk=entry.pk, school=school)
        if not entry.editable:
            raise ValidationError("该学生已上报，审批期间不能修改。", code="not_editable")
    [checked] = validate_intake(intake, [row], exclude_entry_ids={entry.pk} if entry else set())
    if entry is None:
        checked.created_by = actor
        checked.row = None
        try:
            with transaction.atomic():
                checked.save()
        except IntegrityError:
            raise IntakeInvalid([RowError(row.row, "id_number", checked.id_number, "该学生刚刚已被登记，不能重复登记。")]) from None
        audit_record(action="enrolment.entry_add", obj=checked, user=actor, unit=school, detail=checked.name)
        return checked
    # The admission by its key: the checks load only a pulled child's admission whole.
    for field in ("data", "guardians", "name", "gender", "birth_date", "id_type", "id_number", "admission_id",
                  "continues"):
        setattr(entry, field, getattr(checked, field))
    entry.return_reason = ""
    entry.save()
    audit_record(action="enrolment.entry_edit", obj=entry, user=actor, unit=school, detail=entry.name)
    return entry


@transaction.atomic
def entry_delete(*, actor: User, entry: EnrolmentEntry) -> None:
    require_registrar(actor, entry.school, message=REGISTRAR_ONLY)
    entry = EnrolmentEntry.objects.select_for_update().get(pk=entry.pk)
    if not entry.editable:
        raise ValidationError("该学生已上报或已建籍，不能删除。")
    audit_record(action="enrolment.entry_delete", obj=entry, user=actor, unit=entry.school, detail=entry.name)
    entry.delete()


# Classes -------------------------------------------------------------------------------------

def school_year_for(intake_year: int) -> SchoolYear:
    year, _ = SchoolYear.objects.get_or_create(
        start_year=intake_year, defaults={"start_date": date(intake_year, 9, 1), "end_date": date(intake_year + 1, 7, 31)}
    )
    return year


@transaction.atomic
def classes_create(*, actor: User, school: Unit, intake_year: int, grade: int, count: int) -> list[SchoolClass]:
    """Create ``count`` classes of the intake's grade, numbered after the ones that exist."""
    require_registrar(actor, school, message=REGISTRAR_ONLY)
    if grade not in school.grades:
        raise ValidationError("该学校没有这个年级。")
    if not 1 <= count <= 30:
        raise ValidationError("一次可以建 1 到 30 个班。")
    year = school_year_for(intake_year)
    existing = SchoolClass.objects.select_for_update().filter(school=school, school_year=year, grade=grade)
    start = max((c.number for c in existing), default=0) + 1
    created = SchoolClass.objects.bulk_create(
        SchoolClass(school_id=school.pk, school_year=year, grade=grade, number=number) for number in range(start, start + count)
    )
    audit_record(action="enrolment.classes", obj=school, user=actor, unit=school, detail=f"新建班级 {count} 个")
    return created


def intake_classes(school: Unit, intake_year: int, grade: int):
    return SchoolClass.objects.filter(school=school, school_year__start_year=intake_year, grade=grade).order_by("number")


def class_loads(classes) -> dict[int, int]:
    """Seats taken in each class: its enrolled pupils, the new pupils assigned to it and its
    visiting pupils (借读)."""
    ids = [c.pk for c in classes]
    from xueji.pupils.models import Pupil

    pupils = dict(Pupil.objects.filter(school_class_id__in=ids, status=PupilStatus.ENROLLED, deleted_at__isnull=True)
                  .values_list("school_class_id").annotate(n=Count("id")))
    entries = dict(EnrolmentEntry.objects.filter(school_class_id__in=ids).exclude(status=EntryStatus.ESTABLISHED)
                   .values_list("school_class_id").annotate(n=Count("id")))
    from enrollment.intake.models import VisitingPupil

    visitors = dict(VisitingPupil.objects.filter(school_class_id__in=ids, ended_on__isnull=True)
                    .values_list("school_class_id").annotate(n=Count("id")))
    return {pk: pupils.get(pk, 0) + entries.get(pk, 0) + visitors.get(pk, 0) for pk in ids}


@transaction.atomic
def entries_assign(*, actor: User, school: Unit, entry_ids: list[int], school_class: SchoolClass) -> int:
    """Put new pupils into a class, within its cap."""
    require_registrar(actor, school, message=REGISTRAR_ONLY)
    school_class = SchoolClass.objects.select_for_update().get(pk=school_class.pk)
    if school_class.school_id != school.pk:
        raise ValidationError("班级不属于本校。")
    entries = list(EnrolmentEntry.objects.select_for_update().filter(school=school, pk__in=entry_ids))
    if any(not e.editable for e in entries):
        raise ValidationError("已上报的学生不能调整班级。")
    if any(e.grade != school_class.grade for e in entries):
        raise ValidationError("班级的年级与新生的年级不一致。")
    moving = [e for e in entries if e.school_class_id != school_class.pk]
    cap = class_cap(school_class)
    seated = class_loads([school_class])[school_class.pk]
    if seated + len(moving) > cap:
        raise ValidationError(f"{school_class.name}班额上限 {cap} 人，已有 {seated} 人，放不下 {len(moving)} 人。")
    EnrolmentEntry.objects.filter(pk__in=[e.pk for e in moving]).update(school_class=school_class)
    audit_record(action="enrolment.assign", obj=school_class, user=actor, unit=school,
                 detail=f"{len(moving)} 名新生分入{school_class.name}")
    return len(moving)


@transaction.atomic
def entries_balance(*, actor: User, school: Unit, intake_year: int, grade: int) -> dict[int, int]:
    """Deal every not-yet-submitted new pupil of the intake into the grade's classes in one
    click, balanced: boys and girls alternate, and within each, birth dates spread, so every
    class gets a like mix. Classes keep the pupils already established in them; caps hold."""
    require_registrar(actor, school, message=REGISTRAR_ONLY)
    classes = list(intake_classes(school, intake_year, grade).select_for_update())
    if not classes:
        raise ValidationError("请先建立班级。")
    entries = list(EnrolmentEntry.objects.select_for_update().filter(
        school=school, intake_year=intake_year, grade=grade, status__in=[EntryStatus.DRAFT, EntryStatus.RETURNED]
    ).order_by("gender", "birth_date", "pk"))
    EnrolmentEntry.objects.filter(pk__in=[e.pk for e in entries]).update(school_class=None)
    room = {c.pk: class_cap(c) - load for c, load in zip(classes, class_loads(classes).values())}
    if sum(max(r, 0) for r in room.values()) < len(entries):
        raise ValidationError(f"现有班级放不下 {len(entries)} 名新生（班额上限），请再建班级。")
    placed: dict[int, list[int]] = {c.pk: [] for c in classes}
    order = [c.pk for c in classes]
    turn = 0
    for entry in entries:
        # Snake order (1, 2, 3, 3, 2, 1, …) so that no class always gets the oldest of a group.
        while True:
            lap, offset = divmod(turn, len(order))
            target = order[offset] if lap % 2 == 0 else order[-1 - offset]
            turn += 1
            if room[target] > len(placed[target]):
                break
        placed[target].append(entry.pk)
    for class_id, ids in placed.items():
        EnrolmentEntry.objects.filter(pk__in=ids).update(school_class_id=class_id)
    audit_record(action="enrolment.balance", obj=school, user=actor, unit=school, detail=f"{len(entries)} 名新生均衡分班")
    return {class_id: len(ids) for class_id, ids in placed.items()}


# Submitting ----------------------------------------------------------------------------------

def open_entries(school: Unit, intake_year: int, grade: int):
    return EnrolmentEntry.objects.filter(
        school=school, intake_year=intake_year, grade=grade, status__in=[EntryStatus.DRAFT, EntryStatus.RETURNED]
    )


def _check_batch(entries: list[EnrolmentEntry]) -> None:
    """What a batch needs before it goes up: some new pupils, each in a class."""
    if not entries:
        raise ValidationError("没有待上报的新生。")
    unplaced = [e.name for e in entries if e.school_class_id is None]
    if unplaced:
        raise ValidationError(f"还有 {len(unplaced)} 名新生没有分班（{'、'.join(unplaced[:5])}{'等' if len(unplaced) > 5 else ''}），请先分班。")


def batch_preview(*, actor: User, school: Unit, intake_year: int, grade: int) -> dict:
    """What submitting would send, for the confirmation page (writes nothing): the count, the
    count per class, and whether it resubmits a returned batch. Refuses as batch_submit would."""
    require_registrar(actor, school, message=REGISTRAR_ONLY)
    check_submit_window(school, intake_year)
    entries = list(open_entries(school, intake_year, grade).defer("data", "guardians").select_related("school_class"))
    _check_batch(entries)
    per_class: dict[str, int] = {}
    for entry in sorted(entries, key=lambda e: (e.school_class.number, e.school_class_id)):
        per_class[entry.school_class.name] = per_class.get(entry.school_class.name, 0) + 1
    return {
        "count": len(entries), "per_class": list(per_class.items()),
        "returned": sum(1 for e in entries if e.status == EntryStatus.RETURNED),
    }


@transaction.atomic
def batch_submit(*, actor: User, school: Unit, intake_year: int, grade: int, expected: int | None = None):
    """The registrar submits the intake's new pupils (all not yet submitted, each in a class)
    as one request: headmaster → (central school) → county bureau. ``expected``: the count the
    registrar confirmed (the confirmation page); if the list changed since, nothing is sent."""
    require_registrar(actor, school, message=REGISTRAR_ONLY)
    check_submit_window(school, intake_year)
    entries = list(open_entries(school, intake_year, grade).select_for_update())
    _check_batch(entries)
    if expected is not None and expected != len(entries):
        raise ValidationError(f"待上报的新生已从 {expected} 人变为 {len(entries)} 人，请重新核对后再上报。", code="changed")
    # Entries returned with their batch are submitted again: the new batch resubmits that one.
    previous = (EnrolmentEntry.objects.filter(pk__in=[e.pk for e in entries], batch__isnull=False)
                .values_list("batch", flat=True).first())
    old = resubmittable(kind=ENROLMENT_KIND, unit=school, request_id=previous)
    request = request_start(
        kind=ENROLMENT_KIND, actor=actor, unit=school, pupil=None, resubmission_of=old,
        payload={
            "school": school.pk, "intake_year": intake_year, "grade": grade, "entries": [e.pk for e in entries],
            "subject": f"{intake_year}年{'一' if grade == 1 else '七'}年级新生 {len(entries)} 人",
        },
    )
    EnrolmentEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
        status=EntryStatus.SUBMITTED, batch=request, return_reason=""
    )
    return request


def entries_of_batch(request):
    return EnrolmentEntry.objects.filter(pk__in=request.payload.get("entries", []))


# After approval --------------------------------------------------------------------------------

@transaction.atomic
def identity_confirm(*, actor: User, pupil_ids: list[int]) -> int:
    """The bureau confirms the identity of new pupils (bulk): one with a verified ID number
    gets the G number (G + the number), one without gets a J number; the L number stays in
    the number history. Only pupils the actor's bureau oversees, still on an L number."""
    from xueji.accounts.models import BUREAU_ROLES
    from xueji.codes import GB11643_ID_TYPES, NumberKind
    from xueji.pupils.numbers import pupil_assign_number
    from xueji.pupils.scoping import pupils_visible_to

    if not holds_anywhere(actor, BUREAU_ROLES):
        raise NotAllowed("只有教育局可以确认学生身份。", code="not_bureau")
    pupils = list(pupils_visible_to(actor).select_for_update(of=("self",)).filter(
        pk__in=pupil_ids, student_number__startswith="L", deleted_at__isnull=True
    ))
    for pupil in pupils:
        kind = NumberKind.FROM_ID if pupil.id_type in GB11643_ID_TYPES and pupil.id_number else NumberKind.WITHOUT_ID
        pupil_assign_number(pupil=pupil, kind=kind, reason="教育局确认身份")
    audit_record_many(action="enrolment.identity_confirm", objs=pupils, user=actor, detail="确认身份，赋正式学籍号")
    return len(pupils)


def entries_summary(school: Unit, intake_year: int, grade: int) -> dict[str, int]:
    return EnrolmentEntry.objects.filter(school=school, intake_year=intake_year, grade=grade).aggregate(
        total=Count("id"),
        draft=Count("id", filter=Q(status=EntryStatus.DRAFT)),
        returned=Count("id", filter=Q(status=EntryStatus.RETURNED)),
        submitted=Count("id", filter=Q(status=EntryStatus.SUBMITTED)),
        established=Count("id", filter=Q(status=EntryStatus.ESTABLISHED)),
        unplaced=Count("id", filter=Q(school_class__isnull=True) & ~Q(status=EntryStatus.ESTABLISHED)),
    )
