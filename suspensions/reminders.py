"""Suspensions about to end, and those that ended without a resumption (在籍异常).

Thirty days before a suspension's period ends, and again on the end day, the pupil's school (its
registrar) is reminded to have the guardian resume or renew (000 四.2(2): 休学期满当天办理复学；
不能按期复学的，续办休学). Each reminder is a SuspensionReminder on the pupil's record and a Notice
to the school. The bureau sees the suspensions whose period ended with neither an approved
resumption nor a renewal: the pupil is still 休学 after the end date.

The current suspension of a pupil is the latest approved suspension request (a renewal is a new
request carrying the new period), as services.last_suspension finds it for one pupil."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import DateField, Exists, OuterRef, Q, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from suspensions.models import SuspensionReminder
from xueji.accounts.models import BUREAU_ROLES, User
from xueji.accounts.permissions import holds_anywhere
from xueji.accounts.scoping import memberships_of
from xueji.approvals.models import ChangeRequest, Notice, RequestStatus
from xueji.codes import PupilStatus

REMIND_DAYS_BEFORE = 30
# A reminder a lost sweep did not send goes out late, within these days; not for older ones.
CATCH_UP_DAYS = 7
BATCH = 1000


def current_suspensions() -> QuerySet[ChangeRequest]:
    """Each suspended pupil's current suspension (the latest approved one), with ``ends``: the
    last day of its period. Pupils resumed, moved or deleted since are left out."""
    later = ChangeRequest.objects.filter(kind="suspension", status=RequestStatus.APPROVED, pupil_id=OuterRef("pupil_id")).filter(
        Q(finished_at__gt=OuterRef("finished_at")) | Q(finished_at=OuterRef("finished_at"), id__gt=OuterRef("id"))
    )
    return (
        ChangeRequest.objects.filter(kind="suspension", status=RequestStatus.APPROVED,
                                     pupil__status=PupilStatus.SUSPENDED, pupil__deleted_at__isnull=True)
        .exclude(Exists(later))
        .annotate(ends=Cast(KT("payload__period_end"), DateField()))
    )


# The sweep ------------------------------------------------------------------------------------

@dataclass
class ReminderReport:
    thirty_days: int = 0
    end_day: int = 0


def _message(kind: str, name: str, ends: date, today: date) -> str:
    if kind == SuspensionReminder.Kind.THIRTY_DAYS:
        return (f"{name}的休学期将于 {ends:%Y-%m-%d} 期满（还有 {(ends - today).days} 天）：请通知监护人在期满当天"
                f"办理复学；不能按期复学的，请在期满前办理续办休学。")
    when = "今天" if ends == today else f"已于 {ends:%Y-%m-%d} "
    return (f"{name}的休学期{when}期满（{ends:%Y-%m-%d}）：请通知监护人办理复学；不能按期复学的，请续办休学。"
            f"逾期未办理的，将列入教育局的在籍异常名单。")


def suspension_reminders_sweep(today: date | None = None) -> ReminderReport:
    """Remind the schools of the suspensions ending in 30 days and of those ending today.

    Idempotent: a reminder is unique per (suspension, kind) and its notice per key, so a second
    run writes nothing; a reminder a lost run did not send goes out with the next one (an end-day
    reminder up to CATCH_UP_DAYS late). Set-based: one query per kind finds the suspensions still
    to remind, and the reminders and notices are inserted in batches."""
    today = today or timezone.localdate()
    report = ReminderReport()
    windows = {
        SuspensionReminder.Kind.THIRTY_DAYS: Q(ends__gt=today, ends__lte=today + timedelta(days=REMIND_DAYS_BEFORE)),
        SuspensionReminder.Kind.END_DAY: Q(ends__lte=today, ends__gte=today - timedelta(days=CATCH_UP_DAYS)),
    }
    # A school that has already filed the resumption or the renewal is not reminded (if it is
    # refused, the next runs remind, within the catch-up days).
    filed = ChangeRequest.objects.filter(pupil_id=OuterRef("pupil_id"), status=RequestStatus.PENDING,
                                         kind__in=["suspension", "resumption"])
    for kind, window in windows.items():
        sent = SuspensionReminder.objects.filter(request_id=OuterRef("pk"), kind=kind)
        due = (current_suspensions().filter(window).exclude(Exists(sent)).exclude(Exists(filed))
               .values_list("pk", "pupil_id", "pupil__name", "pupil__school_id", "ends").order_by("pk"))
        rows = list(due)
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            reminders, notices = [], []
            for request_id, pupil_id, name, school_id, ends in batch:
                message = _message(kind, name, ends, today)[:300]
                reminders.append(SuspensionReminder(pupil_id=pupil_id, request_id=request_id, kind=kind, day=today,
                                                    period_end=ends, message=message))
                notices.append(Notice(key=f"suspension_reminder:{request_id}:{kind}", kind=Notice.Kind.REMINDER,
                                      unit_id=school_id, role="registrar", request_id=request_id, message=message))
            with transaction.atomic():
                SuspensionReminder.objects.bulk_create(reminders, ignore_conflicts=True)
                Notice.objects.bulk_create(notices, ignore_conflicts=True)
        if kind == SuspensionReminder.Kind.THIRTY_DAYS:
            report.thirty_days = len(rows)
        else:
            report.end_day = len(rows)
    return report


# 在籍异常: the bureau's list -------------------------------------------------------------------

def is_bureau(user: User) -> bool:
    return holds_anywhere(user, BUREAU_ROLES)


@dataclass
class LimboRow:
    request: ChangeRequest
    ends: date
    days_since: int
    reminders: list[SuspensionReminder]
    pending: ChangeRequest | None  # a resumption or renewal asked late and not yet decided

    @property
    def pupil(self):
        return self.request.pupil


def limbo_rows(user: User, today: date | None = None) -> list[LimboRow]:
    """The suspensions of the bureau's area whose period ended before today with the pupil still
    休学 (neither resumed nor renewed), longest overdue first, with the reminders sent."""
    today = today or timezone.localdate()
    scopes = [Q(pupil__school__path__startswith=m.unit.path) for m in memberships_of(user) if m.role in BUREAU_ROLES]
    if not scopes:
        return []
    scope = scopes[0]
    for other in scopes[1:]:
        scope |= other
    requests = list(
        current_suspensions().filter(scope, ends__lt=today)
        .select_related("pupil__school", "pupil__school_class").order_by("ends", "pupil__school__name", "id")
    )
    reminders: dict[int, list[SuspensionReminder]] = {}
    for reminder in SuspensionReminder.objects.filter(request__in=[r.pk for r in requests]).order_by("day", "id"):
        reminders.setdefault(reminder.request_id, []).append(reminder)
    pending = {
        r.pupil_id: r for r in ChangeRequest.objects.filter(
            pupil_id__in=[r.pupil_id for r in requests], status=RequestStatus.PENDING, kind__in=["suspension", "resumption"]
        )
    }
    return [LimboRow(r, r.ends, (today - r.ends).days, reminders.get(r.pk, []), pending.get(r.pupil_id)) for r in requests]
