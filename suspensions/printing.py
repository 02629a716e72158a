"""The application forms of suspensions/: 休学申请表 (续办休学申请表 for a renewal), 复学申请表 and
缓学申请表, one A4 page each with the signature and stamp boxes (the common part is
xueji/documents/application_forms.py), and the page that serves them beside the request."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.urls import reverse

from suspensions.kinds import GROUNDS, GROUNDS_PROOF, SUSPENSION_KINDS
from xueji.accounts.models import User
from xueji.approvals.models import ChangeRequest
from xueji.approvals.scoping import get_request_for_user
from xueji.codes import GRADE_LABELS
from xueji.documents.application_forms import application_form_response
from xueji.pupils.models import SchoolClass

PRINT_LABEL = "打印申请表"
RESUMPTION_PROOF = "县级以上（含县级）医院出具的康复证明或其他证明材料"
DEFERRAL_PROOF = "县级以上医院出具的医务证明书；家长书面缓学申请"


def form_url(change: ChangeRequest) -> str:
    return reverse("suspensions:suspension_request_form", args=[change.pk])


def _suspension(change: ChangeRequest) -> tuple[str, dict]:
    payload = change.payload
    renewal = bool(payload.get("renewal_of"))
    return ("续办休学申请表" if renewal else "休学申请表"), {
        "renewal": renewal,
        "grounds": GROUNDS.get(payload.get("grounds"), ""),
        "required_proof": GROUNDS_PROOF.get(payload.get("grounds"), ""),
    }


def _resumption(change: ChangeRequest) -> tuple[str, dict]:
    payload = change.payload
    target = SchoolClass.objects.filter(pk=payload.get("to_class")).first() if payload.get("to_class") else None
    return "复学申请表", {
        "to_grade": GRADE_LABELS.get(payload.get("to_grade"), "原年级"),
        "target_class": target.name if target else "",
        "required_proof": RESUMPTION_PROOF,
    }


def _deferral(change: ChangeRequest) -> tuple[str, dict]:
    return "缓学申请表", {"required_proof": DEFERRAL_PROOF}


FORMS = {"suspension": _suspension, "resumption": _resumption, "deferral": _deferral}


def form_response(change: ChangeRequest, user: User) -> HttpResponse:
    """The request's form as a PDF response, audited; for the page and the API alike."""
    if change.kind not in SUSPENSION_KINDS:
        raise Http404("没有这种申请表。")
    title, extra = FORMS[change.kind](change)
    template = f"suspensions/{change.kind}_form.html"
    return application_form_response(change, user, template=template, title=title, extra=extra)


@login_required
def request_form(request, request_id: int):
    """打印申请表, beside the request's page: whoever sees the request may print its form."""
    return form_response(get_request_for_user(request.user, request_id), request.user)
