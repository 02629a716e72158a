"""Pages of the core: login, home, the pupil list and the pupil's record, the audit log."""

from datetime import date

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from django.core.exceptions import ValidationError

from xueji.forms import LoginForm, PupilFilterForm, SanctionForm
from xueji.home import home_panels
from xueji.codes import PupilStatus
from xueji.models import Membership, Role, User
from xueji.pupil_actions import pupil_actions
from xueji.models.audit import AUDIT_ACTIONS
from xueji.paginators import CappedPaginator
from xueji.scoping import (
    audit_entries_visible_to,
    can_read_audit_log,
    current_membership,
    get_class_for_user,
    get_pupil_for_user,
    memberships_of,
    pupils_visible_to,
    requests_visible_to,
    schools_visible_to,
    sees_full_record,
)
from xueji.selectors import (
    PupilFilters,
    guardians_as_of,
    pupil_as_of,
    pupil_field_history,
    pupil_list,
)
from xueji.services.audit import audit_record, client_ip
from xueji.services.login import login_attempt
from xueji.services.pupils import sanction_record

PAGE_SIZE = 50
# Fields shown masked to roles that do not see the full record (see xueji.scoping).
MASKED_FIELDS = {"id_number", "health", "hukou_division", "hukou_type", "hukou_address", "address"}


@never_cache
@require_http_methods(["GET", "POST"])
def login_view(request):
    if request.user.is_authenticated and request.method == "GET":
        return redirect("home")
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = ""
    form = LoginForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        result = login_attempt(
            request=request,
            username=form.cleaned_data["username"],
            password=form.cleaned_data["password"],
            ip=client_ip(request),
        )
        if result.user is not None:
            login(request, result.user)  # rotates the session key
            return HttpResponseRedirect(next_url or reverse("home"))
        error = result.error
    return render(request, "registration/login.html", {"form": form, "error": error, "next": next_url})


def admin_login_redirect(request):
    from urllib.parse import urlencode

    return redirect(reverse("login") + "?" + urlencode({"next": request.GET.get("next", "/admin/")}))


@require_POST
def logout_view(request):
    if request.user.is_authenticated:
        audit_record(action="logout")
    logout(request)  # deletes the session row: the session ends on the server
    return redirect("login")


@login_required
@require_POST
def switch_role(request):
    """Choose which of the user's memberships the pages act in."""
    try:
        chosen = int(request.POST.get("membership", ""))
    except ValueError:
        chosen = None
    if chosen not in {m.pk for m in memberships_of(request.user)}:
        messages.error(request, "无法切换到该身份。")
    else:
        request.session["membership_id"] = chosen
    return redirect("home")


@login_required
def home(request):
    membership = current_membership(request)
    return render(request, "xueji/home.html", {"panels": home_panels(request.user, membership)})


@login_required
def pupil_list_view(request):
    schools = list(schools_visible_to(request.user).order_by("path"))
    form = PupilFilterForm(request.GET or None, user=request.user, schools=schools)
    filters = PupilFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = PupilFilters(
            query=data["q"], school_id=data["school"], grade=data["grade"],
            class_id=data["school_class"], status=data["status"], number_kind=data["number_kind"],
        )
    page = CappedPaginator(pupil_list(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    for pupil in page.object_list:
        pupil.full_record = sees_full_record(request.user, pupil)
    context = {"form": form, "page": page, "several_schools": len(schools) > 1, "query_string": _without_page(request)}
    template = "xueji/_pupil_rows.html" if request.htmx and request.htmx.target == "pupil-results" else "xueji/pupil_list.html"
    return render(request, template, context)


def _without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
def pupil_detail(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    as_of_text = request.GET.get("as_of", "")
    as_of, as_of_error, shown, guardians = None, "", pupil, list(pupil.guardians.all())
    if as_of_text:
        try:
            as_of = date.fromisoformat(as_of_text)
        except ValueError:
            as_of_error = "日期格式应为 年-月-日，例如 2026-09-01。"
        else:
            shown = pupil_as_of(pupil, as_of)
            guardians = guardians_as_of(pupil, as_of) if shown else []
            if shown is None:
                as_of_error = f"{as_of.year}年{as_of.month}月{as_of.day}日时该学生尚未建立学籍。"
                shown = pupil
    full = sees_full_record(request.user, pupil)
    history = pupil_field_history(pupil)
    names = dict(User.objects.filter(pk__in={c.user_id for c in history if c.user_id}).values_list("pk", "full_name"))
    audit_record(action="pupil.view", obj=pupil, detail=f"查看学籍{'（' + as_of_text + '）' if as_of else ''}")
    return render(
        request,
        "xueji/pupil_detail.html",
        {
            "pupil": pupil,
            "shown": shown,
            "guardians": guardians,
            "as_of": as_of,
            "as_of_error": as_of_error,
            "full": full,
            "numbers": pupil.numbers.all(),
            "status_changes": pupil.status_changes.select_related("changed_by", "school"),
            "history": [
                (change, names.get(change.user_id, ""), not full and change.field in MASKED_FIELDS)
                for change in reversed(history)
            ],
            "problems": pupil.problems.filter(resolution=""),
            "requests": requests_visible_to(request.user).filter(pupil=pupil).order_by("-started_at")[:20],
            "actions": pupil_actions(request.user, pupil),
            "sanctions": pupil.sanctions.all(),
            "may_record_sanction": Membership.objects.filter(
                user=request.user, unit_id=pupil.school_id, role__in=[Role.REGISTRAR, Role.HEADMASTER]
            ).exists(),
            "sanction_form": SanctionForm(),
        },
    )


@login_required
@require_POST
def pupil_sanction_add(request, pupil_id: int):
    pupil = get_pupil_for_user(request.user, pupil_id)
    form = SanctionForm(request.POST)
    if form.is_valid():
        try:
            sanction_record(actor=request.user, pupil=pupil, **form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, "处分已登记。")
    else:
        for field in form:
            for error in field.errors:
                messages.error(request, f"{field.label}：{error}")
    return redirect("pupil_detail", pupil.pk)


@login_required
def pupil_photo(request, pupil_id: int):
    """The photo, from outside the web root, only to users who may see the pupil."""
    pupil = get_pupil_for_user(request.user, pupil_id)
    if not pupil.photo:
        raise Http404("该学生没有照片。")
    try:
        handle = pupil.photo.open("rb")
    except FileNotFoundError:
        raise Http404("照片文件不存在。") from None
    content_type = "image/png" if pupil.photo.name.lower().endswith(".png") else "image/jpeg"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=600"
    return response


@login_required
def audit_list(request):
    if not can_read_audit_log(request.user):
        raise Http404("您无权查看审计日志。")
    entries = audit_entries_visible_to(request.user)
    action = request.GET.get("action", "").strip()[:40]
    username = request.GET.get("user", "").strip()[:150]
    if action:
        entries = entries.filter(action=action)
    if username:
        entries = entries.filter(username=username)
    page = Paginator(entries.select_related("unit").order_by("-at", "-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page, "action": action, "username": username, "actions": sorted(AUDIT_ACTIONS.items()),
        "query_string": _without_page(request),
    }
    return render(request, "xueji/audit_list.html", context)


def error_404(request, exception=None):
    return render(request, "404.html", status=404)


def error_500(request):
    # No context processors: the page must render even when the database is what failed.
    from django.template import loader
    from django.http import HttpResponseServerError

    return HttpResponseServerError(loader.get_template("500.html").render())


def error_400(request, exception=None):
    return render(request, "400.html", status=400)


def error_403(request, exception=None):
    return render(request, "403.html", status=403)


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", status=403)


@login_required
def class_roster(request, class_id: int, fmt: str):
    """花名册 of a class as PDF or xlsx: its pupils in school (在籍在校, 休学, 借读). Numbers are
    printed as the user may see them: in full, or masked for a head teacher or a city officer."""
    from xueji.documents import class_roster_pdf, class_roster_xlsx, pupils_for_print
    from xueji.identity import mask_id_number, mask_student_number
    from xueji.printing import content_disposition, pdf_response

    if fmt not in ("pdf", "xlsx"):
        raise Http404("只能导出 PDF 或 Excel。")
    school_class = get_class_for_user(request.user, class_id)
    in_school = [PupilStatus.ENROLLED, PupilStatus.SUSPENDED, PupilStatus.VISITING]
    pupils = pupils_for_print(
        pupils_visible_to(request.user).filter(school_class=school_class, status__in=in_school, deleted_at__isnull=True)
        .order_by("name")
    )
    for pupil in pupils:
        if not sees_full_record(request.user, pupil):
            pupil.id_number = mask_id_number(pupil.id_number)
            pupil.student_number = mask_student_number(pupil.student_number)  # a G number holds the ID number
            for guardian in pupil.guardians_list:
                guardian.id_number = mask_id_number(guardian.id_number)
    label = str(school_class.school_year)
    name = f"花名册-{school_class.school.name}-{school_class.name}.{fmt}"
    # Recorded under a verification code (in the PDF's footer, the workbook's title row) and
    # audited as class.roster by xueji.printing.
    if fmt == "pdf":
        printed = class_roster_pdf(pupils, user=request.user, school=school_class.school, school_class=school_class,
                                   school_year_label=label)
        response = pdf_response(printed, name, inline=False)
    else:
        printed = class_roster_xlsx(pupils, user=request.user, school=school_class.school, school_class=school_class,
                                    school_year_label=label)
        response = HttpResponse(printed.content,
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = content_disposition(name, inline=False,
                                                              fallback=f"roster-{school_class.pk}.xlsx")
        response["X-Document-Code"] = printed.code
        response["Cache-Control"] = "private, no-store"
    return response
