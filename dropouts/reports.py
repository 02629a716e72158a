"""The school's 控辍保学月报 and the county's quarterly review, both built from the three ledgers
(dropouts/ledgers.py).

A monthly report is made by the school's registrar for a month that has begun, after bringing the
ledgers up to date; it keeps the figures and the rows as they stood (JSON), so that a later
change does not alter a report sent; it may be made again until the headmaster signs it, and
only the school's headmaster signs (who and when are recorded and audited). The quarterly review
is read, never stored: per township the rows of each ledger open at the quarter's end, opened and
closed in it, and every row open longer than 30 days."""

import calendar
from dataclasses import dataclass, field
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dropouts import ledgers, selectors
from dropouts.models import LedgerKind, MonthlyDropoutReport
from xueji.accounts.audit import audit_record
from xueji.accounts.models import Unit, User
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import NotInScope, object_id

KINDS = [LedgerKind.NOT_ENROLLED, LedgerKind.SUSPECTED, LedgerKind.DROPOUT]


def month_bounds(month: date) -> tuple[date, date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def parse_month(text: str, today: date) -> date:
    """"2026-11" → 1 November 2026; a month not yet begun, or not a month, is refused."""
    try:
        year, month = (int(part) for part in (text or "").split("-"))
        first = date(year, month, 1)
    except (TypeError, ValueError):
        raise ValidationError({"month": "请选择月份（如 2026-11）。"}) from None
    if first > today or year < 2000:
        raise ValidationError({"month": "只能生成已经开始的月份的月报。"})
    return first


def previous_month(today: date) -> date:
    first = today.replace(day=1)
    return (first.replace(year=first.year - 1, month=12) if first.month == 1 else first.replace(month=first.month - 1))


def _figures(rows: list[ledgers.LedgerRow], start: date, end: date) -> dict:
    return {
        "opened": sum(1 for r in rows if start <= r.opened_on <= end),
        "closed": sum(1 for r in rows if r.closed_on and start <= r.closed_on <= end),
        "open_end": sum(1 for r in rows if r.opened_on <= end and (r.closed_on is None or r.closed_on > end)),
        "open_too_long": sum(1 for r in rows if r.opened_on <= end and (r.closed_on is None or r.closed_on > end)
                             and (end - r.opened_on).days > ledgers.OPEN_TOO_LONG_DAYS),
    }


def _row_json(row: ledgers.LedgerRow) -> dict:
    return {
        "kind": row.kind, "kind_label": row.kind_label, "name": row.name, "gender": row.gender,
        "birth_date": row.birth_date.isoformat(), "class_name": row.class_name, "reason": row.reason,
        "opened_on": row.opened_on.isoformat(), "closed_on": row.closed_on.isoformat() if row.closed_on else "",
        "result": row.result, "attempts": row.attempts_text,
    }


@transaction.atomic
def report_make(*, actor: User, school: Unit, month: date, today: date | None = None) -> MonthlyDropoutReport:
    """Make (or make again, while unsigned) the school's report of ``month``."""
    if not selectors.may_make_report(actor, school.pk):
        raise NotAllowed("只有本校学籍管理员可以生成控辍保学月报。")
    today = today or timezone.localdate()
    start, end = month_bounds(month)
    ledgers.ledger_sync(schools=[school], today=today)
    # Signed reports are kept as they are: the row is locked while we check.
    report = MonthlyDropoutReport.objects.select_for_update().filter(school=school, month=start).first()
    if report is not None and report.is_signed:
        raise ValidationError("该月月报校长已签字，不能重新生成。")
    as_of = min(end, today)
    # The ledgers as a list: a JSON object's keys come back from PostgreSQL in its own order.
    figures = {"month": start.strftime("%Y-%m"), "as_of": as_of.isoformat(), "ledgers": [], "rows": []}
    for kind in KINDS:
        rows = ledgers.ledger_rows(actor, kind, as_of, schools=[school], opened_by=end, closed_since=start,
                                   student_numbers=False)
        figures["ledgers"].append({"kind": kind, "label": LedgerKind(kind).label, **_figures(rows, start, as_of)})
        figures["rows"] += [_row_json(r) for r in rows]
    now = timezone.now()
    if report is None:
        try:
            with transaction.atomic():
                report = MonthlyDropoutReport.objects.create(school=school, month=start, figures=figures,
                                                             made_by=actor, made_at=now)
        except IntegrityError:
            raise ValidationError("该月月报正在由他人生成，请刷新后再试。") from None
    else:
        report.figures, report.made_by, report.made_at = figures, actor, now
        report.save(update_fields=["figures", "made_by", "made_at"])
    audit_record(action="dropout.report_make", obj=report, user=actor, unit=school,
                 detail=f"生成{start:%Y年%m月}控辍保学月报（{len(figures['rows'])} 条）")
    return report


@transaction.atomic
def report_sign(*, actor: User, report: MonthlyDropoutReport) -> MonthlyDropoutReport:
    """校长签字: the school's headmaster alone; once."""
    if not selectors.may_sign_report(actor, report.school_id):
        raise NotAllowed("控辍保学月报只能由本校校长签字。")
    report = MonthlyDropoutReport.objects.select_for_update().get(pk=report.pk)
    if report.is_signed:
        raise ValidationError("该月报已签字。")
    report.signed_by, report.signed_at = actor, timezone.now()
    report.save(update_fields=["signed_by", "signed_at"])
    audit_record(action="dropout.report_sign", obj=report, user=actor, unit=report.school,
                 detail=f"校长签字：{report.month:%Y年%m月}控辍保学月报")
    return report


def reports_visible_to(user: User):
    return MonthlyDropoutReport.objects.filter(school__in=selectors.schools_visible_to(user))


def get_report_for_user(user: User, report_id) -> MonthlyDropoutReport:
    try:
        return reports_visible_to(user).select_related("school", "made_by", "signed_by").get(pk=object_id(report_id))
    except MonthlyDropoutReport.DoesNotExist:
        raise NotInScope("没有找到这份月报，或您无权查看。", what="monthlydropoutreport", object_id=report_id) from None


# The quarterly review ---------------------------------------------------------------------------

@dataclass
class TownshipLine:
    township: str
    figures: dict = field(default_factory=dict)  # kind → {"opened", "closed", "open_end", "open_too_long"}

    def total(self, key: str) -> int:
        return sum(f[key] for f in self.figures.values())

    @property
    def cells(self) -> list[dict]:
        """The figures in the ledgers' order, for the templates."""
        return [self.figures[kind] for kind in KINDS]

    @property
    def open_too_long(self) -> int:
        return self.total("open_too_long")


@dataclass
class Review:
    quarter: str
    start: date
    end: date
    as_of: date
    lines: list[TownshipLine]
    totals: TownshipLine
    too_long: list[ledgers.LedgerRow]
    months: list[date]
    reports: list[dict]

    @property
    def title(self) -> str:
        return quarter_label(self.quarter)


def parse_quarter(text: str, today: date) -> tuple[str, date, date]:
    """"2026Q4" → (label, 1 Oct, 31 Dec); empty is the quarter of ``today``."""
    if not text:
        text = f"{today.year}Q{(today.month - 1) // 3 + 1}"
    year_text, _, q_text = text.upper().partition("Q")
    if not (year_text.isdigit() and q_text in {"1", "2", "3", "4"}) or not 2000 <= int(year_text) <= 2100:
        raise ValidationError({"quarter": "请选择季度（如 2026Q4）。"})
    year, q = int(year_text), int(q_text)
    start = date(year, 3 * q - 2, 1)
    end = month_bounds(date(year, 3 * q, 1))[1]
    if start > today:
        raise ValidationError({"quarter": "该季度尚未开始。"})
    return f"{year}Q{q}", start, end


def quarter_label(quarter: str) -> str:
    return f"{quarter[:4]}年第{'一二三四'[int(quarter[-1]) - 1]}季度"


def quarterly_review(user: User, quarter: str, today: date) -> Review:
    """The review of the user's area: per township, per ledger, what was open at the quarter's end
    (or today, in the running quarter), opened and closed in it; the rows open longer than 30
    days; and each school's monthly reports of the quarter (signed or not)."""
    label, start, end = parse_quarter(quarter, today)
    as_of = min(end, today)
    by_township: dict[str, TownshipLine] = {}
    totals = TownshipLine("合计")
    too_long = []
    for kind in KINDS:
        rows = ledgers.ledger_rows(user, kind, as_of, opened_by=end, closed_since=start)
        for row in rows:
            by_township.setdefault(row.township, TownshipLine(row.township))
        for line in [*by_township.values(), totals]:
            mine = rows if line is totals else [r for r in rows if r.township == line.township]
            line.figures[kind] = _figures(mine, start, as_of)
        too_long += [r for r in rows if r.opened_on <= as_of and (r.closed_on is None or r.closed_on > as_of)
                     and (as_of - r.opened_on).days > ledgers.OPEN_TOO_LONG_DAYS]
    for line in by_township.values():  # a township first seen in a later ledger: zeros before
        for kind in KINDS:
            line.figures.setdefault(kind, {"opened": 0, "closed": 0, "open_end": 0, "open_too_long": 0})
    too_long.sort(key=lambda r: (r.township, r.school.path, r.opened_on))
    months = [date(start.year, start.month + i, 1) for i in range(3) if date(start.year, start.month + i, 1) <= today]
    signed = {(r.school_id, r.month): r for r in reports_visible_to(user).filter(month__in=months)}
    reports = [{"school": school, "months": [signed.get((school.pk, m)) for m in months]}
               for school in selectors.schools_visible_to(user).order_by("township", "path")]
    lines = [by_township[k] for k in sorted(by_township)]
    return Review(label, start, end, as_of, lines, totals, too_long, months, reports)
