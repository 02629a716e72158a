"""Pages of transfers/: the transfer list, starting a transfer in, starting the pupil's own
requests (abroad, return, out), confirming arrival. Each start page is the engine's
RequestStartView with this app's form and service; deciding is on the engine's pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from transfers import services
from transfers.forms import AbroadReturnForm, ArrivalForm, StudyAbroadForm, TransferOutForm, TransferStartForm
from transfers.kinds import TRANSFER_KINDS
from xueji.accounts.models import Role
from xueji.accounts.permissions import acting_school, holds, holds_anywhere, require
from xueji.accounts.selectors import bureau_settings_for
from xueji.approvals.kind_views import RequestStartView
from xueji.approvals.kinds import kind_label
from xueji.approvals.scoping import get_request_for_user
from xueji.approvals.views import request_list
from xueji.files.proof import check_uploads
from xueji.forms import show_errors


@login_required
def transfer_list(request):
    start_url = reverse("transfers:transfer_start") if holds_anywhere(request.user, Role.REGISTRAR) else ""
    extra = {"title": "转学与出境", "start_url": start_url, "start_label": "发起转入申请"}
    return request_list(request, kinds=TRANSFER_KINDS, extra=extra)


class TransferStart(RequestStartView):
    """The receiving school's registrar starts a transfer in, finding the pupil by 学籍号 (or ID
    number) and name."""

    kind = "transfer"
    form_class = TransferStartForm
    template_name = "transfers/transfer_start.html"
    title = "转学"

    def get_pupil(self):
        return None  # found by the service from the number and the name

    def get_school(self, pupil):
        return acting_school(self.request, hide=True)

    def form_kwargs(self, pupil, school):
        return {"school": school}

    def initial_from(self, old):
        return {"number": old.pupil.student_number, "name": old.pupil.name, "grounds": old.payload.get("grounds"),
                "grounds_note": old.payload.get("grounds_note"), "target_class": old.payload.get("to_class")}

    def refused_url(self, pupil):
        return reverse("transfers:transfer_list")

    def context(self, pupil, school):
        return {"working_days": bureau_settings_for(school).approval_working_days}

    def start(self, pupil, school, data, resubmission_of):
        return services.transfer_start(
            actor=self.request.user, school=school, files=check_uploads(data["files"]), resubmission_of=resubmission_of,
            application=services.TransferApplication(
                number=data["number"], name=data["name"], grounds=data["grounds"],
                grounds_note=data["grounds_note"], target_class=data["target_class"],
            ),
        )


class PupilRequestStart(RequestStartView):
    """One of the pupil's own requests, asked at the pupil's school."""

    template_name = "transfers/pupil_request_start.html"

    def success_message(self, change):
        return "申请已提交。"


class StudyAbroadStart(PupilRequestStart):
    kind, form_class, title = "study_abroad", StudyAbroadForm, "出境学习"

    def initial_from(self, old):
        return {key: old.payload.get(key) for key in ("country", "departure_date", "note")}

    def start(self, pupil, school, data, resubmission_of):
        return services.study_abroad_start(
            actor=self.request.user, pupil=pupil, country=data["country"], departure_date=data["departure_date"],
            note=data["note"], files=check_uploads(data["files"]), resubmission_of=resubmission_of,
        )


class AbroadReturnStart(PupilRequestStart):
    kind, form_class, title = "abroad_return", AbroadReturnForm, "出境学习回国复学"

    def form_kwargs(self, pupil, school):
        return {"school": school}

    def initial_from(self, old):
        return {"return_date": old.payload.get("return_date"), "target_class": old.payload.get("to_class")}

    def start(self, pupil, school, data, resubmission_of):
        return services.abroad_return_start(
            actor=self.request.user, pupil=pupil, return_date=data["return_date"], target_class=data["target_class"],
            files=check_uploads(data.get("files") or []), resubmission_of=resubmission_of,
        )


class TransferOutStart(PupilRequestStart):
    kind, form_class, title = "transfer_out", TransferOutForm, "转出（系统外）"

    def initial_from(self, old):
        return {key: old.payload.get(key) for key in ("destination", "reason")}

    def start(self, pupil, school, data, resubmission_of):
        return services.transfer_out_start(
            actor=self.request.user, pupil=pupil, destination=data["destination"], reason=data["reason"],
            files=check_uploads(data.get("files") or []), resubmission_of=resubmission_of,
        )


transfer_start = TransferStart.as_view()
PUPIL_PAGES = {page.kind: page.as_view() for page in (StudyAbroadStart, AbroadReturnStart, TransferOutStart)}


def pupil_request_start(request, pupil_id: int, kind: str):
    """Start one of the pupil's own requests: study abroad, return from abroad, transfer out."""
    if kind not in PUPIL_PAGES:
        raise Http404("没有这种申请。")
    return PUPIL_PAGES[kind](request, pupil_id=pupil_id)


@login_required
def transfer_arrive(request, request_id: int):
    change = get_request_for_user(request.user, request_id)
    if change.kind != "transfer":
        raise Http404("只有转学可以确认报到。")
    school_id = change.payload.get("to_school")
    require(request.user, Role.REGISTRAR, school_id, message="只有转入学校的学籍管理员可以确认报到。",
            code="not_registrar", hide=True)
    form = ArrivalForm(request.POST or None, school=change.started_unit, grade=change.pupil.grade,
                       initial={"school_class": change.pupil.school_class_id})
    if request.method == "POST" and form.is_valid():
        try:
            services.transfer_confirm_arrival(actor=request.user, request=change, school_class=form.cleaned_data["school_class"])
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"{change.pupil.name}已报到。")
            return redirect("approvals:request_detail", change.pk)
    return render(request, "transfers/arrive.html", {"form": form, "change": change})


def pupil_actions(user, pupil) -> list[tuple[str, str]]:
    """The requests of this app the user may start from the pupil's page: the pupil's own
    school's registrar, for the pupil's status."""
    if not holds(user, Role.REGISTRAR, pupil.school_id):
        return []
    return [(kind_label(kind), reverse("transfers:pupil_request_start", args=[pupil.pk, kind]))
            for kind in services.kinds_startable_for(pupil)]
