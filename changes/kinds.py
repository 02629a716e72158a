"""学籍信息变更: the request kind. The school verifies (its headmaster, and a rural school's
central school), the bureau approves; the last approval applies the change through pupil_update,
so the field history names this request (农安县办法 第十五条)."""

from django.urls import reverse

from changes.fields import display, from_json, label
from changes.services import KIND
from xueji.accounts.models import User
from xueji.approvals.chains import StepSpec, school_then_bureau
from xueji.approvals.kinds import RequestKind
from xueji.approvals.models import ChangeRequest
from xueji.approvals.services import notify
from xueji.pupils.services import pupil_update
from xueji.pupils.visibility import SEES_LEAST, Visibility, visibility_for


class InfoChangeKind(RequestKind):
    code = KIND
    label = "学籍信息变更"

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        return school_then_bureau(request.pupil.school, school_label="学校核实：")

    def apply(self, request: ChangeRequest, actor: User) -> None:
        """The rules and dedupe run again on the record as it is now; a failure refuses the
        approval (nothing is written) and the bureau returns the request with the reason."""
        payload = request.payload
        pupil_update(
            actor=actor, pupil=request.pupil,
            changes={field: from_json(field, value) for field, value in payload["changes"].items()},
            reason=f"信息变更（申请 #{request.pk}）：{payload.get('reason', '')}"[:200], change_request_id=request.pk,
        )

    def follow_up(self, request: ChangeRequest) -> None:
        notify(request, key=f"{KIND}:{request.pk}", unit=request.started_unit,
               message=f"{request.pupil.name}的学籍信息变更已批准：" + "、".join(label(f) for f in request.payload["changes"]) + "。")

    def summary(self, request: ChangeRequest) -> str:
        return "变更" + "、".join(label(f) for f in request.payload.get("changes", {}))

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        return self._rows(request, SEES_LEAST)

    def details_for(self, request: ChangeRequest, user: User) -> list[tuple[str, str]]:
        return self._rows(request, visibility_for(user, request.pupil))

    def _rows(self, request: ChangeRequest, visibility: Visibility) -> list[tuple[str, str]]:
        """Each field's old and new value as ``visibility`` shows the field (xueji.pupils.visibility):
        the ID number masked, a field the user does not see "***"."""
        payload = request.payload
        rows = []

        def shown(field: str, value) -> str:
            masked = visibility.history_value(field, value)
            return display(field, value) if masked is value else str(masked)

        for field, new in payload.get("changes", {}).items():
            old = payload.get("before", {}).get(field)
            rows.append((label(field), f"{shown(field, old)} → {shown(field, new)}"))
        rows.append(("变更原因", payload.get("reason", "")))
        return rows

    def resubmit_url(self, request: ChangeRequest) -> str | None:
        return reverse("changes:info_change_start", args=[request.pupil_id]) + f"?resubmit={request.pk}"

    def links_for(self, request: ChangeRequest, user: User) -> list[tuple[str, str]]:
        """打印申请表: for the guardian to sign and the school and bureau to stamp, at any stage
        (whoever sees the request's page may print it: changes/printing.py)."""
        return [("打印申请表", reverse("changes:info_change_request_form", args=[request.pk]))]


ALL_KINDS = (InfoChangeKind,)
