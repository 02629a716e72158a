"""Pages of export requests: asking (the form, prefilled from a page's former download link), my
requests, one request (state, purpose, fields, who decided, the file's SHA-256 and, for the
requester while it is valid, the download form with a fresh code). The leader decides on the
engine's request page (/requests/<id>/, listed in 待我审批)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from xueji.accounts.audit import client_ip
from xueji.accounts.permissions import require_acting_membership
from xueji.accounts.scoping import memberships_of
from xueji.approvals.models import ChangeRequest
from xueji.exports.forms import DownloadForm, ExportRequestForm
from xueji.exports.kind import CODE
from xueji.exports.models import ExportFile
from xueji.exports.registry import export_kind_or_none, export_kinds_for
from xueji.exports.selectors import get_export_request_for_user, my_export_requests
from xueji.exports.services import DownloadRefused, ExportAsk, export_download, export_request_start
from xueji.forms import show_errors
from xueji.paginators import CappedPaginator

CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@login_required
@require_GET
def export_list(request):
    roles = {m.role for m in memberships_of(request.user)}
    page = CappedPaginator(my_export_requests(request.user), 50).get_page(request.GET.get("page"))
    return render(request, "exports/export_list.html", {"page": page, "kinds": export_kinds_for(roles)})


@login_required
@require_http_methods(["GET", "POST"])
def export_new(request):
    kind = export_kind_or_none(request.GET.get("kind", ""))
    if kind is None:
        raise Http404("没有这种导出。")
    membership = require_acting_membership(request, kind.roles, message=f"您的身份不能申请导出{kind.label}。")
    scopes = kind.scope_choices(request.user, membership)
    wanted = request.GET.get("scope", "")
    if wanted and wanted not in dict(scopes):
        # A scope the list does not offer (the audit log's filters, a class beyond the first 500):
        # resolved for the user (404 outside their area) and offered first.
        resolved = kind.scope_resolve(request.user, membership, wanted)
        scopes, wanted = [(resolved.value, resolved.label), *scopes], resolved.value
    initial = {"scope": wanted}
    form = ExportRequestForm(request.POST or None, kind=kind, scopes=scopes, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        ask = ExportAsk(export_kind=kind.code, scope=data["scope"], fields=data["fields"], purpose=data["purpose"],
                        purpose_text=data["purpose_text"], full_values=data["full_values"],
                        reason_for_full_values=data["reason_for_full_values"])
        try:
            change = export_request_start(actor=request.user, membership=membership, ask=ask)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"导出申请已提交，等待{change.steps.get(position=0).label}（1 个工作日内）。")
            return redirect("exports:export_detail", change.pk)
    return render(request, "exports/export_new.html", {"kind": kind, "form": form})


def _context(request, change: ChangeRequest, download_error: str = "") -> dict:
    export_file = ExportFile.objects.filter(request=change).first()
    kind = export_kind_or_none(change.payload.get("export_kind", ""))
    mine = change.started_by_id == request.user.pk
    valid = export_file is not None and timezone.now() < export_file.expires_at
    decided = change.steps.filter(decided_at__isnull=False).select_related("decided_by", "unit").order_by("position")
    return {
        "change": change, "kind": kind, "export_file": export_file, "decided_steps": decided,
        "pending_step": change.steps.filter(status="pending").select_related("unit").first(),
        "details": change.kind_label and _details(change), "mine": mine,
        "can_download": mine and valid, "expired": export_file is not None and not valid,
        "form": DownloadForm(), "download_error": download_error,
    }


def _details(change: ChangeRequest):
    from xueji.approvals.kinds import get_kind

    return get_kind(CODE).details(change)


@login_required
@require_GET
def export_detail(request, request_id: int):
    change = get_export_request_for_user(request.user, request_id)
    return render(request, "exports/export_detail.html", _context(request, change))


@login_required
@require_POST
def export_file_download(request, request_id: int):
    """The file, for the requester, after a fresh code (POST: the code never goes into an address)."""
    change = get_export_request_for_user(request.user, request_id)
    otp = request.POST.get("otp", "")
    try:
        export_file = export_download(actor=request.user, request=change, otp=otp, ip=client_ip(request))
    except DownloadRefused as refused:
        context = _context(request, change, refused.message)
        return render(request, "exports/export_detail.html", context, status=refused.status)
    return file_response(export_file)


def file_response(export_file: ExportFile) -> HttpResponse:
    extension = export_file.filename.rsplit(".", 1)[-1]
    with export_file.file.open("rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type=CONTENT_TYPES.get(extension, "application/octet-stream"))
    response["Content-Disposition"] = content_disposition_header(True, export_file.filename)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-SHA256"] = export_file.sha256
    return response
