"""Pages of suspensions/: the list of the school's (or the bureau's) 休学/复学/缓学 requests and
starting one from a pupil's page. Deciding is on the engine's pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone

from suspensions import services
from suspensions.forms import DeferralForm, ResumptionForm, SuspensionForm
from suspensions.kinds import SUSPENSION_KINDS
from suspensions.models import SuspensionReminder
from suspensions.reminders import is_bureau, limbo_rows
from xueji.accounts.models import Membership, Role
from xueji.approvals.views import request_list
from xueji.codes import PupilStatus
from xueji.files.proof import check_uploads
from xueji.pupils.scoping import get_pupil_for_user
from xueji.web.forms import show_errors

ACTION_LABELS = {"suspension": "申请休学", "resumption": "申请复学", "deferral": "申请缓学"}


def _title(kind: str, pupil) -> str:
    if kind == "suspension" and pupil.status == PupilStatus.SUSPENDED:
        return "续办休学"
    return ACTION_LABELS[kind]


@login_required
def suspension_list(request):
    return request_list(request, kinds=SUSPENSION_KINDS, extra={"title": "休学、复学、缓学"})


@login_required
def suspension_pupil_start(request, pupil_id: int, kind: str):
    if kind not in SUSPENSION_KINDS:
        raise Http404("没有这种申请。")
    pupil = get_pupil_for_user(request.user, pupil_id)
    if not Membership.objects.filter(user=request.user, unit_id=pupil.school_id, role=Role.REGISTRAR).exists():
        raise Http404("只有本校学籍管理员可以发起申请。")
    try:
        old = services.resubmission_source(actor=request.user, request_id=_int(request.GET.get("resubmit")), pupil=pupil, kind=kind)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("pupils:pupil_detail", pupil.pk)
    data, files = request.POST or None, request.FILES or None
    initial = _resubmitted_values(kind, old) if old else {}
    if kind == "suspension":
        form = SuspensionForm(data, files, renewal=pupil.status == PupilStatus.SUSPENDED, initial=initial)
    elif kind == "resumption":
        form = ResumptionForm(data, files, pupil=pupil, initial=initial)
    else:
        form = DeferralForm(data, files, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            change = _start(request.user, pupil, kind, form.cleaned_data, old)
        except ValidationError as error:
            show_errors(form, error, file_field="files")
        else:
            # "休学申请已提交", not "申请休学申请已提交": the title without its verb.
            what = _title(kind, pupil).removeprefix("申请")
            messages.success(request, f"{what}申请已提交，等待{change.steps.get(position=0).label}。")
            return redirect("approvals:request_detail", change.pk)
    return render(request, "suspensions/pupil_start.html", {"form": form, "pupil": pupil, "title": _title(kind, pupil), "old": old})


def _resubmitted_values(kind: str, old) -> dict:
    """A rejected request's answers, so that the registrar corrects them rather than types them
    all again (the files are chosen again: a browser cannot be handed files)."""
    payload = old.payload
    if kind == "suspension":
        return {"grounds": payload.get("grounds"), "grounds_note": payload.get("grounds_note", ""),
                "first_absence": payload.get("period_start"), "hospital": payload.get("hospital", ""),
                "hospital_county_level": bool(payload.get("hospital"))}
    if kind == "resumption":
        return {"target_class": payload.get("to_class")}
    return {"hospital": payload.get("hospital", ""), "hospital_county_level": bool(payload.get("hospital")),
            "note": payload.get("note", "")}


def _start(user, pupil, kind: str, data: dict, old):
    if kind == "suspension":
        return services.suspension_start(
            actor=user, pupil=pupil, files=check_uploads(data["files"]), resubmission_of=old,
            application=services.SuspensionApplication(
                grounds=data["grounds"], grounds_note=data["grounds_note"], first_absence=data.get("first_absence"),
                hospital=data["hospital"], hospital_county_level=data["hospital_county_level"],
            ),
        )
    if kind == "resumption":
        return services.resumption_start(actor=user, pupil=pupil, target_class=data["target_class"],
                                         files=check_uploads(data["files"]), resubmission_of=old)
    return services.deferral_start(
        actor=user, pupil=pupil, hospital=data["hospital"], hospital_county_level=data["hospital_county_level"],
        note=data["note"], medical_files=check_uploads(data["medical_files"]),
        guardian_files=check_uploads(data["guardian_files"]), resubmission_of=old,
    )


def _int(value) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@login_required
def suspension_limbo(request):
    """在籍异常: the bureau's suspensions that ended without a resumption or a renewal."""
    if not is_bureau(request.user):
        raise PermissionDenied("只有教育局可以查看在籍异常名单。")
    today = timezone.localdate()
    return render(request, "suspensions/limbo.html", {"rows": limbo_rows(request.user, today), "today": today})


@login_required
def suspension_pupil_reminders(request, pupil_id: int):
    """The reminders sent to the school about the pupil's suspensions (evidence on the record)."""
    pupil = get_pupil_for_user(request.user, pupil_id)
    reminders = SuspensionReminder.objects.filter(pupil=pupil).select_related("request").order_by("-day", "-id")
    return render(request, "suspensions/pupil_reminders.html", {
        "pupil": pupil, "reminders": reminders, "ends": services.current_period_end(pupil), "today": timezone.localdate(),
    })


def pupil_actions(user, pupil) -> list[tuple[str, str]]:
    """The requests of this app the pupil's own school's registrar may start today; the record of
    suspension reminders for whoever sees a pupil who is (or was) suspended."""
    from django.urls import reverse

    actions = []
    if Membership.objects.filter(user=user, unit_id=pupil.school_id, role=Role.REGISTRAR).exists():
        actions = [(_title(kind, pupil), reverse("suspensions:suspension_pupil_start", args=[pupil.pk, kind]))
                   for kind in services.kinds_startable_for(pupil)]
    if pupil.status == PupilStatus.SUSPENDED or SuspensionReminder.objects.filter(pupil=pupil).exists():
        actions.append(("休学期满提醒", reverse("suspensions:suspension_pupil_reminders", args=[pupil.pk])))
    return actions
