"""Pages of transfers/: the transfer list, starting a transfer in, starting the pupil's own
requests (abroad, return, out), confirming arrival. Each start page is the engine's
RequestStartView with this app's form and service; deciding is on the engine's pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from transfers import services
from transfers.forms import (AbroadReturnForm, ArrivalForm, StudyAbroadForm, TransferLookupForm, TransferOutForm,
                             TransferStartForm)
from transfers.kinds import TRANSFER_KINDS
from xueji.accounts.models import Role
from xueji.accounts.permissions import acting_school, holds, holds_anywhere, require
from xueji.accounts.selectors import bureau_settings_for
from xueji.approvals.kind_views import RequestStartView, request_id_param
from xueji.approvals.kinds import kind_label
from xueji.approvals.scoping import get_request_for_user
from xueji.approvals.services import resubmission_source
from xueji.approvals.views import request_list
from xueji.files.pending import draft_token, pending_checked, pending_discard, pending_keep, pending_list, pending_remove
from xueji.files.proof import check_uploads
from xueji.forms import show_errors


@login_required
def transfer_list(request):
    start_url = reverse("transfers:transfer_start") if holds_anywhere(request.user, Role.REGISTRAR) else ""
    extra = {"title": "转学与出境", "start_url": start_url, "start_label": "发起转入申请"}
    return request_list(request, kinds=TRANSFER_KINDS, extra=extra)


# The lookups of the user's open transfer drafts, in the session (server side), by draft token:
# the pupil found, the grade and the school year that choose the classes offered.
DRAFTS_KEY = "transfer_drafts"
DRAFTS_KEPT = 5


class TransferStart(LoginRequiredMixin, View):
    """The receiving school's registrar starts a transfer in, in two steps that work without
    script: first the pupil is looked up by 学籍号 (or ID number) and name (transfers.services.
    transfer_lookup: refused as "not found" when the pupil may not transfer here); then the form
    shows the pupil's grade and only the school's classes of that grade with room. The proof
    files are kept with the form's draft as soon as they are chosen (xueji/files/pending.py), so a
    refused submit lists them instead of asking for them again. ``?resubmit=<id>`` corrects a
    rejected transfer: the pupil is looked up again and the form comes back filled in."""

    kind = "transfer"
    template_name = "transfers/transfer_start.html"

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if request.method not in ("GET", "POST"):
            return self.http_method_not_allowed(request, *args, **kwargs)
        self.school = acting_school(request, hide=True)
        try:
            self.old = resubmission_source(actor=request.user, kind=self.kind, unit=self.school,
                                           request_id=request_id_param(request.GET.get("resubmit")), pupil=None)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
            return redirect("transfers:transfer_list")
        if request.method == "POST" and request.POST.get("step") == "apply":
            return self.apply(draft_token(request.POST.get("draft")))
        if request.method == "POST" or self.old is None:
            return self.lookup()
        return self.lookup_old()

    # Step 1: who is the pupil? ---------------------------------------------------------------

    def lookup(self, note: str = ""):
        form = TransferLookupForm(self.request.POST if self.request.method == "POST" and not note else None)
        # A lookup made again for a draft that lost its lookup keeps the draft, and its files.
        draft = draft_token(self.request.POST.get("draft"))
        if form.is_bound and form.is_valid():
            try:
                found = services.transfer_lookup(actor=self.request.user, school=self.school,
                                                 number=form.cleaned_data["number"], name=form.cleaned_data["name"])
            except ValidationError as error:
                show_errors(form, error)
            else:
                self.remember(draft, found)
                return self.render_apply(draft, self.drafts()[draft], TransferStartForm(
                    classes=found.classes, grade_label=found.grade_label))
        return self.render({"step": "lookup", "form": form, "note": note,
                            "draft": draft if self.request.POST.get("draft") else ""})

    def lookup_old(self):
        """A rejected transfer corrected: its pupil looked up again, its answers filled in."""
        old = self.old
        number = old.pupil.student_number or old.pupil.id_number
        try:
            found = services.transfer_lookup(actor=self.request.user, school=self.school, number=number,
                                             name=old.pupil.name)
        except ValidationError as error:
            form = TransferLookupForm(initial={"name": old.pupil.name})
            show_errors(form, error)
            return self.render({"step": "lookup", "form": form})
        draft = draft_token()
        self.remember(draft, found)
        initial = {"grounds": old.payload.get("grounds"), "grounds_note": old.payload.get("grounds_note"),
                   "target_class": old.payload.get("to_class")}
        return self.render_apply(draft, self.drafts()[draft], TransferStartForm(
            initial=initial, classes=found.classes, grade_label=found.grade_label))

    # Step 2: the application ------------------------------------------------------------------

    def apply(self, draft: str):
        user = self.request.user
        # The files chosen are kept first, whatever else the form gets wrong.
        file_errors = pending_keep(user=user, draft=draft, uploads=self.request.FILES.getlist("files"))
        removing = "remove" in self.request.POST  # the button that takes ticked files off the form
        if removing:
            ids = [int(v) for v in self.request.POST.getlist("remove_file") if v.isdigit()]
            pending_remove(user=user, draft=draft, ids=ids)
        found = self.drafts().get(draft)
        if found is None or found["school"] != self.school.pk:
            return self.lookup(note="查找结果已过期，请重新查找学生（已上传的证明材料仍然保留）。")
        classes = services.classes_with_room(self.school, found["grade"], found["school_year"])
        has_files = bool(pending_list(user=user, draft=draft)) or bool(file_errors) or removing
        form = TransferStartForm(self.request.POST, classes=classes, grade_label=found["grade_label"],
                                 has_files=has_files)
        valid = form.is_valid()
        for message in file_errors:
            form.add_error("files", message)
        if valid and not file_errors and not removing:
            data = form.cleaned_data
            try:
                change = services.transfer_start(
                    actor=user, school=self.school, files=pending_checked(user=user, draft=draft),
                    resubmission_of=self.old,
                    application=services.TransferApplication(
                        number=found["number"], name=found["name"], grounds=data["grounds"],
                        grounds_note=data["grounds_note"], target_class=data["target_class"],
                    ),
                )
            except ValidationError as error:
                show_errors(form, error, file_field="files")
            else:
                pending_discard(user=user, draft=draft)
                self.forget(draft)
                messages.success(self.request, f"转学申请已提交，等待{change.steps.get(position=0).label}。")
                return redirect("approvals:request_detail", change.pk)
        return self.render_apply(draft, found, form)

    def render_apply(self, draft: str, found: dict, form):
        return self.render({"step": "apply", "form": form, "draft": draft, "found": found,
                            "kept": pending_list(user=self.request.user, draft=draft)})

    def render(self, context: dict):
        context = {"school": self.school, "old": self.old, "title": "转学",
                   "working_days": bureau_settings_for(self.school).approval_working_days, **context}
        return render(self.request, self.template_name, context)

    # The drafts' lookups in the session ---------------------------------------------------------

    def drafts(self) -> dict:
        return self.request.session.get(DRAFTS_KEY, {})

    def remember(self, draft: str, found: services.TransferLookup) -> None:
        drafts = dict(self.drafts())
        drafts[draft] = {"school": self.school.pk, "number": found.number, "name": found.name,
                         "grade": found.grade, "grade_label": found.grade_label,
                         "school_year": found.school_year_id, "from_school_name": found.from_school_name}
        self.request.session[DRAFTS_KEY] = dict(list(drafts.items())[-DRAFTS_KEPT:])

    def forget(self, draft: str) -> None:
        drafts = dict(self.drafts())
        drafts.pop(draft, None)
        self.request.session[DRAFTS_KEY] = drafts


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
