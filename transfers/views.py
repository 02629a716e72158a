"""Pages of transfers/: the transfer list, starting a transfer in, starting the pupil's own
requests (abroad, return, out), confirming arrival. Deciding is on the engine's pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from transfers import services
from transfers.forms import AbroadReturnForm, ArrivalForm, StudyAbroadForm, TransferOutForm, TransferStartForm
from xueji.accounts.models import Role
from xueji.accounts.scoping import current_membership, memberships_of
from xueji.accounts.selectors import bureau_settings_for
from xueji.approvals.kinds import kind_label
from xueji.approvals.scoping import get_request_for_user
from xueji.approvals.views import request_list
from xueji.files.proof import check_uploads
from xueji.pupils.scoping import get_pupil_for_user
from xueji.web.forms import show_errors

TRANSFER_KINDS = ("transfer", "study_abroad", "abroad_return", "transfer_out")
PUPIL_KINDS = {"study_abroad": StudyAbroadForm, "abroad_return": AbroadReturnForm, "transfer_out": TransferOutForm}


def registrar_school(request):
    """The school the user is registrar of (the current role's, else the first such)."""
    current = current_membership(request)
    if current is not None and current.role == Role.REGISTRAR:
        return current.unit
    school = next((m.unit for m in memberships_of(request.user) if m.role == Role.REGISTRAR), None)
    if school is None:
        raise Http404("只有学校学籍管理员可以发起申请。")
    return school


@login_required
def transfer_list(request):
    is_registrar = any(m.role == Role.REGISTRAR for m in memberships_of(request.user))
    extra = {"title": "转学与出境", "start_url": reverse("transfers:transfer_start") if is_registrar else "", "start_label": "发起转入申请"}
    return request_list(request, kinds=TRANSFER_KINDS, extra=extra)


@login_required
def transfer_start(request):
    school = registrar_school(request)
    old = None
    try:
        old = services.resubmission_source(actor=request.user, request_id=_int(request.GET.get("resubmit")))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("transfers:transfer_list")
    initial = {}
    if old is not None:
        initial = {"number": old.pupil.student_number, "name": old.pupil.name, "grounds": old.payload.get("grounds"),
                   "grounds_note": old.payload.get("grounds_note"), "target_class": old.payload.get("to_class")}
    form = TransferStartForm(request.POST or None, request.FILES or None, school=school, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            files = check_uploads(data["files"])
            change = services.transfer_start(
                actor=request.user, school=school, files=files, resubmission_of=old,
                application=services.TransferApplication(
                    number=data["number"], name=data["name"], grounds=data["grounds"],
                    grounds_note=data["grounds_note"], target_class=data["target_class"],
                ),
            )
        except ValidationError as error:
            show_errors(form, error, file_field="files")
        else:
            messages.success(request, f"转学申请已提交，等待{change.steps.get(position=0).label}。")
            return redirect("approvals:request_detail", change.pk)
    context = {"form": form, "school": school, "old": old, "working_days": bureau_settings_for(school).approval_working_days}
    return render(request, "transfers/transfer_start.html", context)


@login_required
def pupil_request_start(request, pupil_id: int, kind: str):
    """Start one of the pupil's own requests: study abroad, return from abroad, transfer out."""
    if kind not in PUPIL_KINDS:
        raise Http404("没有这种申请。")
    pupil = get_pupil_for_user(request.user, pupil_id)
    if not any(m.role == Role.REGISTRAR and m.unit_id == pupil.school_id for m in memberships_of(request.user)):
        raise Http404("只有本校学籍管理员可以发起申请。")
    form_class = PUPIL_KINDS[kind]
    options = {"school": pupil.school} if kind == "abroad_return" else {}
    form = form_class(request.POST or None, request.FILES or None, **options)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            files = check_uploads(data.get("files") or [])
            if kind == "study_abroad":
                change = services.study_abroad_start(actor=request.user, pupil=pupil, country=data["country"],
                                                     departure_date=data["departure_date"], note=data["note"], files=files)
            elif kind == "abroad_return":
                change = services.abroad_return_start(actor=request.user, pupil=pupil, return_date=data["return_date"],
                                                      target_class=data["target_class"], files=files)
            else:
                change = services.transfer_out_start(actor=request.user, pupil=pupil, destination=data["destination"],
                                                     reason=data["reason"], files=files)
        except ValidationError as error:
            show_errors(form, error, file_field="files")
        else:
            messages.success(request, "申请已提交。")
            return redirect("approvals:request_detail", change.pk)
    return render(request, "transfers/pupil_request_start.html", {"form": form, "pupil": pupil, "title": kind_label(kind)})


@login_required
def transfer_arrive(request, request_id: int):
    change = get_request_for_user(request.user, request_id)
    school = registrar_school(request)
    if change.kind != "transfer" or change.payload.get("to_school") != school.pk:
        raise Http404("只有转入学校的学籍管理员可以确认报到。")
    form = ArrivalForm(request.POST or None, school=school, grade=change.pupil.grade,
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


def _int(value) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def pupil_actions(user, pupil) -> list[tuple[str, str]]:
    """The requests of this app the user may start from the pupil's page: the pupil's own
    school's registrar, for the pupil's status."""
    from xueji.accounts.models import Membership

    if not Membership.objects.filter(user=user, unit_id=pupil.school_id, role=Role.REGISTRAR).exists():
        return []
    return [(kind_label(kind), reverse("transfers:pupil_request_start", args=[pupil.pk, kind])) for kind in services.kinds_startable_for(pupil)]
