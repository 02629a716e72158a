"""预警 (early warning, 2025 学籍管理办法 第二十四条): unusual volume of one user's reads of pupils'
records and exports, computed nightly from the audit log, shown to the audit and security admins
of the bureaus above the user's unit (their home page, xueji/web/home.py).

Three kinds, each with its threshold in the settings:
- reads: more than EARLY_WARNING_READS_PER_DAY reads of records in a local day;
- night: any read of a record between EARLY_WARNING_NIGHT_START and EARLY_WARNING_NIGHT_END
  (local hours; the night wraps past midnight), counted on the day the read happened;
- exports: more than EARLY_WARNING_EXPORTS_PER_WEEK exports in a week (Monday to Sunday), kept
  on the week's Monday and recounted each night of the week.

Recomputing a day gives the same rows (one per user, kind and day), so the task may run again.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.db.models.functions import ExtractHour
from django.utils import timezone

from xueji.accounts.models import AUDIT_ACTIONS, AuditEntry, EarlyWarning, Membership, Role

# Reads of a pupil's record (or of what belongs to one: a photo, a proof, a printed form): one
# entry each, whatever the page.
READ_ACTIONS = frozenset({
    "pupil.view", "pupil.search", "pupil.lookup", "photo.view", "dropout.photo_view", "attachment.view",
    "document.print",
})
# Data leaving the system: the downloads of approved export requests ("export.download…"; not the
# requests and decisions) and the spreadsheets and files that carry pupils' data.
EXPORT_PREFIX = "export.download"
EXPORT_ACTIONS = frozenset({
    "national.export", "class.roster", "document.export", "document.download", "report.statistics.xlsx",
    "report.monthly.xlsx", "audit.export", "certificate.export",
})
VIEWER_ROLES = (Role.AUDIT_ADMIN, Role.SECURITY_ADMIN)


def _local_span(first: date, days: int = 1) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    start = timezone.make_aware(datetime.combine(first, time.min), zone)
    return start, timezone.make_aware(datetime.combine(first + timedelta(days=days), time.min), zone)


def _reads() -> Q:
    return Q(action__in=READ_ACTIONS)


def _exports() -> Q:
    return Q(action__startswith=EXPORT_PREFIX) | Q(action__in=EXPORT_ACTIONS)


def _night() -> Q:
    start, end = settings.EARLY_WARNING_NIGHT_START, settings.EARLY_WARNING_NIGHT_END
    if start > end:  # 22 → 6: wraps past midnight
        return Q(hour__gte=start) | Q(hour__lt=end)
    return Q(hour__gte=start, hour__lt=end)


@dataclass
class _Tally:
    username: str = ""
    total: int = 0
    actions: Counter | None = None
    units: Counter | None = None  # (unit id, unit path) → entries


def _tally(entries: QuerySet[AuditEntry]) -> dict[int, _Tally]:
    """Entries per user, with their actions and the unit they mostly acted in."""
    tallies: dict[int, _Tally] = defaultdict(lambda: _Tally(actions=Counter(), units=Counter()))
    rows = (
        entries.filter(user__isnull=False, result=AuditEntry.Result.OK)
        .values("user_id", "username", "action", "unit_id", "unit_path")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        tally = tallies[row["user_id"]]
        tally.username = tally.username or row["username"]
        tally.total += row["n"]
        tally.actions[row["action"]] += row["n"]
        tally.units[(row["unit_id"], row["unit_path"])] += row["n"]
    return tallies


def _store(kind: str, day: date, threshold: int, tallies: dict[int, _Tally]) -> int:
    stored = 0
    for user_id, tally in tallies.items():
        (unit_id, unit_path), _ = tally.units.most_common(1)[0]
        EarlyWarning.objects.update_or_create(
            user_id=user_id, kind=kind, day=day,
            defaults={"username": tally.username, "unit_id": unit_id, "unit_path": unit_path or "",
                      "count": tally.total, "threshold": threshold, "details": dict(tally.actions)},
        )
        stored += 1
    return stored


def early_warnings_compute(day: date | None = None) -> int:
    """The warnings of one local day (yesterday by default) and of its week's exports so far.
    Returns how many warnings were stored or updated."""
    day = day or timezone.localdate() - timedelta(days=1)
    start, end = _local_span(day)
    of_day = AuditEntry.objects.filter(at__gte=start, at__lt=end)
    stored = 0

    per_day = settings.EARLY_WARNING_READS_PER_DAY
    reads = _tally(of_day.filter(_reads()))
    stored += _store(EarlyWarning.Kind.READS, day, per_day, {u: t for u, t in reads.items() if t.total > per_day})

    night = of_day.filter(_reads()).annotate(hour=ExtractHour("at")).filter(_night())
    stored += _store(EarlyWarning.Kind.NIGHT, day, 0, _tally(night))

    monday = day - timedelta(days=day.weekday())
    week_start, _ = _local_span(monday)
    per_week = settings.EARLY_WARNING_EXPORTS_PER_WEEK
    exports = _tally(AuditEntry.objects.filter(_exports(), at__gte=week_start, at__lt=end))
    stored += _store(EarlyWarning.Kind.EXPORTS, monday, per_week, {u: t for u, t in exports.items() if t.total > per_week})
    return stored


# Who sees them -----------------------------------------------------------------------------------


def warnings_visible_to(membership: Membership | None) -> QuerySet[EarlyWarning]:
    """The warnings of the subtree of the admin's bureau, for its audit and security admins."""
    if membership is None or membership.role not in VIEWER_ROLES or membership.unit is None:
        return EarlyWarning.objects.none()
    return EarlyWarning.objects.filter(unit_path__startswith=membership.unit.path)


def warning_text(warning: EarlyWarning) -> str:
    """One line in Chinese: who, what, how many."""
    counted = "、".join(
        f"{AUDIT_ACTIONS.get(action, action)} {count} 次"
        for action, count in sorted(warning.details.items(), key=lambda item: -item[1])
    )
    if warning.kind == EarlyWarning.Kind.READS:
        head = f"{warning.day:%Y-%m-%d} 查看学籍 {warning.count} 次（阈值 {warning.threshold}）"
    elif warning.kind == EarlyWarning.Kind.NIGHT:
        head = (f"{warning.day:%Y-%m-%d} 夜间（{settings.EARLY_WARNING_NIGHT_START}:00—"
                f"{settings.EARLY_WARNING_NIGHT_END}:00）查看学籍 {warning.count} 次")
    else:
        head = f"{warning.day:%Y-%m-%d} 起的一周内导出 {warning.count} 次（阈值 {warning.threshold}）"
    return f"{head}：{counted}" if counted else head
