"""Pages of information changes: the list of requests, the registrar's request for identity
fields, and the school's correction of the other fields. Deciding is on the engine's pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from changes import services
from changes.forms import CorrectionForm, InfoChangeForm
from xueji.approvals.views import request_list
from xueji.files.proof import check_uploads
from xueji.pupils.scoping import get_pupil_for_user
from xueji.web.forms import show_errors


@login_required
def info_change_list(request):
    return request_list(request, kinds=(services.KIND,), extra={"title": "学籍信息变更"})


@login_required
def info_change_start(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    if not services.may_request(request.user, pupil):
        raise Http404("只有本校学籍管理员可以发起信息变更申请。")
    try:
        old = services.resubmission_source(actor=request.user, request_id=_int(request.GET.get("resubmit")), pupil=pupil)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("pupils:pupil_detail", pupil.pk)
    # A rejected request's answers come back to be corrected (the files are chosen again).
    asked = {**old.payload["changes"], "reason": old.payload.get("reason", "")} if old else {}
    form = InfoChangeForm(request.POST or None, request.FILES or None, pupil=pupil, asked=asked)
    if request.method == "POST" and form.is_valid():
        try:
            change = services.info_change_start(
                actor=request.user, pupil=pupil, typed=form.typed(), reason=form.cleaned_data["reason"], resubmission_of=old,
                guardian_files=check_uploads(form.cleaned_data["guardian_files"]),
                proof_files=check_uploads(form.cleaned_data["proof_files"]),
            )
        except ValidationError as error:
            show_errors(form, error, file_field="proof_files")
        else:
            messages.success(request, f"信息变更申请已提交，等待{change.steps.get(position=0).label}。")
            return redirect("approvals:request_detail", change.pk)
    return render(request, "changes/info_change_start.html", {"form": form, "pupil": pupil, "old": old})


@login_required
def pupil_correct(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    if not services.may_correct(request.user, pupil):
        raise Http404("只有本校学籍管理员或校长可以更正学籍信息。")
    form = CorrectionForm(request.POST or None, pupil=pupil)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.pupil_correct(actor=request.user, pupil=pupil, typed=form.typed(),
                                             guardians=form.guardians(), note=form.cleaned_data["note"])
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "已更正：" + "、".join(changed) + "。更正已记入信息变更记录。")
            return redirect("pupils:pupil_detail", pupil.pk)
    return render(request, "changes/correct.html", {"form": form, "pupil": pupil})


def _int(value) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def pupil_actions(user, pupil) -> list[tuple[str, str]]:
    """更正学籍信息 for the school's registrar and headmaster; 申请变更关键信息 for its registrar."""
    actions = []
    if services.may_correct(user, pupil):
        actions.append(("更正学籍信息", reverse("changes:pupil_correct", args=[pupil.pk])))
    if services.may_request(user, pupil):
        actions.append(("申请变更关键信息", reverse("changes:info_change_start", args=[pupil.pk])))
    return actions
