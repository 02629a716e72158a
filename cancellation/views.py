"""Pages of 注销学籍: the list of the requests the user may see, and starting one from a pupil's
page (the registrar of the pupil's school). Deciding is on the engine's pages."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse

from cancellation import kinds, services
from xueji.accounts.models import Membership, Role
from xueji.approvals.views import request_list
from xueji.files.proof import check_uploads
from xueji.pupils.scoping import get_pupil_for_user
from xueji.web.forms import AttachmentsField, DateInput, show_errors

PROOF_HELP = "PDF、JPG 或 PNG；PDF 不超过 5 MB，图片不超过 2 MB；可多选。"
DATE = DateInput()  # ISO values whatever the language (the picker drops 2026/09/01)


class CancellationForm(forms.Form):
    # Only the listed grounds can be chosen: dropout, withdrawal and expulsion are not among them.
    grounds = forms.ChoiceField(label="注销原因", choices=[("", "请选择"), *kinds.GROUNDS.items()],
                                error_messages={"required": "请选择注销原因。", "invalid_choice": "注销学籍只限所列情形。"})
    date_of_death = forms.DateField(label="死亡日期（学生死亡时填写；应在死亡之日起 10 个工作日内报告）",
                                    required=False, widget=DATE)
    release_date = forms.DateField(label="刑满日期（因服刑注销时填写）", required=False, widget=DATE)
    country = forms.CharField(label="定居国家（地区）（出国（境）定居时填写）", required=False, max_length=50)
    note = forms.CharField(label="情况说明", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    guardian_files = AttachmentsField(label="父母或其他监护人的书面申请", help_text=PROOF_HELP,
                                      error_messages={"required": "请上传监护人的书面申请。"})
    proof_files = AttachmentsField(
        label="证明材料",
        help_text="；".join(f"{kinds.GROUNDS[k]}：{v}" for k, v in kinds.GROUNDS_PROOF.items()) + "。" + PROOF_HELP,
        error_messages={"required": "请上传证明材料。"},
    )


@login_required
def cancellation_list(request):
    return request_list(request, kinds=(kinds.KIND,), extra={"title": "注销学籍"})


@login_required
def cancellation_pupil_start(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    registrar = Membership.objects.filter(user=request.user, unit_id=pupil.school_id, role=Role.REGISTRAR)
    if not registrar.exists():
        raise Http404("只有本校学籍管理员可以发起注销学籍申请。")
    try:
        resubmit = _int(request.GET.get("resubmit"))
        old = services.resubmission_source(actor=request.user, request_id=resubmit, pupil=pupil)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("pupils:pupil_detail", pupil.pk)
    # A rejected request's answers come back to be corrected (the files are chosen again).
    initial = {k: old.payload.get(k) for k in ("grounds", "date_of_death", "release_date", "country", "note")} if old else {}
    form = CancellationForm(request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = services.cancellation_start(
                actor=request.user, pupil=pupil, resubmission_of=old,
                application=services.CancellationApplication(
                    grounds=data["grounds"], note=data["note"], date_of_death=data.get("date_of_death"),
                    release_date=data.get("release_date"), country=data["country"],
                ),
                guardian_files=check_uploads(data["guardian_files"]), proof_files=check_uploads(data["proof_files"]),
            )
        except ValidationError as error:
            show_errors(form, error, file_field="proof_files")
        else:
            late = "（已超过死亡之日起 10 个工作日的报告时限，标记为逾期报告）" if change.payload.get("late") else ""
            messages.success(request, f"注销学籍申请已提交{late}，等待{change.steps.get(position=0).label}。")
            return redirect("approvals:request_detail", change.pk)
    return render(request, "cancellation/start.html", {"form": form, "pupil": pupil, "old": old})


def _int(value) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def pupil_actions(user, pupil) -> list[tuple[str, str]]:
    """申请注销学籍, for the registrar of the pupil's school, while the pupil is on its roll."""
    if not services.may_start(user, pupil):
        return []
    return [("申请注销学籍", reverse("cancellation:cancellation_pupil_start", args=[pupil.pk]))]
