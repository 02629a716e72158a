"""学籍信息变更申请表: one A4 page with the changes (each field's old and new value, as the printing
user sees the field), the reason, the guardian's signature and the school's and bureau's boxes,
and the QR code of the guardian's view (the common part is xueji/documents/application_forms.py);
and the page that serves it beside the request."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse

from changes.services import KIND
from xueji.accounts.models import User
from xueji.approvals.models import ChangeRequest
from xueji.approvals.scoping import get_request_for_user
from xueji.documents.application_forms import application_form_response

TITLE = "学籍信息变更申请表"
# 农安县办法 第十五条: the household register (户口簿) is the proof of an identity field.
REQUIRED_PROOF = "父母或其他监护人的书面申请；户口簿（或居民身份证等身份证件）的相关页"


def form_response(change: ChangeRequest, user: User) -> HttpResponse:
    """The information change's form as a PDF response, audited; for the page and the API alike."""
    if change.kind != KIND:
        raise Http404("没有这种申请表。")
    extra = {"reason": change.payload.get("reason", ""), "required_proof": REQUIRED_PROOF}
    return application_form_response(change, user, template="changes/application_form.html", title=TITLE, extra=extra)


@login_required
def request_form(request, request_id: int):
    """打印申请表, beside the request's page: whoever sees the request may print its form."""
    return form_response(get_request_for_user(request.user, request_id), request.user)
