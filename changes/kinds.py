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
from xueji.identity import mask_id_number
from xueji.pupils.scoping import sees_full_record
from xueji.pupils.services import pupil_update

MASKED_FIELDS = {"id_number"}


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
        return self._rows(request, masked=True)

    def details_for(self, request: ChangeRequest, user: User) -> list[tuple[str, str]]:
        return self._rows(request, masked=not sees_full_record(user, request.pupil))

    def _rows(self, request: ChangeRequest, *, masked: bool) -> list[tuple[str, str]]:
        payload = request.payload
        rows = []
        for field, new in payload.get("changes", {}).items():
            old = payload.get("before", {}).get(field)
            if masked and field in MASKED_FIELDS:
                old, new = mask_id_number(old or ""), mask_id_number(new or "")
            rows.append((label(field), f"{display(field, old)} → {display(field, new)}"))
        rows.append(("变更原因", payload.get("reason", "")))
        return rows

    def resubmit_url(self, request: ChangeRequest) -> str | None:
        return reverse("changes:info_change_start", args=[request.pupil_id]) + f"?resubmit={request.pk}"


ALL_KINDS = (InfoChangeKind,)
