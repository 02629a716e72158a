"""申请表: the printed application form of a change request, with the guardian's signature box and
one opinion box per step of the request's chain (school, central school, bureau), each with room
to sign and to stamp.

The kinds' apps say which template and title a request prints with (suspensions/printing.py,
cancellation/printing.py); what every form shares is here and in the template
``documents/application_form.html``: the pupil's identity, the guardians, the kind's ``details_for()`` rows, the proof attached, the boxes, the QR code to the guardian's progress page (unless the bureau
turned it off); the footer naming who printed it, when and
under which verification code is every document's (xueji/documents/printing.py).

The caller loads the request through ``get_request_for_user`` (404 outside the user's scope); the
pupil is printed as that user sees the record (xueji.pupils.visibility): the ID number and a G
number masked, the address and the guardians' phones "***" for those who do not see them.
Every print is recorded under its code and written to the audit log.
"""

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpResponse
from django.utils import timezone

from xueji.accounts.models import UnitKind, User
from xueji.approvals.kinds import get_kind
from xueji.approvals.models import ApprovalStep, ChangeRequest, StepStatus
from xueji.approvals.tracking import tracking_code_for, tracking_enabled, tracking_url
from xueji.documents.printing import PRINT_ACTION, PrintedPdf, pdf_response, print_pdf, printed_pupil
from xueji.documents.qr import qr_data_url
from xueji.pupils.visibility import visibility_for

# Text longer than its cell holds in two lines at the normal size is set smaller ("long" 7.5 pt,
# "longer" 6.5 pt, "longest" 5.5 pt in print.css), so that the form stays one page whatever the
# request holds (a 500-character note, two 300-character exceptions, three decided steps). The
# limits are characters that fit the cell in two lines at 9 pt, three at 7.5 pt, four at 6.5 pt;
# the cells' widths are in print.css (.application-form).
FULL_ROW_LIMITS = (90, 174, 260)  # a value across the form (154 mm)
OPINION_LIMITS = (32, 80)  # a decision's comment, after the line naming who decided (108 mm)
# A comment longer than this is cut on paper, saying so (the full text stays on the request's
# page): three opinion boxes of 1,000 characters each cannot share one A4 page with the rest.
OPINION_PRINTED_CHARS = 150
# A pair of (label, value) shares a row when both are short (a label of two lines at most, a value
# of one); anything longer takes a row of its own.
PAIRED_LABEL_CHARS = 10
PAIRED_VALUE_CHARS = 16
PROOF_NAMES_PRINTED = 8
PROOF_NAME_CHARS = 30  # a longer file name keeps its start and its end (the extension)

# The box of each kind of deciding unit: its title, who signs, whose stamp.
OPINION_BOXES = {
    UnitKind.SCHOOL: ("学校意见", ("班主任签字", "校长签字"), "学校盖章"),
    UnitKind.CENTRAL_SCHOOL: ("中心校意见", ("负责人签字",), "中心校盖章"),
    UnitKind.COUNTY_BUREAU: ("县教育局意见", ("负责人签字",), "教育局盖章"),
    UnitKind.CITY_BUREAU: ("市教育局意见", ("负责人签字",), "教育局盖章"),
    UnitKind.PROVINCE_BUREAU: ("省教育厅意见", ("负责人签字",), "教育厅盖章"),
}


@dataclass(frozen=True)
class Cell:
    label: str
    value: str
    size: str  # "", "long", "longer" or "longest"


@dataclass(frozen=True)
class Decision:
    """What the system recorded at a decided step, printed in its box."""

    result: str  # 同意 / 退回
    by: str
    at: datetime
    comment: str
    comment_size: str  # the whole record (who, when, the comment) is set in the size its comment needs


@dataclass(frozen=True)
class OpinionBox:
    title: str
    unit_name: str
    signers: tuple[str, ...]
    stamp: str
    decision: Decision | None


def text_size(text: str, limits: tuple[int, ...]) -> str:
    """The size class for text of this length: "", "long", "longer" or "longest"."""
    length = len(text or "")
    sizes = [size for size, limit in zip(("long", "longer", "longest"), limits) if length > limit]
    return sizes[-1] if sizes else ""


def detail_rows(details: list[tuple[str, str]]) -> list[list[Cell]]:
    """The kind's (label, value) rows, in their order, two to a row where both are short."""
    rows: list[list[Cell]] = []
    waiting: Cell | None = None  # a short pair waiting for a short partner
    for label, value in details:
        value = "" if value is None else str(value)
        if len(label) <= PAIRED_LABEL_CHARS and len(value) <= PAIRED_VALUE_CHARS:
            if waiting is None:
                waiting = Cell(label, value, "")
            else:
                rows.append([waiting, Cell(label, value, "")])
                waiting = None
            continue
        if waiting is not None:
            rows.append([waiting])
            waiting = None
        rows.append([Cell(label, value, text_size(value, FULL_ROW_LIMITS))])
    if waiting is not None:
        rows.append([waiting])
    return rows


def opinion_boxes(steps: list[ApprovalStep]) -> list[OpinionBox]:
    """One box per step of the chain, in order; a decided step carries who decided, when, how."""
    boxes = []
    for step in steps:
        title, signers, stamp = OPINION_BOXES.get(UnitKind(step.unit.kind), ("审批意见", ("签字",), "盖章"))
        decision = None
        if step.status in (StepStatus.APPROVED, StepStatus.REJECTED) and step.decided_at:
            comment = step.comment.strip()
            if len(comment) > OPINION_PRINTED_CHARS:
                comment = comment[:OPINION_PRINTED_CHARS] + f"……（意见全文见系统中的申请 #{step.request_id}）"
            decision = Decision(
                result="同意" if step.status == StepStatus.APPROVED else "退回",
                by=str(step.decided_by) if step.decided_by_id else "",
                at=timezone.localtime(step.decided_at),
                comment=comment,
                comment_size=text_size(comment, OPINION_LIMITS),
            )
        boxes.append(OpinionBox(title, step.unit.name, signers, stamp, decision))
    return boxes


def _short_name(name: str) -> str:
    return name if len(name) <= PROOF_NAME_CHARS else name[: PROOF_NAME_CHARS - 7] + "…" + name[-6:]


def _proof(change: ChangeRequest) -> tuple[str, str]:
    """The attached proof as one line: "label：name、name；name", the first few files by name."""
    groups: dict[str, list[str]] = {}
    attachments = list(change.attachments.all().order_by("id"))
    for attachment in attachments[:PROOF_NAMES_PRINTED]:
        groups.setdefault(attachment.label, []).append(_short_name(attachment.original_name))
    parts = [f"{label}：{'、'.join(names)}" if label else "、".join(names) for label, names in groups.items()]
    text = "；".join(parts)
    if len(attachments) > PROOF_NAMES_PRINTED:
        text += f" 等 {len(attachments)} 份"
    return text or "无", text_size(text, FULL_ROW_LIMITS)


@dataclass(frozen=True)
class Tracking:
    """The QR code in the form's top corner and the code printed beside it: the guardian's way to
    the request's progress (xueji/approvals/tracking.py)."""

    code: str
    qr: str  # a PNG in a data: URL, drawn here


def form_tracking(change: ChangeRequest) -> Tracking | None:
    """The QR code of every 申请表, whatever its kind; None where the bureau turned it off."""
    if not tracking_enabled(change):
        return None
    code = tracking_code_for(change)
    return Tracking(code=code, qr=qr_data_url(tracking_url(code)))


def form_context(change: ChangeRequest, user: User) -> dict:
    """What application_form.html prints for this request and this printing user."""
    pupil = change.pupil
    vis = visibility_for(user, pupil)
    guardians = list(pupil.guardians.order_by("position"))
    for guardian in guardians:
        guardian.shown_phone = vis.printed("phone", guardian.phone, guardian=True)
    address = vis.printed("address", pupil.address)
    steps = list(change.steps.select_related("unit", "decided_by").order_by("position"))
    proof, proof_size = _proof(change)
    return {
        "change": change,
        "pupil": pupil,
        "school": pupil.school,
        "class_name": pupil.school_class.name if pupil.school_class_id else "",
        # As the request's page shows them: a G number is "G" + the ID number, so it is masked too.
        "student_number": vis.student_number(pupil.student_number),
        "id_number": vis.id_number(pupil.id_number),
        "address": address,
        "address_size": text_size(address, FULL_ROW_LIMITS),
        "guardians": guardians,
        "details": detail_rows(get_kind(change.kind).details_for(change, user)),
        "proof": proof,
        "proof_size": proof_size,
        "boxes": opinion_boxes(steps),
        "tracking": form_tracking(change),
    }


def application_form_pdf(
    change: ChangeRequest, user: User, *, template: str, title: str, extra: dict | None = None
) -> PrintedPdf:
    """The request's 申请表 as one A4 page, printed by ``user`` (who is named in the footer, with
    the time and the verification code), recorded and written to the audit log."""
    context = {**form_context(change, user), "title": title, **(extra or {})}
    pupil = change.pupil
    return print_pdf(
        user=user, kind="application_form", title=title, template=template, context=context,
        unit=pupil.school, request=change, pupils=[printed_pupil(pupil, visibility=visibility_for(user, pupil))],
        audit_action=PRINT_ACTION, audit_obj=change,
    )


def application_form_response(change: ChangeRequest, user: User, *, template: str, title: str,
                              extra: dict | None = None) -> HttpResponse:
    """The 申请表 as a PDF response (shown in the browser, saved under a Chinese name), recorded in
    the audit log. Pages and the API both answer with this."""
    printed = application_form_pdf(change, user, template=template, title=title, extra=extra)
    return pdf_response(printed, f"{title}-{change.pupil.name}-{change.pk}.pdf")
