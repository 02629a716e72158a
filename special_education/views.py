"""Pages of 降级: the list of the requests the user may see, and starting one from a pupil's page
(the registrar of the pupil's school). Deciding is on the engine's pages."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.urls import reverse

from special_education import kinds, services
from special_education.forms import GradeDownForm
from xueji.approvals.kind_views import RequestStartView
from xueji.approvals.views import request_list
from xueji.files.proof import check_uploads


@login_required
def grade_down_list(request):
    return request_list(request, kinds=(kinds.KIND,), extra={"title": "降级（特殊教育学生）"})


class GradeDownStart(RequestStartView):
    """申请降级, from the pupil's page (the registrar of the pupil's school). A pupil who may not
    move down a grade (not a special-education pupil, not in school, in the lowest grade) sees
    the reason instead of the form."""

    kind, form_class, title = kinds.KIND, GradeDownForm, "申请降级"
    template_name = "special_education/grade_down_start.html"
    file_field = "proof_files"

    def form_kwargs(self, pupil, school):
        return {"pupil": pupil}

    def initial_from(self, old):
        return {"target_class": old.payload.get("to_class"), "reason": old.payload.get("reason", "")}

    def context(self, pupil, school):
        try:
            services.check_eligible(pupil)
        except ValidationError as error:
            return {"refusal": "；".join(error.messages)}
        return {"refusal": ""}

    def start(self, pupil, school, data, resubmission_of):
        return services.grade_down_start(
            actor=self.request.user, pupil=pupil, target_class=data["target_class"], reason=data["reason"],
            guardian_files=check_uploads(data["guardian_files"]), proof_files=check_uploads(data["proof_files"]),
            resubmission_of=resubmission_of,
        )

    def success_message(self, change):
        return f"降级申请已提交，等待{change.steps.get(position=0).label}。"


grade_down_pupil_start = GradeDownStart.as_view()


def pupil_actions(user, pupil) -> list[tuple[str, str]]:
    """申请降级, for the registrar of the pupil's school, for a special-education pupil in school."""
    if not services.may_start(user, pupil):
        return []
    return [("申请降级", reverse("special_education:grade_down_pupil_start", args=[pupil.pk]))]
