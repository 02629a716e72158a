"""Pages of information changes: the list of requests, the registrar's request for identity
fields, and the school's correction of the other fields. Deciding is on the engine's pages."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse

from changes import services
from changes.fields import IDENTITY_FIELDS
from changes.forms import CorrectionForm, InfoChangeForm
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.kind_views import RequestStartView
from xueji.approvals.views import request_list
from xueji.files.proof import check_uploads
from xueji.forms import show_errors
from xueji.pupils.scoping import get_pupil_for_user


@login_required
def info_change_list(request):
    return request_list(request, kinds=(services.KIND,), extra={"title": "学籍信息变更"})


class InfoChangeStart(RequestStartView):
    """The registrar's request to change identity fields, on the guardian's written request."""

    kind, form_class, title = services.KIND, InfoChangeForm, "信息变更"
    template_name = "changes/info_change_start.html"
    file_field = "proof_files"

    def get_pupil(self):
        pupil = super().get_pupil()
        if not services.may_request(self.request.user, pupil):
            raise NotAllowed("该学生的学籍信息不能再由学校修改。", code="status", hide=True)
        return pupil

    def form_kwargs(self, pupil, school):
        return {"pupil": pupil}

    def initial_from(self, old):
        return {**old.payload["changes"], "reason": old.payload.get("reason", "")}

    def start(self, pupil, school, data, resubmission_of):
        typed = {name: data[name] for name in IDENTITY_FIELDS}
        return services.info_change_start(
            actor=self.request.user, pupil=pupil, typed=typed, reason=data["reason"], resubmission_of=resubmission_of,
            guardian_files=check_uploads(data["guardian_files"]), proof_files=check_uploads(data["proof_files"]),
        )


info_change_start = InfoChangeStart.as_view()


@login_required
def pupil_correct(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    if not services.may_correct(request.user, pupil):
        raise NotAllowed("只有本校学籍管理员或校长可以更正学籍信息。", code="not_school", hide=True)
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


def pupil_actions(user, pupil) -> list[tuple[str, str]]:
    """更正学籍信息 for the school's registrar and headmaster; 申请变更关键信息 for its registrar."""
    actions = []
    if services.may_correct(user, pupil):
        actions.append(("更正学籍信息", reverse("changes:pupil_correct", args=[pupil.pk])))
    if services.may_request(user, pupil):
        actions.append(("申请变更关键信息", reverse("changes:info_change_start", args=[pupil.pk])))
    return actions
