"""The request kind "export": every export of personal data is one (2025 办法 第二十四条: data leaves
only with the approval of a government at county level or above; 谁批准谁负责). Its one step is the
bureau that holds the data — the county for its schools, the city or province for what spans
counties — decided by the bureau's leader in charge (Role.LEADER), or by another officer where the
bureau's setting allows it; never by the requester (the engine refuses the starter). The approver
ticks whether the full values asked for are granted (``grant_full``). After approval the follow-up
queues the making of the file (xueji/exports/tasks.py: make_export_file, on the "documents" queue
with the other heavy files: a county's national export is minutes of a worker, which the short
work of the default queue must not wait behind); it is made once (export_file_run).
"""

from typing import Any

from django.conf import settings
from django.urls import reverse

from xueji.accounts.models import Role, Unit, User
from xueji.approvals.chains import StepSpec, bureau_of
from xueji.approvals.kinds import RequestKind
from xueji.approvals.models import ApprovalStep, ChangeRequest
from xueji.exports.registry import PURPOSE_LABELS, export_kind_label, export_kind_or_none

CODE = "export"


def approving_bureau(unit: Unit) -> Unit:
    """The bureau that holds a scope's data: the unit itself when it is a bureau, else the bureau
    that supervises the school."""
    return unit if unit.is_bureau else bureau_of(unit)


def full_values_granted(request: ChangeRequest) -> bool:
    payload = request.payload
    return bool(payload.get("full_values_asked") and payload.get("full_values_granted"))


def _decision_audit(request: ChangeRequest, actor: User | None, *, approved: bool) -> None:
    """export.decide, beside the engine's request.approve/reject: who let the data out (谁批准谁负责)."""
    from xueji.accounts.audit import audit_record

    granted = "，同意提供完整个人信息" if approved and full_values_granted(request) else ""
    audit_record(
        action="export.decide", obj=request, user=actor, unit=request.started_unit,
        detail=f"{'同意' if approved else '退回'}导出申请 #{request.pk}（{request.payload.get('subject', '')}）{granted}",
    )


class ExportRequestKind(RequestKind):
    code = CODE
    label = "数据导出"
    decision_template = "exports/_decision.html"

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        bureau = Unit.objects.get(pk=request.payload["approving_unit"])
        return [StepSpec(bureau, f"{bureau.name}分管领导审批", decider=Role.LEADER,
                         working_days=settings.EXPORT_APPROVAL_WORKING_DAYS)]

    def decision_context(self, request: ChangeRequest, step: ApprovalStep | None, posted: dict) -> dict:
        return {"export_request": request, "full_values_asked": request.payload.get("full_values_asked"),
                "grant_full": posted.get("grant_full") == "on"}

    def decision_details(self, posted: dict[str, str]) -> dict[str, Any]:
        return {"grant_full": str(posted.get("grant_full", "")).lower() in ("on", "true", "1", "yes")}

    def check_decision(self, request, step, actor, approve, details) -> dict | None:
        if approve and details.get("grant_full") and not request.payload.get("full_values_asked"):
            return {"__all__": "申请人没有申请完整个人信息，不能勾选。"}
        return None

    def decision_record(self, request, step, actor, approve, details) -> dict[str, Any]:
        granted = bool(approve and details.get("grant_full") and request.payload.get("full_values_asked"))
        return {"full_values_granted": granted}

    def decision_message(self, request: ChangeRequest, approve: bool) -> str:
        if not approve:
            return "已退回导出申请。"
        return "已同意导出，文件生成后申请人可下载" + ("（含完整个人信息）。" if full_values_granted(request) else "（已脱敏）。")

    def apply(self, request: ChangeRequest, actor: User) -> None:
        _decision_audit(request, actor, approved=True)

    def closed_without_effect(self, request: ChangeRequest) -> None:
        if request.status == "rejected":
            step = request.steps.filter(status="rejected").select_related("decided_by").first()
            _decision_audit(request, step.decided_by if step else None, approved=False)

    def follow_up(self, request: ChangeRequest) -> None:
        from xueji.celery import enqueue_on_commit
        from xueji.exports.tasks import make_export_file  # its service imports this module

        # Once the follow-up commits; a message the broker lost is sent again (export_files_resend).
        enqueue_on_commit(make_export_file, request.pk)

    def summary(self, request: ChangeRequest) -> str:
        return f"{export_kind_label(request.payload.get('export_kind', ''))}：{request.payload.get('scope_label', '')}"

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        payload = request.payload
        kind = export_kind_or_none(payload.get("export_kind", ""))
        fields = kind.field_labels(payload.get("fields", [])) if kind else payload.get("fields", [])
        rows = [
            ("导出内容", export_kind_label(payload.get("export_kind", ""))),
            ("范围", payload.get("scope_label", "")),
            ("字段", "、".join(fields)),
            ("用途", PURPOSE_LABELS.get(payload.get("purpose", ""), payload.get("purpose", ""))),
            ("用途说明", payload.get("purpose_text", "")),
            ("完整个人信息", ("申请：" + payload.get("reason_for_full_values", "")) if payload.get("full_values_asked")
             else "不申请（身份证件号、电话、地址脱敏）"),
        ]
        if "full_values_granted" in payload:
            rows.append(("审批结果", "同意提供完整个人信息" if payload["full_values_granted"] else "仅提供脱敏数据"))
        return rows

    def links_for(self, request: ChangeRequest, user: User) -> list[tuple[str, str]]:
        if request.started_by_id == user.pk:
            return [("导出文件与下载", reverse("exports:export_detail", args=[request.pk]))]
        return []
