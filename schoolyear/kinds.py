"""学历证明书 as a request of the approval engine (kind ``education_proof``).

A graduate's 义务教育证书 (or 毕业证书) that is lost is never reissued: the school that graduated
the pupil issues a 学历证明书, and the bureau confirms it (核准、验印: 农安县办法 第三十一条). The
school's registrar starts it, the headmaster signs it for the school (a rural school's central
school too), the bureau confirms. Nothing of the record changes; the confirmation is the bureau's
approved step, which the printed proof shows (schoolyear/documents.py). Everything lives in the
payload (no table of its own).
"""

from django.urls import reverse

from schoolyear.services import EDUCATION_PROOF
from xueji.accounts.models import User
from xueji.approvals.chains import StepSpec, school_then_bureau
from xueji.approvals.kinds import RequestKind
from xueji.approvals.models import ChangeRequest
from xueji.approvals.services import notify
from xueji.codes import GRADE_LABELS


class EducationProofKind(RequestKind):
    code = EDUCATION_PROOF
    label = "学历证明书"

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        return school_then_bureau(request.started_unit, school_label="学校出具：", bureau_label="核准")

    def follow_up(self, request: ChangeRequest) -> None:
        notify(request, key=f"{EDUCATION_PROOF}:{request.pk}", unit=request.started_unit,
               message=f"{request.pupil.name}的学历证明书已经教育局核准，可以打印交给学生。")

    def summary(self, request: ChangeRequest) -> str:
        payload = request.payload
        return f"学历证明书（{payload.get('level', '')}毕业，{payload.get('graduated_on', '')}）"

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        payload = request.payload
        return [
            ("毕业学段", f"{payload.get('level', '')}（{GRADE_LABELS.get(payload.get('grade'), '')}）"),
            ("毕业日期", payload.get("graduated_on", "")),
            ("义务教育证书编号", payload.get("certificate_number") or "未编号"),
            ("情况说明", payload.get("note") or "证书遗失，不予补发，出具学历证明书。"),
        ]

    def resubmit_url(self, request: ChangeRequest) -> str | None:
        return reverse("schoolyear:education_proof_start", args=[request.pupil_id]) + f"?resubmit={request.pk}"

    def links_for(self, request: ChangeRequest, user: User) -> list[tuple[str, str]]:
        return [("打印学历证明书", reverse("schoolyear:education_proof_pdf", args=[request.pk]))]


ALL_KINDS = (EducationProofKind,)
