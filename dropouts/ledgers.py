"""The three ledgers of the 2024 notice on dropout reporting (控辍保学台账): 适龄未入学 (admitted,
never registered: enrollment's admission lists against the records), 疑似辍学 (the absence log's
runs of ten unexplained school days, fed by the head teachers and the roll-call) and 辍学 (the
dropout cases). Each row has its school, township, reason, every return attempt with its result,
and is closed (销号) when the child is back or the law's end is reached (16 years of age: the
compulsory years end with it, PRODUCT.md "Dropout and return").

The first two ledgers are found by ``ledger_sync`` (the daily beat, the 刷新台账 button, the
making of a monthly report): it opens a row for a child newly found and closes, with the reason,
the rows whose child is found no longer. A row once found stays in the ledger, closed or not, so
that the monthly reports and the quarterly review count what happened."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from dropouts import selectors, services
from dropouts.models import Absence, CaseStep, DropoutCase, LedgerAttempt, LedgerEntry, LedgerKind
from enrollment.admission.unregistered import admitted_never_registered
from xueji.accounts.audit import audit_record
from xueji.accounts.models import Unit, UnitKind, User
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import NotInScope, object_id
from xueji.codes import Gender, PupilStatus
from xueji.pupils.models import Pupil
from xueji.pupils.visibility import visibility_for

# The quarterly review flags the rows open longer than this (calendar days).
OPEN_TOO_LONG_DAYS = 30
GENDER_LABELS = dict(Gender.choices)
# What a school may close by hand, per ledger; the others are closed by the sync itself.
MANUAL_CLOSE = {
    LedgerKind.NOT_ENROLLED: (LedgerEntry.CloseReason.ELSEWHERE, LedgerEntry.CloseReason.AGED_OUT),
    LedgerKind.SUSPECTED: (LedgerEntry.CloseReason.RETURNED, LedgerEntry.CloseReason.AGED_OUT),
}


def sixteenth_birthday(born: date) -> date:
    try:
        return born.replace(year=born.year + services.AGE_OF_CLOSURE)
    except ValueError:  # 29 February
        return date(born.year + services.AGE_OF_CLOSURE, 3, 1)


# The sync ---------------------------------------------------------------------------------------

def ledger_sync(*, schools: Iterable[Unit], today: date) -> dict[str, int]:
    """Bring the 适龄未入学 and 疑似辍学 ledgers of these schools up to ``today``. Idempotent: a
    second run finds nothing new. Returns how many rows it opened and closed."""
    schools = [s for s in schools if s.kind == UnitKind.SCHOOL]
    counts = {"opened": 0, "closed": 0}
    with transaction.atomic():
        _sync_not_enrolled(schools, today, counts)
        for school in schools:
            _sync_suspected(school, today, counts)
    return counts


def ledger_sync_all(today: date) -> dict[str, int]:
    """The daily beat: every school with something to find or to close."""
    since = today - timedelta(days=31)
    ids = set(Absence.objects.filter(day__gte=since, explained=False).values_list("pupil__school_id", flat=True))
    ids |= set(LedgerEntry.objects.filter(closed_on__isnull=True).values_list("school_id", flat=True))
    schools = list(Unit.objects.filter(kind=UnitKind.SCHOOL))
    counts = {"opened": 0, "closed": 0}
    with transaction.atomic():
        _sync_not_enrolled(schools, today, counts)
        for school in schools:
            if school.pk in ids:
                _sync_suspected(school, today, counts)
    return counts


def _sync_not_enrolled(schools: list[Unit], today: date, counts: dict) -> None:
    children = admitted_never_registered([s.pk for s in schools], today)
    by_admission = {child.admission_id: child for child in children}
    known = set(LedgerEntry.objects.filter(admission_id__in=list(by_admission)).values_list("admission_id", flat=True))
    for child in children:
        if child.admission_id in known or sixteenth_birthday(child.birth_date) <= today:
            continue
        try:
            with transaction.atomic():
                LedgerEntry.objects.create(
                    kind=LedgerKind.NOT_ENROLLED, school_id=child.school_id, admission_id=child.admission_id,
                    name=child.name, gender=child.gender, birth_date=child.birth_date, opened_on=today,
                    reason=f"{child.intake_year}年秋季录取，开学后未报到、未建立学籍",
                )
        except IntegrityError:  # another sync opened it a moment ago
            continue
        counts["opened"] += 1
    for entry in LedgerEntry.objects.select_for_update().filter(
        kind=LedgerKind.NOT_ENROLLED, school__in=schools, closed_on__isnull=True
    ):
        if sixteenth_birthday(entry.birth_date) <= today:
            _close(entry, LedgerEntry.CloseReason.AGED_OUT, today, None, "")
        elif entry.admission_id not in by_admission:
            _close(entry, LedgerEntry.CloseReason.ENROLLED, today, None, "已报到或已建立学籍")
        else:
            continue
        counts["closed"] += 1


def _sync_suspected(school: Unit, today: date, counts: dict) -> None:
    suspects = {s.pupil.pk: s for s in services.suspected_dropouts(school=school, today=today)}
    open_rows = {e.pupil_id: e for e in LedgerEntry.objects.select_for_update(of=("self",)).select_related("pupil").filter(
        kind=LedgerKind.SUSPECTED, school=school, closed_on__isnull=True)}
    for pupil_id, entry in open_rows.items():
        pupil = entry.pupil
        if DropoutCase.objects.filter(pupil_id=pupil_id, status=DropoutCase.Status.OPEN).exists():
            reason = LedgerEntry.CloseReason.CONFIRMED
        elif pupil.status != PupilStatus.ENROLLED or pupil.school_id != school.pk or pupil.deleted_at:
            reason = LedgerEntry.CloseReason.CHANGED
        elif sixteenth_birthday(pupil.birth_date) <= today:
            reason = LedgerEntry.CloseReason.AGED_OUT
        elif pupil_id not in suspects:
            reason = LedgerEntry.CloseReason.RETURNED
        else:
            continue
        _close(entry, reason, today, None, "")
        counts["closed"] += 1
    # A row closed on or after the run's last absence (the registrar saw the pupil back) is not
    # opened again for the same run; a new absence after it starts a new row.
    last_closed = dict(
        LedgerEntry.objects.filter(kind=LedgerKind.SUSPECTED, school=school, pupil_id__in=list(suspects),
                                   closed_on__isnull=False)
        .values("pupil_id").annotate(last=Max("closed_on")).values_list("pupil_id", "last")
    )
    for pupil_id, suspect in suspects.items():
        if pupil_id in open_rows and open_rows[pupil_id].closed_on is None:
            continue
        if pupil_id in last_closed and last_closed[pupil_id] >= suspect.last_day:
            continue
        if sixteenth_birthday(suspect.pupil.birth_date) <= today:
            continue
        pupil = suspect.pupil
        try:
            with transaction.atomic():
                LedgerEntry.objects.create(
                    kind=LedgerKind.SUSPECTED, school=school, pupil=pupil, name=pupil.name, gender=pupil.gender,
                    birth_date=pupil.birth_date, opened_on=today,
                    reason=f"自{suspect.first_day:%Y-%m-%d}起连续{suspect.days}个教学日无故缺课",
                )
        except IntegrityError:
            continue
        counts["opened"] += 1


def close_suspected_on_confirm(pupil: Pupil, day: date, actor: User) -> None:
    """确认辍学 moves the child from the 疑似辍学 ledger to the 辍学 ledger."""
    for entry in LedgerEntry.objects.select_for_update().filter(
        kind=LedgerKind.SUSPECTED, pupil=pupil, closed_on__isnull=True
    ):
        _close(entry, LedgerEntry.CloseReason.CONFIRMED, day, actor, "")


def _close(entry: LedgerEntry, reason: str, day: date, actor: User | None, note: str) -> None:
    entry.closed_on, entry.close_reason, entry.closed_by, entry.close_note = day, reason, actor, note
    entry.save(update_fields=["closed_on", "close_reason", "closed_by", "close_note"])
    audit_record(action="dropout.ledger_close", obj=entry.pupil or entry, user=actor,
                 detail=f"{entry.get_kind_display()}台账销号：{entry.get_close_reason_display()}")


# The school's writes ----------------------------------------------------------------------------

def _locked_open(entry: LedgerEntry) -> LedgerEntry:
    entry = LedgerEntry.objects.select_for_update(of=("self",)).select_related("pupil", "school").get(pk=entry.pk)
    if not entry.is_open:
        raise ValidationError("该台账记录已销号。")
    return entry


@transaction.atomic
def attempt_add(*, actor: User, entry: LedgerEntry, day: date, method: str, result: str) -> LedgerAttempt:
    """Log a return attempt (劝返) on a 适龄未入学 or 疑似辍学 row: the school's registrar or
    headmaster, on an open row, a day between the row's opening and today, with its result."""
    if not selectors.may_log_ledger(actor, entry.school_id):
        raise NotAllowed("只有本校学籍管理员或校长可以记录劝返情况。")
    entry = _locked_open(entry)
    errors = {}
    if method not in LedgerAttempt.Method.values:
        errors["method"] = "请选择劝返方式。"
    if day > timezone.localdate():
        errors["day"] = "日期不能晚于今天。"
    elif day < entry.opened_on:
        errors["day"] = "日期不能早于登记日期。"
    if not result.strip():
        errors["result"] = "请填写劝返结果。"
    if errors:
        raise ValidationError(errors)
    attempt = LedgerAttempt.objects.create(entry=entry, day=day, method=method, result=result.strip(), by=actor)
    audit_record(action="dropout.ledger_attempt", obj=entry.pupil or entry, user=actor,
                 detail=f"{entry.get_kind_display()}台账：{attempt.get_method_display()}")
    return attempt


@transaction.atomic
def entry_close(*, actor: User, entry: LedgerEntry, reason: str, note: str = "", day: date | None = None) -> LedgerEntry:
    """销号 by the school's registrar: 在外地就学 (适龄未入学, with where), back in class (疑似辍学),
    or 16 reached. Entering the school's records (报到, 建籍) and 确认辍学 close by themselves."""
    if not selectors.may_close_ledger(actor, entry.school_id):
        raise NotAllowed("只有本校学籍管理员可以销号。")
    entry = _locked_open(entry)
    day = day or timezone.localdate()
    if reason not in MANUAL_CLOSE[entry.kind]:
        labels = "、".join(LedgerEntry.CloseReason(r).label for r in MANUAL_CLOSE[entry.kind])
        raise ValidationError({"reason": f"该台账只能以“{labels}”销号。"})
    if not note.strip():
        raise ValidationError({"note": "请写明销号依据（如就读学校、返校日期）。"})
    if reason == LedgerEntry.CloseReason.AGED_OUT and sixteenth_birthday(entry.birth_date) > day:
        raise ValidationError({"reason": f"该儿童{sixteenth_birthday(entry.birth_date):%Y年%m月%d日}年满16周岁，未到销号时间。"})
    _close(entry, reason, day, actor, note.strip()[:200])
    return entry


# Reads ------------------------------------------------------------------------------------------

@dataclass
class Attempt:
    day: date
    what: str
    result: str


@dataclass
class LedgerRow:
    """A row of any of the three ledgers, as pages, the API, prints and exports show it."""

    kind: str
    id: int
    school: Unit
    name: str
    gender: str
    birth_date: date
    student_number: str
    class_name: str
    reason: str
    opened_on: date
    closed_on: date | None
    result: str
    days_open: int
    url: str
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return LedgerKind(self.kind).label

    @property
    def township(self) -> str:
        return self.school.township or "（未填乡镇）"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    @property
    def open_too_long(self) -> bool:
        return self.is_open and self.days_open > OPEN_TOO_LONG_DAYS

    @property
    def attempts_text(self) -> str:
        return "；".join(f"{a.day:%Y-%m-%d} {a.what}：{a.result}" for a in self.attempts)


def _days_open(opened: date, closed: date | None, today: date) -> int:
    return max(((closed or today) - opened).days, 0)


def ledger_rows(user: User, kind: str, today: date, *, schools: Iterable[Unit] | None = None,
                open_only: bool = False, opened_by: date | None = None, closed_since: date | None = None,
                student_numbers: bool = True) -> list[LedgerRow]:
    """The rows of one ledger that the user sees (a school's registrar and headmaster its own, a
    central school or a bureau its schools'), township and school first. ``opened_by`` and
    ``closed_since`` keep the rows open at some time in a period; ``schools`` narrows the scope."""
    if kind not in LedgerKind.values:
        raise ValidationError({"kind": "请选择台账：not_enrolled（适龄未入学）、suspected（疑似辍学）或 dropout（辍学）。"})
    if kind == LedgerKind.DROPOUT:
        items = selectors.cases_visible_to(user).select_related("pupil__school_class", "school")
        closed_field = "closed_on"
    else:
        items = selectors.ledger_entries_visible_to(user).filter(kind=kind).select_related(
            "pupil__school_class", "school")
        closed_field = "closed_on"
    if schools is not None:
        items = items.filter(school__in=list(schools))
    if open_only:
        items = items.filter(**{f"{closed_field}__isnull": True})
    if opened_by is not None:
        items = items.filter(opened_on__lte=opened_by)
    if closed_since is not None:
        items = items.filter(Q(**{f"{closed_field}__isnull": True}) | Q(**{f"{closed_field}__gte": closed_since}))
    items = list(items.order_by("school__township", "school__path", "opened_on", "id"))
    return _dropout_rows(user, items, today, student_numbers) if kind == LedgerKind.DROPOUT \
        else _entry_rows(user, items, today, student_numbers)


def _student_number(user: User, pupil: Pupil | None, wanted: bool) -> str:
    if pupil is None or not wanted:
        return ""
    return visibility_for(user, pupil).student_number(pupil.student_number)


def _entry_rows(user: User, entries: list[LedgerEntry], today: date, numbers: bool) -> list[LedgerRow]:
    attempts: dict[int, list[Attempt]] = {}
    for a in LedgerAttempt.objects.filter(entry__in=entries).order_by("entry_id", "day", "id"):
        attempts.setdefault(a.entry_id, []).append(Attempt(a.day, a.get_method_display(), a.result))
    rows = []
    for e in entries:
        pupil = e.pupil
        rows.append(LedgerRow(
            kind=e.kind, id=e.pk, school=e.school, name=e.name, gender=GENDER_LABELS.get(e.gender, ""),
            birth_date=e.birth_date, student_number=_student_number(user, pupil, numbers),
            class_name=pupil.school_class.name if pupil and pupil.school_class_id else "",
            reason=e.reason, opened_on=e.opened_on, closed_on=e.closed_on,
            result=(e.get_close_reason_display() + (f"（{e.close_note}）" if e.close_note else "")) if e.closed_on
            else "待劝返", days_open=_days_open(e.opened_on, e.closed_on, today),
            url=reverse("dropouts:ledger_entry", args=[e.pk]), attempts=attempts.get(e.pk, []),
        ))
    return rows


def _dropout_rows(user: User, cases: list[DropoutCase], today: date, numbers: bool) -> list[LedgerRow]:
    attempts: dict[int, list[Attempt]] = {}
    for s in CaseStep.objects.filter(case__in=cases).exclude(kind__in=[
        CaseStep.Kind.BUREAU_REPORT, CaseStep.Kind.RETURNED, CaseStep.Kind.AGED_OUT,
    ]).order_by("case_id", "day", "id"):
        result = s.outcome or s.text or (f"限期{s.deadline:%Y-%m-%d}前复学" if s.deadline else "") or \
            (f"移交{s.referred_to}" if s.referred_to else "")
        attempts.setdefault(s.case_id, []).append(Attempt(s.day, s.get_kind_display(), result))
    rows = []
    for c in cases:
        pupil = c.pupil
        reason = c.get_ground_display() + (f"（{c.ground_note}）" if c.ground_note else "")
        rows.append(LedgerRow(
            kind=LedgerKind.DROPOUT, id=c.pk, school=c.school, name=pupil.name,
            gender=GENDER_LABELS.get(pupil.gender, ""), birth_date=pupil.birth_date,
            student_number=_student_number(user, pupil, numbers),
            class_name=pupil.school_class.name if pupil.school_class_id else "", reason=reason,
            opened_on=c.opened_on, closed_on=c.closed_on, result=c.get_status_display(),
            days_open=_days_open(c.opened_on, c.closed_on, today),
            url=reverse("dropouts:dropout_case", args=[c.pk]), attempts=attempts.get(c.pk, []),
        ))
    return rows


def get_entry_for_user(user: User, entry_id) -> LedgerEntry:
    try:
        return selectors.ledger_entries_visible_to(user).select_related("school", "pupil").get(pk=object_id(entry_id))
    except LedgerEntry.DoesNotExist:
        raise NotInScope("没有找到这条台账记录，或您无权查看。", what="ledgerentry", object_id=entry_id) from None


def audit_ledger_read(user: User, kind: str, count: int, where: str) -> None:
    """A read of a ledger (names of children) is recorded like the other lists of personal data."""
    audit_record(action="dropout.ledger_view", user=user,
                 detail=f"查看{LedgerKind(kind).label}台账（{where}，{count} 条）")
