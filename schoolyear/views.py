"""Pages of schoolyear/: the graduation countdown and a school's graduation (list, confirm, result),
the promotion plan and runs, certificate numbers, and the 学历证明书.

Schools are loaded through selectors.get_followed_school (404 outside the user's scope, 403 for a
role that does not follow a school's year); runs through get_run_for_user; requests through the
engine's get_request_for_user."""


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from schoolyear import selectors, services
from schoolyear.dates import graduating_grade, level_label, promotable_grades, school_year_start, summer_of
from schoolyear.documents import education_proof_pdf
from schoolyear.exports import CODE as EXPORT_CODE
from schoolyear.exports import certificate_scope_value
from schoolyear.forms import CertificateAssignForm, EducationProofForm, GraduationConfirmForm, NextClassForm
from schoolyear.models import PromotionRun
from xueji.accounts.models import Role
from xueji.accounts.permissions import NotAllowed, holds, require_registrar
from xueji.accounts.scoping import NotInScope, object_id
from xueji.approvals.kind_views import RequestStartView
from xueji.approvals.scoping import get_request_for_user
from xueji.approvals.views import request_list
from xueji.codes import GRADE_LABELS, PupilStatus
from xueji.documents.job_views import job_start
from xueji.documents.printing import pdf_response
from xueji.forms import show_errors


def _require_follower(user) -> None:
    if not selectors.follows_any_school(user):
        raise NotAllowed("您的角色不办理毕业、升级和证书。")


def _today_and_year():
    today = timezone.localdate()
    return today, school_year_start(today)


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# Graduation ----------------------------------------------------------------------------------

@login_required
def graduation_overview(request):
    """毕业倒计时: per school, what still blocks graduation and the days left."""
    _require_follower(request.user)
    today, start_year = _today_and_year()
    rows = selectors.graduation_rows(request.user, today, start_year)
    return render(request, "schoolyear/graduation_overview.html", {
        "rows": rows, "today": today, "start_year": start_year,
        "blocked": sum(1 for r in rows if r.blocked), "pending": sum(len(r.pending) for r in rows),
    })


@login_required
def graduation_school(request, school_id: int):
    """A school's graduating grade: who graduates, who is listed, what blocks, what was done."""
    school = selectors.get_followed_school(request.user, school_id)
    today, start_year = _today_and_year()
    state = selectors.graduation_state(school, today, start_year)
    return render(request, "schoolyear/graduation_school.html", {
        "school": school, "state": state, "start_year": start_year, "level": level_label(state.grade),
        "full": selectors.sees_school_records(request.user, school),
        "may_act": selectors.is_registrar(request.user, school), "grade_label": GRADE_LABELS[state.grade],
    })


@login_required
@require_http_methods(["GET", "POST"])
def graduation_list_pdf(request, school_id: int):
    """毕业生名册 (PDF): the list to check and sign before graduation, the graduates after. A
    worker prints it (schoolyear/jobs.py, GraduateListJob); POST starts the job (or finds the
    kept file) and leads to its page, GET shows the button."""
    _today, start_year = _today_and_year()
    return job_start(request, "graduate_list", {"school": object_id(school_id), "start_year": start_year})


@login_required
def graduation_confirm(request, school_id: int):
    """The confirm step: the list once more, the registrar ticks that it is checked, then the
    pupils graduate (one transaction)."""
    school = selectors.get_followed_school(request.user, school_id)
    require_registrar(request.user, school, message="只有本校学籍管理员可以办理毕业。")
    today, start_year = _today_and_year()
    state = selectors.graduation_state(school, today, start_year)
    form = GraduationConfirmForm(request.POST or None, initial={"expected": len(state.enrolled)})
    if request.method == "POST":
        if form.is_valid():
            try:
                graduation = services.graduation_perform(
                    actor=request.user, school=school, today=today, expected_count=form.cleaned_data["expected"]
                )
            except ValidationError as error:
                _errors(request, error)
                return redirect("schoolyear:graduation_school", school.pk)
            messages.success(request, f"已为 {graduation.count} 名学生办理毕业。")
            return redirect("schoolyear:graduation_school", school.pk)
    return render(request, "schoolyear/graduation_confirm.html", {
        "school": school, "state": state, "form": form, "level": level_label(state.grade), "full": True,
        "grade_label": GRADE_LABELS[state.grade],
    })


# Promotion -----------------------------------------------------------------------------------

@login_required
def promotion_overview(request):
    """升级: this year's run of each bureau the user follows, the schools' plans, past runs."""
    _require_follower(request.user)
    today, start_year = _today_and_year()
    runs = list(selectors.runs_visible_to(request.user).select_related("bureau").order_by("-year", "bureau__path")[:50])
    bureaus = []
    for bureau in selectors.promotion_bureaus_of(request.user):
        if not selectors.supervised_schools(bureau):
            continue  # a city or province bureau whose schools are all under its counties
        year = today.year
        opens, closes = selectors.promotion_window(bureau, year)
        if today > closes:  # this summer's is over: the next one
            year += 1
            opens, closes = selectors.promotion_window(bureau, year)
        run = next((r for r in runs if r.bureau_id == bureau.pk and r.year == year), None)
        bureaus.append({
            "bureau": bureau, "year": year, "opens": opens, "closes": closes, "run": run, "early": today < opens,
            "may_start": opens <= today <= closes and (run is None or run.status != PromotionRun.Status.DONE),
            "missed": today > opens and run is None and today <= closes,
        })
    schools = list(selectors.schools_followed_by(request.user).order_by("path", "name")[:500])
    summer = summer_of(schools[0], start_year) if schools else None
    return render(request, "schoolyear/promotion_overview.html", {
        "runs": runs, "bureaus": bureaus, "schools": schools, "today": today, "start_year": start_year,
        "summer": summer,
    })


@login_required
def promotion_plan(request, school_id: int):
    """明年班级和升级对应: this year's classes, each with a drop-down of next year's classes one
    grade up (default: the same number). The registrar edits; the others read."""
    school = selectors.get_followed_school(request.user, school_id)
    today, start_year = _today_and_year()
    may_edit = selectors.is_registrar(request.user, school)
    plan = selectors.promotion_plan(school, start_year)
    add_form = NextClassForm(grades=[g + 1 for g in promotable_grades(school)])
    if request.method == "POST":
        if not may_edit:
            raise NotAllowed("只有本校学籍管理员可以修改升级班级对应。")
        action = request.POST.get("action")
        try:
            if action == "prepare":
                created = services.next_year_classes_prepare(actor=request.user, school=school, start_year=start_year)
                messages.success(request, f"已新建明年班级 {len(created)} 个。" if created else "明年的班级都已建好。")
            elif action == "add_class":
                add_form = NextClassForm(request.POST, grades=[g + 1 for g in promotable_grades(school)])
                if not add_form.is_valid():
                    raise ValidationError("请选择年级。")
                school_class = services.next_year_class_add(
                    actor=request.user, school=school, start_year=start_year, grade=add_form.cleaned_data["grade"]
                )
                messages.success(request, f"已新建 {school_class.school_year} {school_class.name}。")
            elif action == "save":
                targets = {row.source.pk: _target(request.POST.get(f"class_{row.source.pk}")) for row in plan.rows}
                changed = services.class_mappings_set(actor=request.user, school=school, start_year=start_year,
                                                      targets=targets)
                messages.success(request, f"升级班级对应已保存（修改 {changed} 项）。")
            else:
                raise ValidationError("未知的操作。")
        except ValidationError as error:
            _errors(request, error)
        return redirect("schoolyear:promotion_plan", school.pk)
    return render(request, "schoolyear/promotion_plan.html", {
        "school": school, "plan": plan, "may_edit": may_edit and plan.done is None, "add_form": add_form,
        "start_year": start_year, "summer": summer_of(school, start_year),
        "graduating_label": GRADE_LABELS[graduating_grade(school)],
    })


def _target(value) -> int | None:
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        raise ValidationError("请从列表中选择明年的班级。") from None


@login_required
@require_POST
def promotion_run_start(request):
    """升级 on demand, by an officer of the bureau (from its promotion date to the end of August)."""
    bureaus = {b.pk: b for b in selectors.promotion_bureaus_of(request.user)}
    if not bureaus:
        raise NotAllowed("只有教育局可以执行升级。")
    bureau = bureaus.get(object_id(request.POST.get("bureau") or next(iter(bureaus))))
    if bureau is None:
        raise NotInScope("没有找到这个教育局，或您无权为它执行升级。", what="unit",
                         object_id=request.POST.get("bureau"))
    try:
        run = services.promotion_run_request(actor=request.user, bureau=bureau)
    except ValidationError as error:
        _errors(request, error)
        return redirect("schoolyear:promotion_overview")
    messages.success(request, "升级已开始，由后台逐校执行；本页显示各校进度。")
    return redirect("schoolyear:promotion_run_detail", run.pk)


@login_required
def promotion_run_detail(request, run_id: int):
    """A run's report: per school, how many moved up, into which classes, what was left."""
    run = selectors.get_run_for_user(request.user, run_id)
    rows = selectors.run_school_rows(request.user, run)
    return render(request, "schoolyear/promotion_run.html", {
        "run": run, "rows": rows, "done": sum(1 for r in rows if r.result), "promoted": sum(r.result.promoted for r in rows if r.result),
    })


# Certificates --------------------------------------------------------------------------------

@login_required
def certificate_overview(request):
    _require_follower(request.user)
    return render(request, "schoolyear/certificate_overview.html", {"rows": selectors.certificate_rows(request.user)})


def _year(value) -> int:
    year = object_id(value)
    if not 2000 <= year <= 2100:
        raise Http404("学年无效。")
    return year


@login_required
def certificate_school(request, school_id: int, year: int):
    """A school's graduates of a school year with their numbers; the bureau numbers the rest."""
    school = selectors.get_followed_school(request.user, school_id)
    year = _year(year)
    may_issue = selectors.may_issue_certificates(request.user, school)
    form = CertificateAssignForm(request.POST or None)
    if request.method == "POST":
        if not may_issue:
            raise NotAllowed("只有学校所属教育局可以编号义务教育证书。")
        if form.is_valid():
            data = form.cleaned_data
            try:
                batch = services.certificates_assign(
                    actor=request.user, school=school, start_year=year,
                    plan=services.NumberPlan(data["prefix"] or "", data["first_sequence"], data["width"]),
                )
            except ValidationError as error:
                show_errors(form, error)
            else:
                messages.success(request, f"已编号 {batch.count} 本：{batch.first_number} 至 {batch.last_number}。")
                return redirect("schoolyear:certificate_school", school.pk, year)
    elif may_issue:
        prefix = request.GET.get("prefix", "")
        form = CertificateAssignForm(initial={
            "prefix": prefix, "width": 5,
            "first_sequence": services.certificate_next_sequence(prefix, 5) if services.CERTIFICATE_PREFIX.match(prefix) else 1,
        })
    graduates = list(selectors.graduates_of(school, year))
    return render(request, "schoolyear/certificate_school.html", {
        "school": school, "year": year, "graduates": graduates, "form": form, "may_issue": may_issue,
        "full": selectors.sees_school_records(request.user, school),
        "unnumbered": sum(1 for g in graduates if not hasattr(g, "certificate")),
    })


@login_required
def certificate_export(request, school_id: int, year: int):
    """Formerly the spreadsheet itself: the graduates' names and 学籍号 leave only through an
    approved export request (schoolyear/exports.py); the link leads to its form, prefilled."""
    school = selectors.get_followed_school(request.user, school_id)
    year = _year(year)
    messages.info(request, "导出含个人信息的 Excel 须先申请，经分管领导审批后下载。")
    return redirect(reverse("exports:export_new") + f"?kind={EXPORT_CODE}&scope={certificate_scope_value(school.pk, year)}")


# 学历证明书 ----------------------------------------------------------------------------------

@login_required
def education_proof_list(request):
    return request_list(request, kinds=(services.EDUCATION_PROOF,), extra={"title": "学历证明书"})


class EducationProofStart(RequestStartView):
    """出具学历证明书 for a graduate whose certificate is lost (the registrar of the school)."""

    kind, form_class, title = services.EDUCATION_PROOF, EducationProofForm, "学历证明书"
    template_name = "schoolyear/education_proof_start.html"

    def initial_from(self, old):
        return {"note": old.payload.get("note", "")}

    def start(self, pupil, school, data, resubmission_of):
        return services.education_proof_start(actor=self.request.user, pupil=pupil, note=data["note"],
                                              resubmission_of=resubmission_of)

    def success_message(self, change):
        return f"学历证明书已提交，等待{change.steps.get(position=0).label}。"

    def context(self, pupil, school):
        graduate = services.latest_graduation_of(pupil)
        return {"graduate": graduate, "certificate": getattr(graduate, "certificate", None) if graduate else None}


education_proof_start = EducationProofStart.as_view()


@login_required
def education_proof_pdf_view(request, request_id: int):
    """The 学历证明书 as a PDF, for whoever sees the request; audited."""
    change = get_request_for_user(request.user, request_id)
    if change.kind != services.EDUCATION_PROOF:
        raise Http404("没有这种证明。")
    printed = education_proof_pdf(change, request.user)
    return pdf_response(printed, f"学历证明书-{change.pupil.name}-{change.pk}.pdf")


def pupil_actions(user, pupil) -> list[tuple[str, str]]:
    """出具学历证明书, for the registrar of a graduate's school."""
    if pupil.status != PupilStatus.GRADUATED:
        return []
    if not holds(user, Role.REGISTRAR, pupil.school_id):
        return []
    return [("出具学历证明书", reverse("schoolyear:education_proof_start", args=[pupil.pk]))]
