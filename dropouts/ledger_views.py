"""Pages of the three ledgers (dropouts/ledgers.py), the school's monthly report and the county's
quarterly review (dropouts/reports.py). A school's registrar and headmaster see their school's
rows, central schools and bureaus their schools'; others are refused (403), rows and reports
outside one's area are 404. Every read of a ledger, a report or the review is audited."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dropouts import ledgers, reports, selectors
from dropouts.forms import AttemptForm, LedgerCloseForm, ReportMakeForm
from dropouts.models import LedgerKind
from xueji.accounts.audit import audit_record
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import object_id
from xueji.documents.printing import pdf_response, print_pdf
from xueji.forms import show_errors

EXPORT_CODE = "dropout_ledgers"
LEDGER_TEMPLATE_PDF = "dropouts/print_monthly.html"
REVIEW_TEMPLATE_PDF = "dropouts/print_review.html"


def _require_ledger_reader(user) -> None:
    if not selectors.keeps_ledgers(user):
        raise NotAllowed("只有学校学籍管理员、校长和中心校、教育局的学籍管理员可以查看控辍保学台账。")


def _export_url() -> str:
    return reverse("exports:export_new") + f"?kind={EXPORT_CODE}"


@login_required
def ledger_list(request):
    _require_ledger_reader(request.user)
    kind = request.GET.get("kind") or LedgerKind.DROPOUT
    if kind not in LedgerKind.values:
        kind = LedgerKind.DROPOUT
    open_only = request.GET.get("state", "open") != "all"
    schools = None
    school_id = request.GET.get("school")
    visible_schools = selectors.schools_visible_to(request.user).order_by("township", "path")
    if school_id:
        schools = list(visible_schools.filter(pk=object_id(school_id)))
    today = timezone.localdate()
    rows = ledgers.ledger_rows(request.user, kind, today, schools=schools, open_only=open_only)
    ledgers.audit_ledger_read(request.user, kind, len(rows), "页面")
    return render(request, "dropouts/ledgers.html", {
        "kind": kind, "kinds": LedgerKind.choices, "rows": rows, "open_only": open_only,
        "schools": visible_schools if len(visible_schools) > 1 else [], "school_id": school_id or "",
        "too_long_days": ledgers.OPEN_TOO_LONG_DAYS, "export_url": _export_url(),
    })


@login_required
@require_POST
def ledger_refresh(request):
    """Bring the ledgers of the user's schools up to today (the daily beat does it too)."""
    _require_ledger_reader(request.user)
    counts = ledgers.ledger_sync(schools=selectors.schools_visible_to(request.user), today=timezone.localdate())
    messages.success(request, f"台账已更新：新登记 {counts['opened']} 条，销号 {counts['closed']} 条。")
    kind = request.POST.get("kind")
    return redirect(reverse("dropouts:ledger_list") + (f"?kind={kind}" if kind in LedgerKind.values else ""))


def _entry_page(request, entry, attempt_form=None, close_form=None, status=200):
    school_id = entry.school_id
    may_log = entry.is_open and selectors.may_log_ledger(request.user, school_id)
    may_close = entry.is_open and selectors.may_close_ledger(request.user, school_id)
    [row] = ledgers._entry_rows(request.user, [entry], timezone.localdate(), True)
    return render(request, "dropouts/ledger_entry.html", {
        "entry": entry, "row": row,
        "attempt_form": attempt_form or (AttemptForm(initial={"day": timezone.localdate()}) if may_log else None),
        "close_form": close_form or (LedgerCloseForm(reasons=ledgers.MANUAL_CLOSE[entry.kind]) if may_close else None),
    }, status=status)


@login_required
def ledger_entry(request, entry_id: int):
    entry = ledgers.get_entry_for_user(request.user, entry_id)
    audit_record(action="dropout.ledger_view", obj=entry.pupil or entry, user=request.user,
                 detail=f"查看{entry.get_kind_display()}台账记录")
    return _entry_page(request, entry)


@login_required
@require_POST
def ledger_attempt_add(request, entry_id: int):
    entry = ledgers.get_entry_for_user(request.user, entry_id)
    if not selectors.may_log_ledger(request.user, entry.school_id):
        raise NotAllowed("只有本校学籍管理员或校长可以记录劝返情况。")
    form = AttemptForm(request.POST)
    if form.is_valid():
        try:
            ledgers.attempt_add(actor=request.user, entry=entry, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "已记录劝返情况。")
            return redirect("dropouts:ledger_entry", entry.pk)
    return _entry_page(request, entry, attempt_form=form)


@login_required
@require_POST
def ledger_close(request, entry_id: int):
    entry = ledgers.get_entry_for_user(request.user, entry_id)
    if not selectors.may_close_ledger(request.user, entry.school_id):
        raise NotAllowed("只有本校学籍管理员可以销号。")
    form = LedgerCloseForm(request.POST, reasons=ledgers.MANUAL_CLOSE.get(entry.kind, ()))
    if form.is_valid():
        try:
            ledgers.entry_close(actor=request.user, entry=entry, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "已销号。")
            return redirect("dropouts:ledger_entry", entry.pk)
    return _entry_page(request, entry, close_form=form)


# The monthly report -----------------------------------------------------------------------------

@login_required
def report_list(request):
    _require_ledger_reader(request.user)
    today = timezone.localdate()
    makes = [s for s in selectors.dropout_schools_of(request.user) if selectors.may_make_report(request.user, s.pk)]
    form = ReportMakeForm(initial={"month": reports.previous_month(today).strftime("%Y-%m")})
    return render(request, "dropouts/reports.html", {
        "reports": reports.reports_visible_to(request.user).select_related("school", "signed_by")[:200],
        "form": form if makes else None, "makes": makes,
    })


@login_required
@require_POST
def report_make(request):
    schools = [s for s in selectors.dropout_schools_of(request.user) if selectors.may_make_report(request.user, s.pk)]
    if not schools:
        raise NotAllowed("只有本校学籍管理员可以生成控辍保学月报。")
    form = ReportMakeForm(request.POST)
    if form.is_valid():
        try:
            month = reports.parse_month(form.cleaned_data["month"], timezone.localdate())
            report = reports.report_make(actor=request.user, school=schools[0], month=month)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "月报已生成，请校长核对后签字。")
            return redirect("dropouts:report_detail", report.pk)
    return render(request, "dropouts/reports.html", {
        "reports": reports.reports_visible_to(request.user).select_related("school", "signed_by")[:200],
        "form": form, "makes": schools,
    }, status=200)


@login_required
def report_detail(request, report_id: int):
    report = reports.get_report_for_user(request.user, report_id)
    audit_record(action="dropout.report_view", obj=report, user=request.user, unit=report.school,
                 detail=f"查看{report.month:%Y年%m月}控辍保学月报")
    return render(request, "dropouts/report_detail.html", {
        "report": report, "figures": report.figures,
        "may_sign": not report.is_signed and selectors.may_sign_report(request.user, report.school_id),
        "may_make": not report.is_signed and selectors.may_make_report(request.user, report.school_id),
        "export_url": _export_url() + f"&scope={report.school_id}",
    })


@login_required
@require_POST
def report_sign(request, report_id: int):
    report = reports.get_report_for_user(request.user, report_id)
    try:
        reports.report_sign(actor=request.user, report=report)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, "已签字。")
    return redirect("dropouts:report_detail", report.pk)


@login_required
def report_pdf(request, report_id: int):
    report = reports.get_report_for_user(request.user, report_id)
    printed = print_pdf(
        user=request.user, kind="dropout_monthly", title="控辍保学月报", template=LEDGER_TEMPLATE_PDF,
        context={"report": report, "figures": report.figures}, unit=report.school,
        subject=f"{report.month:%Y年%m月}", audit_action="dropout.print_report", audit_obj=report,
    )
    return pdf_response(printed, f"控辍保学月报-{report.school.name}-{report.month:%Y-%m}.pdf")


# The quarterly review ---------------------------------------------------------------------------

def _review(request):
    if not selectors.is_overseer(request.user):
        raise NotAllowed("只有教育局和中心校的学籍管理员可以查看控辍保学季度审核。")
    return reports.quarterly_review(request.user, request.GET.get("quarter", ""), timezone.localdate())


@login_required
def review(request):
    try:
        data = _review(request)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("dropouts:review")
    audit_record(action="dropout.review_view", user=request.user,
                 detail=f"查看{data.title}控辍保学审核（超过30天未销号 {len(data.too_long)} 条）")
    return render(request, "dropouts/review.html", {
        "review": data, "too_long_days": ledgers.OPEN_TOO_LONG_DAYS, "kinds": reports.KINDS,
        "kind_labels": dict(LedgerKind.choices), "export_url": _export_url(),
    })


@login_required
def review_pdf(request):
    try:
        data = _review(request)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("dropouts:review")
    printed = print_pdf(
        user=request.user, kind="dropout_review", title="控辍保学季度审核表", template=REVIEW_TEMPLATE_PDF,
        context={"review": data, "too_long_days": ledgers.OPEN_TOO_LONG_DAYS, "kinds": reports.KINDS,
                 "kind_labels": dict(LedgerKind.choices)},
        subject=data.title, audit_action="dropout.print_review",
    )
    return pdf_response(printed, f"控辍保学季度审核表-{data.quarter}.pdf")
