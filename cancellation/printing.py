"""注销学籍申请表: one A4 page with the guardian's signature and the school's, central school's and
bureau's boxes (the common part is xueji/documents/application_forms.py), and the page that serves
it beside the request."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from cancellation.kinds import GROUNDS, GROUNDS_PROOF, KIND
from xueji.accounts.models import User
from xueji.approvals.models import ChangeRequest
from xueji.approvals.scoping import get_request_for_user
from xueji.documents.application_forms import application_form_response

TITLE = "注销学籍申请表"


def form_response(change: ChangeRequest, user: User) -> HttpResponse:
    """The cancellation's form as a PDF response, audited; for the page and the API alike."""
    if change.kind != KIND:
        raise Http404("没有这种申请表。")
    grounds = change.payload.get("grounds")
    extra = {
        "grounds": GROUNDS.get(grounds, ""),
        "required_proof": "；".join(filter(None, ["父母或其他监护人的书面申请", GROUNDS_PROOF.get(grounds, "")])),
    }
    template = "cancellation/application_form.html"
    return application_form_response(change, user, template=template, title=TITLE, extra=extra)


@login_required
def request_form(request, request_id: int):
    """打印申请表, beside the request's page: whoever sees the request may print its form."""
    return form_response(get_request_for_user(request.user, request_id), request.user)
