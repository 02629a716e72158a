"""Pages of 注销学籍: the list of the requests the user may see, and starting one from a pupil's
page (the registrar of the pupil's school). Deciding is on the engine's pages."""

from django import forms
from django.contrib.auth.decorators import login_required
from django.urls import reverse

from cancellation import kinds, services
from xueji.approvals.kind_views import RequestStartView
from xueji.approvals.views import request_list
from xueji.files.proof import check_uploads
from xueji.forms import AttachmentsField, DateInput

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


class CancellationStart(RequestStartView):
    """申请注销学籍, from the pupil's page (the registrar of the pupil's school)."""

    kind, form_class, title = kinds.KIND, CancellationForm, "注销学籍"
    template_name = "cancellation/start.html"
    file_field = "proof_files"

    def initial_from(self, old):
        return {k: old.payload.get(k) for k in ("grounds", "date_of_death", "release_date", "country", "note")}

    def start(self, pupil, school, data, resubmission_of):
        return services.cancellation_start(
            actor=self.request.user, pupil=pupil, resubmission_of=resubmission_of,
            application=services.CancellationApplication(
                grounds=data["grounds"], note=data["note"], date_of_death=data.get("date_of_death"),
                release_date=data.get("release_date"), country=data["country"],
            ),
            guardian_files=check_uploads(data["guardian_files"]), proof_files=check_uploads(data["proof_files"]),
        )

    def success_message(self, change):
        late = "（已超过死亡之日起 10 个工作日的报告时限，标记为逾期报告）" if change.payload.get("late") else ""
        return f"注销学籍申请已提交{late}，等待{change.steps.get(position=0).label}。"


cancellation_pupil_start = CancellationStart.as_view()


def pupil_actions(user, pupil) -> list[tuple[str, str]]:
    """申请注销学籍, for the registrar of the pupil's school, while the pupil is on its roll."""
    if not services.may_start(user, pupil):
        return []
    return [("申请注销学籍", reverse("cancellation:cancellation_pupil_start", args=[pupil.pk]))]
