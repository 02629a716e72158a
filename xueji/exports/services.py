"""Exports of personal data: asking (a request of the engine), making the file after approval (in
a worker of the documents queue, once), and handing it to the requester alone, within its time, after a fresh code of
the second factor. Every step is in the audit log: export.request, export.decide (the engine's
request.approve/reject), export.file_made, export.download, export.download_refused.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from xueji.accounts.audit import audit_record
from xueji.accounts.models import AuditEntry, Membership, User
from xueji.approvals.models import ChangeRequest, RequestStatus, StepStatus
from xueji.approvals.services import notify, request_start
from xueji.db_routing import replica_reads
from xueji.exports.kind import CODE, approving_bureau, full_values_granted
from xueji.exports.models import ExportFile
from xueji.exports.registry import PURPOSE_LABELS, ExportJob, ExportKind, get_export_kind
from xueji.exports.watermark import watermark_xlsx

MAX_TEXT = 500


@dataclass(frozen=True)
class ExportAsk:
    """What a requester asks: which export, of which scope, which fields, why."""

    export_kind: str
    scope: str
    fields: list[str]
    purpose: str
    purpose_text: str = ""
    full_values: bool = False
    reason_for_full_values: str = ""


def export_ask_check(kind: ExportKind, ask: ExportAsk) -> dict[str, str]:
    """The refusals of an ask, keyed by field (Chinese, for the form and the API)."""
    errors = {}
    known = [f.key for f in kind.fields()]
    if not ask.fields:
        errors["fields"] = "请至少选择一个字段。"
    elif unknown := [key for key in ask.fields if key not in known]:
        errors["fields"] = f"没有这些字段：{'、'.join(unknown[:5])}。"
    if ask.purpose not in PURPOSE_LABELS:
        errors["purpose"] = "请选择用途。"
    if not ask.purpose_text.strip():
        errors["purpose_text"] = "请说明用途（用于什么工作、交给谁）。"
    elif len(ask.purpose_text) > MAX_TEXT:
        errors["purpose_text"] = f"用途说明最多 {MAX_TEXT} 字。"
    if ask.full_values and not ask.reason_for_full_values.strip():
        errors["reason_for_full_values"] = "申请完整的身份证件号、电话、地址时，请说明理由。"
    elif len(ask.reason_for_full_values) > MAX_TEXT:
        errors["reason_for_full_values"] = f"理由最多 {MAX_TEXT} 字。"
    return errors


def export_request_start(*, actor: User, membership: Membership, ask: ExportAsk) -> ChangeRequest:
    """Open the export request (the caller has checked the role: membership.role in kind.roles).
    The scope is resolved for the requester (404 outside its area); the step goes to the bureau
    that holds the data."""
    kind = get_export_kind(ask.export_kind)
    errors = export_ask_check(kind, ask)
    if errors:
        raise ValidationError(errors)
    scope = kind.scope_resolve(actor, membership, ask.scope)
    bureau = approving_bureau(scope.unit)
    fields = [f.key for f in kind.fields() if f.key in ask.fields]  # the kind's order
    payload = {
        "export_kind": kind.code, "membership": membership.pk, "scope": scope.value, "scope_label": scope.label,
        "scope_unit": scope.unit.pk, "approving_unit": bureau.pk, "fields": fields, "purpose": ask.purpose,
        "purpose_text": ask.purpose_text.strip(), "full_values_asked": bool(ask.full_values),
        "reason_for_full_values": ask.reason_for_full_values.strip() if ask.full_values else "",
        "subject": f"{kind.label}（{scope.label}）",
    }
    with transaction.atomic():
        request = request_start(kind=CODE, actor=actor, unit=membership.unit, pupil=None, payload=payload)
        audit_record(
            action="export.request", obj=request, user=actor, membership=membership, unit=scope.unit,
            detail=f"申请导出{kind.label}：{scope.label}，{len(fields)} 个字段，用途：{PURPOSE_LABELS[ask.purpose]}"
                   + ("，申请完整个人信息" if ask.full_values else "，脱敏"),
        )
    return request


def _watermark(request: ChangeRequest, now) -> list[tuple[str, str]]:
    step = request.steps.filter(status=StepStatus.APPROVED).select_related("decided_by").order_by("-position").first()
    requester = request.started_by
    return [
        ("申请编号", f"数据导出 #{request.pk}"),
        ("申请人", f"{requester.full_name or requester.username}（{requester.username}，{request.started_unit.name}）"),
        ("导出时间", f"{timezone.localtime(now):%Y-%m-%d %H:%M}"),
        ("审批人", f"{step.decided_by.full_name or step.decided_by.username}（{step.label}）" if step and step.decided_by else ""),
        ("用途", PURPOSE_LABELS.get(request.payload.get("purpose", ""), "")),
        ("个人信息", "完整（经审批同意）" if full_values_granted(request) else "身份证件号、电话、地址已脱敏"),
        ("说明", "本文件仅限申请用途使用，不得转发、公开；下载记录已留存审计。"),
    ]


def export_file_run(request_id: int) -> bool:
    """Make the file of an approved export request in the worker (the task make_export_file),
    once: the request's row is locked while it is made, so that a second delivery (the broker's,
    or the resending sweep's) skips it while it is made and finds it made afterwards. True if it
    was made now."""
    with transaction.atomic():
        request = ChangeRequest.objects.select_for_update(skip_locked=True).filter(
            pk=request_id, kind=CODE, status=RequestStatus.APPROVED).first()
        if request is None or ExportFile.objects.filter(request=request).exists():
            return False
        return export_file_make(request) is not None


# A file not made this long after the follow-up queued it lost its task: queued again. Longer
# than a file takes to make once a worker of the documents queue takes it (the task's limit).
RESEND_AFTER = timedelta(minutes=35)
# Nor past this: a request whose file cannot be made (its scope gone from the requester) is not
# tried for ever; the requester asks again.
RESEND_WITHIN = timedelta(days=2)


def export_files_resend(now=None) -> int:
    """Queue again the making of every file an approved request still lacks, its follow-up done
    more than RESEND_AFTER ago (within RESEND_WITHIN). How many were queued."""
    from xueji.celery import enqueue_on_commit
    from xueji.exports.tasks import make_export_file  # the tasks module imports this one

    now = now or timezone.now()
    missing = list(ChangeRequest.objects.filter(
        kind=CODE, status=RequestStatus.APPROVED, export_file__isnull=True,
        followed_up_at__lt=now - RESEND_AFTER, followed_up_at__gte=now - RESEND_WITHIN,
    ).values_list("pk", flat=True))
    for request_id in missing:
        enqueue_on_commit(make_export_file, request_id)
    return len(missing)


def export_file_make(request: ChangeRequest) -> ExportFile | None:
    """Make the file of an approved export request, once (a second run finds it made). Runs in
    the worker of the documents queue (export_file_run, which locks the request)."""
    if request.kind != CODE or request.status != RequestStatus.APPROVED:
        return None
    existing = ExportFile.objects.filter(request=request).first()
    if existing is not None:
        return existing
    payload = request.payload
    kind = get_export_kind(payload["export_kind"])
    membership = Membership.objects.select_related("unit").get(pk=payload["membership"])
    requester = request.started_by
    scope = kind.scope_resolve(requester, membership, payload.get("scope", ""))
    now = timezone.now()
    watermark = _watermark(request, now)
    job = ExportJob(request_id=request.pk, requester=requester, membership=membership, scope=scope,
                    fields=list(payload["fields"]), full_values=full_values_granted(request), watermark=watermark)
    # The rows a file is made of may lag the primary by seconds (xueji/db_routing.py): the replica.
    with replica_reads():
        output = kind.write(job)
    content = watermark_xlsx(output.content, watermark) if output.extension == "xlsx" else output.content
    digest = hashlib.sha256(content).hexdigest()
    filename = f"{kind.label}_{scope.label}_{request.pk}_{timezone.localtime(now):%Y%m%d}.{output.extension}"
    export_file = ExportFile(
        request=request, filename=filename[:200], sha256=digest, size=len(content), rows=output.rows,
        full_values=job.full_values, made_at=now, expires_at=now + timedelta(hours=settings.EXPORT_DOWNLOAD_HOURS),
    )
    export_file.file.save(f"export.{output.extension}", ContentFile(content), save=False)
    export_file.save()
    notify(request, key=f"export_ready:{request.pk}", unit=request.started_unit,
           message=f"{request}（{request.payload.get('subject', '')}）的文件已生成，申请人可在 "
                   f"{timezone.localtime(export_file.expires_at):%Y-%m-%d %H:%M} 前下载。")
    audit_record(
        action="export.file_made", obj=request, user=requester, unit=scope.unit,
        detail=f"生成导出文件：{kind.label}（{scope.label}），{output.rows} 条，"
               f"{'完整个人信息' if job.full_values else '已脱敏'}，SHA-256 {digest}",
    )
    return export_file


# Downloading ------------------------------------------------------------------------------------

class DownloadRefused(Exception):
    """Why a file is not handed out (Chinese), with a code for the API."""

    def __init__(self, message: str, code: str, status: int = 403):
        super().__init__(message)
        self.message, self.code, self.status = message, code, status


def _refuse(request: ChangeRequest, actor: User, message: str, code: str, status: int = 403) -> DownloadRefused:
    audit_record(action="export.download_refused", obj=request, user=actor, result=AuditEntry.Result.DENIED,
                 unit=request.started_unit, detail=f"拒绝下载导出文件：{message}")
    return DownloadRefused(message, code, status)


def export_download(*, actor: User, request: ChangeRequest, otp: str, ip: str | None) -> ExportFile:
    """The file for the requester, within its time, after a fresh code. A wrong code counts toward
    the login lockout like any wrong code (second_factor_attempt); a code is accepted once."""
    from xueji.accounts.login import second_factor_attempt

    if request.started_by_id != actor.pk:
        raise _refuse(request, actor, "只有申请人本人可以下载导出文件。", "not_requester")
    export_file = ExportFile.objects.filter(request=request).first()
    if request.status != RequestStatus.APPROVED or export_file is None:
        raise _refuse(request, actor, "文件尚未生成：申请须经审批同意，生成后才能下载。", "not_ready", 409)
    if timezone.now() >= export_file.expires_at:
        raise _refuse(request, actor, "下载期限已过，如仍需要请重新申请。", "expired", 410)
    if not (otp or "").strip():
        raise _refuse(request, actor, "请输入身份验证器上的动态验证码。", "otp_required")
    result = second_factor_attempt(user=actor, code=otp, ip=ip)
    if result.user is None:
        raise _refuse(request, actor, result.error, "otp_invalid")
    ExportFile.objects.filter(pk=export_file.pk).update(downloads=F("downloads") + 1)
    audit_record(action="export.download", obj=request, user=actor, unit=request.started_unit,
                 detail=f"下载导出文件 {export_file.filename}，{export_file.rows} 条，SHA-256 {export_file.sha256}")
    return export_file


def export_files_expire(now=None) -> int:
    """Delete the bytes of every export file whose download time has passed (hourly task): a
    file that can no longer be downloaded is no longer kept. The row stays, with its SHA-256,
    size and rows, as the record of what left. Returns how many files were deleted."""
    now = now or timezone.now()
    deleted = 0
    for export_file in ExportFile.objects.filter(expires_at__lte=now).exclude(file=""):
        export_file.file.delete(save=False)
        ExportFile.objects.filter(pk=export_file.pk).update(file="")
        deleted += 1
    return deleted
