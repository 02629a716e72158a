"""Pages of suspensions/: the list of the school's (or the bureau's) 休学/复学/缓学 requests and
starting one from a pupil's page. Deciding is on the engine's pages."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from suspensions import services
from suspensions.forms import DeferralForm, ResumptionForm, SuspensionForm
from suspensions.kinds import SUSPENSION_KINDS
from suspensions.models import SuspensionReminder
from suspensions.reminders import is_bureau, limbo_rows
from xueji.accounts.models import Role
from xueji.accounts.permissions import NotAllowed, holds
from xueji.approvals.kind_views import RequestStartView
from xueji.approvals.views import request_list
from xueji.codes import PupilStatus
from xueji.files.proof import check_uploads
from xueji.pupils.scoping import get_pupil_for_user

ACTION_LABELS = {"suspension": "申请休学", "resumption": "申请复学", "deferral": "申请缓学"}


def _title(kind: str, pupil) -> str:
    if kind == "suspension" and pupil.status == PupilStatus.SUSPENDED:
        return "续办休学"
    return ACTION_LABELS[kind]


@login_required
def suspension_list(request):
    return request_list(request, kinds=SUSPENSION_KINDS, extra={"title": "休学、复学、缓学"})


class PupilStart(RequestStartView):
    """A 休学, 复学 or 缓学 asked at the pupil's school."""

    template_name = "suspensions/pupil_start.html"

    def success_message(self, change):
        # "休学申请已提交", not "申请休学申请已提交": the title without its verb.
        return f"{self.title.removeprefix('申请')}申请已提交，等待{change.steps.get(position=0).label}。"


class SuspensionStart(PupilStart):
    kind, form_class = "suspension", SuspensionForm

    def get_pupil(self):
        pupil = super().get_pupil()
        # 续办休学 for a pupil suspended already: the same request, continuing the period.
        self.title = _title(self.kind, pupil)
        return pupil

    def form_kwargs(self, pupil, school):
        return {"renewal": pupil.status == PupilStatus.SUSPENDED}

    def initial_from(self, old):
        payload = old.payload
        return {"grounds": payload.get("grounds"), "grounds_note": payload.get("grounds_note", ""),
                "first_absence": payload.get("period_start"), "hospital": payload.get("hospital", ""),
                "hospital_county_level": bool(payload.get("hospital"))}

    def start(self, pupil, school, data, resubmission_of):
        return services.suspension_start(
            actor=self.request.user, pupil=pupil, files=check_uploads(data["files"]), resubmission_of=resubmission_of,
            application=services.SuspensionApplication(
                grounds=data["grounds"], grounds_note=data["grounds_note"], first_absence=data.get("first_absence"),
                hospital=data["hospital"], hospital_county_level=data["hospital_county_level"],
            ),
        )


class ResumptionStart(PupilStart):
    kind, form_class, title = "resumption", ResumptionForm, ACTION_LABELS["resumption"]

    def form_kwargs(self, pupil, school):
        return {"pupil": pupil}

    def initial_from(self, old):
        return {"target_class": old.payload.get("to_class")}

    def start(self, pupil, school, data, resubmission_of):
        return services.resumption_start(actor=self.request.user, pupil=pupil, target_class=data["target_class"],
                                         files=check_uploads(data["files"]), resubmission_of=resubmission_of)


class DeferralStart(PupilStart):
    kind, form_class, title = "deferral", DeferralForm, ACTION_LABELS["deferral"]

    def initial_from(self, old):
        payload = old.payload
        return {"hospital": payload.get("hospital", ""), "hospital_county_level": bool(payload.get("hospital")),
                "note": payload.get("note", "")}

    def start(self, pupil, school, data, resubmission_of):
        return services.deferral_start(
            actor=self.request.user, pupil=pupil, hospital=data["hospital"],
            hospital_county_level=data["hospital_county_level"], note=data["note"],
            medical_files=check_uploads(data["medical_files"]), guardian_files=check_uploads(data["guardian_files"]),
            resubmission_of=resubmission_of,
        )


START_PAGES = {page.kind: page.as_view() for page in (SuspensionStart, ResumptionStart, DeferralStart)}


def suspension_pupil_start(request, pupil_id: int, kind: str):
    if kind not in START_PAGES:
        raise Http404("没有这种申请。")
    return START_PAGES[kind](request, pupil_id=pupil_id)


@login_required
def suspension_limbo(request):
    """在籍异常: the bureau's suspensions that ended without a resumption or a renewal."""
    if not is_bureau(request.user):
        raise NotAllowed("只有教育局可以查看在籍异常名单。")
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
    actions = []
    if holds(user, Role.REGISTRAR, pupil.school_id):
        actions = [(_title(kind, pupil), reverse("suspensions:suspension_pupil_start", args=[pupil.pk, kind]))
                   for kind in services.kinds_startable_for(pupil)]
    if pupil.status == PupilStatus.SUSPENDED or SuspensionReminder.objects.filter(pupil=pupil).exists():
        actions.append(("休学期满提醒", reverse("suspensions:suspension_pupil_reminders", args=[pupil.pk])))
    return actions
