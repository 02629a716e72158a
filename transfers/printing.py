"""The papers of a transfer: the 转学申请表 (the guardian's application, handed to the receiving
school: the pupil, the grounds, the proof listed, the guardian's signature, a box per unit of the
chain) and the 转学联系函（转学证明） that travels between the two schools (the pupil, where from and
where to, each unit of the chain with its decision printed as it is made, signature and stamp
boxes). One A4 page each, printed by the one printing service (xueji/documents/printing.py: the
verification code, the record, the audit entry); the application is the shared 申请表
(xueji/documents/application_forms.py) like a suspension's.

Whether the papers are used at all is a bureau setting (BureauSettings.transfer_paper_forms; some
provinces abolished them): the application follows the receiving school's bureau, which takes
it from the guardian; the letter the sending school's, which gives it. Where it is off the
request's page offers no link and the addresses answer with the reason (NotAllowed, audited).
Whoever sees the request (get_request_for_user, 404 outside it) may print; the pupil is printed as
that user sees the record (xueji.pupils.visibility).
"""

from dataclasses import replace

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.urls import reverse

from transfers.kinds import GROUNDS
from xueji.accounts.models import Unit, User
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.selectors import bureau_settings_for
from xueji.approvals.models import ChangeRequest
from xueji.approvals.scoping import get_request_for_user
from xueji.codes import GRADE_LABELS
from xueji.documents.application_forms import application_form_response, opinion_boxes
from xueji.documents.printing import PRINT_ACTION, pdf_response, print_pdf, printed_pupil
from xueji.pupils.models import SchoolClass
from xueji.pupils.visibility import visibility_for

APPLICATION_TITLE = "转学申请表"
LETTER_TITLE = "转学联系函（转学证明）"
LETTER_KIND = "transfer_letter"
# The proof the guardian attaches, by grounds (农安县办法 第十七条).
GROUNDS_PROOF = {
    "residence": "户口簿或居住证、房产证明或租房合同",
    "job": "父母工作调动证明",
    "migrant": "居住证、务工证明",
    "other": "能说明特殊情况的证明材料",
}
PAPERS_OFF = "本地已取消纸质转学表格（{what}），转学全程在系统中办理，无需打印。"


def papers_used(change: ChangeRequest, which: str) -> bool:
    """The bureau setting that decides whether this paper is used: the receiving school's for the
    application, the sending school's for the letter."""
    school = change.payload["to_school"] if which == "application" else change.payload["from_school"]
    return bureau_settings_for(Unit.objects.get(pk=school)).transfer_paper_forms


def paper_links(change: ChangeRequest) -> list[tuple[str, str]]:
    """The request page's links to the papers in use."""
    links = []
    if papers_used(change, "application"):
        links.append(("打印转学申请表", reverse("transfers:transfer_application_pdf", args=[change.pk])))
    if papers_used(change, "letter"):
        links.append(("打印转学联系函", reverse("transfers:transfer_letter_pdf", args=[change.pk])))
    return links


def _transfer(change: ChangeRequest, which: str) -> ChangeRequest:
    if change.kind != "transfer":
        raise Http404("只有转学申请有转学申请表和转学联系函。")
    if not papers_used(change, which):
        what = APPLICATION_TITLE if which == "application" else "转学联系函"
        raise NotAllowed(PAPERS_OFF.format(what=what), code="paper_forms_off")
    return change


def _boxes(change: ChangeRequest) -> list:
    """The chain's boxes, a school's named for its side of the move."""
    payload = change.payload
    steps = list(change.steps.select_related("unit", "decided_by").order_by("position"))
    sides = {payload["to_school"]: "转入学校意见", payload["from_school"]: "转出学校意见"}
    return [replace(box, title=sides.get(step.unit_id, box.title)) for step, box in zip(steps, opinion_boxes(steps))]


def _class_name(pk) -> str:
    school_class = SchoolClass.objects.filter(pk=pk).first() if pk else None
    return school_class.name if school_class else ""


def _sides(change: ChangeRequest) -> dict:
    payload = change.payload
    return {
        "from_school": Unit.objects.get(pk=payload["from_school"]),
        "to_school": Unit.objects.get(pk=payload["to_school"]),
        "from_class": _class_name(payload.get("from_class")),
        "to_class": _class_name(payload.get("to_class")),
        "grounds": GROUNDS.get(payload.get("grounds"), ""),
        "grade_label": GRADE_LABELS.get(change.pupil.grade, ""),
    }


def application_response(change: ChangeRequest, user: User) -> HttpResponse:
    """The 转学申请表 as a PDF response, audited; for the page and the API alike."""
    change = _transfer(change, "application")
    extra = {**_sides(change), "boxes": _boxes(change),
             "required_proof": GROUNDS_PROOF.get(change.payload.get("grounds"), "")}
    return application_form_response(change, user, template="transfers/transfer_application_form.html",
                                     title=APPLICATION_TITLE, extra=extra)


def letter_response(change: ChangeRequest, user: User) -> HttpResponse:
    """The 转学联系函 as a PDF response: the decisions made so far printed in their boxes."""
    change = _transfer(change, "letter")
    pupil = change.pupil
    vis = visibility_for(user, pupil)
    context = {
        **_sides(change), "change": change, "pupil": pupil, "title": LETTER_TITLE, "boxes": _boxes(change),
        "student_number": vis.student_number(pupil.student_number),
        "id_number": vis.id_number(pupil.id_number),
        "grounds_note": change.payload.get("grounds_note", ""),
    }
    printed = print_pdf(
        user=user, kind=LETTER_KIND, title=LETTER_TITLE, template="transfers/transfer_letter.html", context=context,
        unit=pupil.school, request=change, pupils=[printed_pupil(pupil, visibility=vis)],
        audit_action=PRINT_ACTION, audit_obj=change,
    )
    return pdf_response(printed, f"转学联系函-{pupil.name}-{change.pk}.pdf")


@login_required
def transfer_application_pdf(request, request_id: int):
    """打印转学申请表, beside the request's page."""
    return application_response(get_request_for_user(request.user, request_id), request.user)


@login_required
def transfer_letter_pdf(request, request_id: int):
    """打印转学联系函, beside the request's page."""
    return letter_response(get_request_for_user(request.user, request_id), request.user)
