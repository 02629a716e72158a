"""Pages of dropouts/: the school's suspected and confirmed list, recording absences and
confirming a dropout from the pupil's page, the case page with its steps, the printed notice,
and the bureau's 控辍保学 page. Objects outside the user's scope are 404; pages of a role the
user does not hold are 403."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dropouts import selectors, services
from dropouts.forms import AbsenceForm, ConfirmForm, ReturnForm, StepForm
from dropouts.models import Absence, CaseStep, DropoutCase
from dropouts.photos import check_photos
from xueji.accounts.audit import audit_record
from xueji.accounts.models import Role
from xueji.accounts.permissions import NotAllowed, holds
from xueji.accounts.scoping import current_membership, object_id
from xueji.codes import PupilStatus, nationality_label
from xueji.documents.printing import pdf_response, print_pdf, printed_pupil
from xueji.forms import show_errors
from xueji.pupils.scoping import get_pupil_for_user
from xueji.pupils.visibility import visibility_for

RECENT_ABSENCES = 30


def _school_for_list(request):
    """The school whose list is shown: the current role's if it keeps one, else the first."""
    schools = selectors.dropout_schools_of(request.user)
    if not schools:
        raise NotAllowed("只有学校学籍管理员和校长可以查看本校辍学名单。")
    current = current_membership(request)
    return next((s for s in schools if current is not None and s.pk == current.unit_id), schools[0])


@login_required
def dropout_list(request):
    school = _school_for_list(request)
    today = timezone.localdate()
    cases = selectors.cases_visible_to(request.user).filter(school=school).select_related("pupil")
    return render(request, "dropouts/school_list.html", {
        "school": school, "today": today,
        "suspects": services.suspected_dropouts(school=school, today=today),
        "open_cases": [c for c in cases if c.is_open], "closed_cases": [c for c in cases if not c.is_open],
        "is_registrar": holds(request.user, Role.REGISTRAR, school.pk),
    })


@login_required
def dropout_absence_add(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    if not selectors.may_record_absence(request.user, pupil):
        raise NotAllowed("只有本班班主任或本校学籍管理员可以记录缺课。")
    form = AbsenceForm(request.POST or None, initial={"day": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_absence(actor=request.user, pupil=pupil, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "已记录缺课。")
            return redirect("dropouts:dropout_absence_add", pupil.pk)
    absences = Absence.objects.filter(pupil=pupil).order_by("-day")[:RECENT_ABSENCES]
    return render(request, "dropouts/absence_form.html", {"pupil": pupil, "form": form, "absences": absences})


@login_required
def dropout_confirm(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    if not selectors.may_confirm(request.user, pupil):
        raise NotAllowed("只有本校学籍管理员可以确认辍学。")
    form = ConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            case = services.confirm_dropout(actor=request.user, pupil=pupil, **form.cleaned_data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "已确认辍学，并已报告教育局。请开展劝返复学工作。")
            return redirect("dropouts:dropout_case", case.pk)
    return render(request, "dropouts/confirm_form.html", {"pupil": pupil, "form": form})


def _case_page(request, case, step_form=None, return_form=None, status=200):
    may_log = case.is_open and selectors.may_log_steps(request.user, case)
    may_close = case.is_open and selectors.may_close(request.user, case)
    today = timezone.localdate()
    return render(request, "dropouts/case_detail.html", {
        "case": case, "pupil": case.pupil,
        "steps": case.steps.select_related("by").prefetch_related("photos").order_by("day", "id"),
        "country": nationality_label(case.country) if case.country else "",
        "has_notice": case.steps.filter(kind=CaseStep.Kind.NOTICE).exists(),
        "step_form": step_form or (StepForm(initial={"day": today}) if may_log else None),
        "return_form": return_form or (ReturnForm(school=case.school) if may_close else None),
        "may_close": may_close,
        "sixteenth": services.sixteenth_birthday(case.pupil),
        "aged_out_due": services.sixteenth_birthday(case.pupil) <= today,
    }, status=status)


@login_required
def dropout_case(request, case_id: int):
    case = selectors.get_case_for_user(request.user, case_id)
    return _case_page(request, case)


@login_required
@require_POST
def dropout_step_add(request, case_id: int):
    case = selectors.get_case_for_user(request.user, case_id)
    if not selectors.may_log_steps(request.user, case):
        raise NotAllowed("只有本校学籍管理员或校长可以记录劝返步骤。")
    form = StepForm(request.POST, request.FILES)
    if form.is_valid():
        data = dict(form.cleaned_data)
        try:
            data["photos"] = check_photos(data["photos"])
            services.add_step(actor=request.user, case=case, **data)
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, "已记录劝返步骤。")
            return redirect("dropouts:dropout_case", case.pk)
    return _case_page(request, case, step_form=form)


@login_required
def dropout_notice_pdf(request, case_id: int):
    case = selectors.get_case_for_user(request.user, case_id)
    step = None
    if request.GET.get("step"):
        step = CaseStep.objects.filter(case=case, kind=CaseStep.Kind.NOTICE, pk=object_id(request.GET["step"])).first()
        if step is None:
            raise Http404("没有这份劝返复学通知书。")
    try:
        context = services.return_notice_context(case, step)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect("dropouts:dropout_case", case.pk)
    # Printed with the verification footer, recorded under its code and audited (xueji.documents.printing);
    # the 学籍号 as the printing user sees it.
    pupil = case.pupil
    visibility = visibility_for(request.user, pupil)
    context["student_number"] = visibility.student_number(pupil.student_number)
    printed = print_pdf(
        user=request.user, kind="return_notice", title="劝返复学通知书", template=services.RETURN_NOTICE_TEMPLATE,
        context=context, unit=case.school, pupils=[printed_pupil(pupil, visibility=visibility)],
        audit_action="dropout.print_notice", audit_obj=pupil,
    )
    return pdf_response(printed, f"劝返复学通知书-{pupil.name}-{case.pk}.pdf")


@login_required
def dropout_photo(request, photo_id: int):
    """A home-visit photo, from the private folder, only to those who see the case."""
    photo = selectors.get_photo_for_user(request.user, photo_id)
    try:
        handle = photo.file.open("rb")
    except FileNotFoundError:
        raise Http404("照片文件不存在。") from None
    audit_record(action="dropout.photo_view", obj=photo, detail=f"查看辍学劝返记录 {photo.step.case_id} 的家访照片")
    # Inline (FileResponse's default), for the case page's thumbnails; never kept by a cache:
    # it shows a family's home.
    response = FileResponse(handle, content_type=photo.content_type, filename=photo.original_name)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_POST
def dropout_return(request, case_id: int):
    case = selectors.get_case_for_user(request.user, case_id)
    if not selectors.may_close(request.user, case):
        raise NotAllowed("只有本校学籍管理员可以办理复学。")
    form = ReturnForm(request.POST, school=case.school)
    if form.is_valid():
        try:
            services.close_returned(actor=request.user, case=case, school_class=form.cleaned_data["school_class"])
        except ValidationError as error:
            show_errors(form, error)
        else:
            messages.success(request, f"{case.pupil.name}已复学。")
            return redirect("dropouts:dropout_case", case.pk)
    return _case_page(request, case, return_form=form)


@login_required
@require_POST
def dropout_aged_out(request, case_id: int):
    case = selectors.get_case_for_user(request.user, case_id)
    if not selectors.may_close(request.user, case):
        raise NotAllowed("只有本校学籍管理员可以结案。")
    try:
        services.close_aged_out(actor=request.user, case=case)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, "学生已满16周岁，劝返程序已结案，学籍保留。")
    return redirect("dropouts:dropout_case", case.pk)


@login_required
def dropout_bureau(request):
    if not selectors.is_overseer(request.user):
        raise NotAllowed("只有教育局和中心校的学籍管理员可以查看控辍保学情况。")
    today = timezone.localdate()
    rows = selectors.bureau_rows(request.user, today)
    return render(request, "dropouts/bureau.html", {
        "rows": rows, "today": today, "stalled_count": sum(1 for r in rows if r["stalled"]),
        "stalled_after": selectors.STALLED_AFTER_WORKING_DAYS,
    })


def pupil_actions(user, pupil) -> list[tuple[str, str]]:
    """记录缺课 for the head teacher and registrar, 确认辍学 for the registrar, on a pupil in school;
    the open case for those who may see it."""
    actions = []
    if pupil.status == PupilStatus.ENROLLED:
        if selectors.may_record_absence(user, pupil):
            actions.append(("记录缺课", reverse("dropouts:dropout_absence_add", args=[pupil.pk])))
        if selectors.may_confirm(user, pupil):
            actions.append(("确认辍学", reverse("dropouts:dropout_confirm", args=[pupil.pk])))
    elif pupil.status == PupilStatus.DROPPED_OUT:
        case = selectors.cases_visible_to(user).filter(pupil=pupil, status=DropoutCase.Status.OPEN).first()
        if case is not None:
            actions.append(("辍学劝返", reverse("dropouts:dropout_case", args=[case.pk])))
    return actions
