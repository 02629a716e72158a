"""Pages of working beside the national system: the readiness check before an upload, the export
in the national template's layout, and the import of the G numbers the national system assigned.

Who may do what (the acting role: the one chosen in the role switcher if it may, else the user's
first role that may):
- read the readiness check: registrar and headmaster (their school), bureau officers (their area,
  with a school filter);
- export: the roles that see ID numbers in full (registrar, headmaster, county officer) ask for it
  as an export request (xueji/exports; enrollment/national/exports.py), approved by the bureau's
  leader in charge; city and province officers see them masked and get 403;
- import G numbers: registrar (their school) and county officer (their county);
- anyone else: 403. A school outside the user's area in the filter: 404.
"""

from dataclasses import dataclass, replace

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from enrollment.national.readiness import NOT_BLOCKING, ProblemKind, national_records, readiness_problems
from enrollment.national.services import MAX_FILE_BYTES, import_g_numbers
from xueji.accounts.models import BUREAU_ROLES, Membership, Role, Unit
from xueji.accounts.permissions import require_acting_membership
from xueji.accounts.scoping import (
    NotInScope,
    get_school_for_user,
    schools_visible_to,
)
from xueji.pupils.models import Pupil
from xueji.pupils.scoping import pupils_visible_to
from xueji.pupils.visibility import Show, Visibility, visibility_of_role

SCHOOL_READ_ROLES = {Role.REGISTRAR, Role.HEADMASTER}
READ_ROLES = SCHOOL_READ_ROLES | BUREAU_ROLES
EXPORT_ROLES = {Role.REGISTRAR, Role.HEADMASTER, Role.COUNTY_OFFICER}
IMPORT_ROLES = {Role.REGISTRAR, Role.COUNTY_OFFICER}
# A county's page shows this many problems of each kind; the rest by filtering a school.
PROBLEMS_SHOWN_PER_KIND = 300
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class NationalScope:
    """What the acting role works on: its unit (a school or a bureau), the school chosen in the
    filter, the records it reads, and where duplicates are looked for (the county)."""

    membership: Membership
    unit: Unit
    school: Unit | None
    pupils: QuerySet[Pupil]
    compare_within: QuerySet[Pupil]
    others_visible: bool

    @property
    def is_school(self) -> bool:
        return self.membership.role in SCHOOL_READ_ROLES

    @property
    def visibility(self) -> Visibility:
        """What the acting role sees of the records (xueji.pupils.visibility)."""
        return visibility_of_role(self.membership.role)

    @property
    def full_record(self) -> bool:
        """Whether the acting role sees the ID numbers (and so the G numbers) in full."""
        return self.visibility.show("id_number") == Show.FULL

    @property
    def label(self) -> str:
        return self.school.name if self.school else self.unit.name

    def schools(self, user) -> list[Unit]:
        """The schools a bureau officer may filter by."""
        if self.is_school:
            return []
        return list(schools_visible_to(user).filter(path__startswith=self.unit.path).order_by("path"))


def acting_membership(request, roles: set[str]) -> Membership:
    """The acting role among ``roles`` (xueji.accounts.permissions), or 403."""
    return require_acting_membership(request, roles, message="您的身份不能办理国家学籍系统的上报工作。")


def national_scope(request, roles: set[str], school_id=None) -> NationalScope:
    """The scope of the acting role among ``roles``; 403 without one, 404 for a school outside it.

    The records come from pupils_visible_to, narrowed to the acting role's unit. Duplicates are
    looked for in the whole county, as the national system's 查重 sees it; a school's registrar is
    not shown the other schools' records in the messages (``others_visible``)."""
    membership = acting_membership(request, roles)
    unit = membership.unit
    visible = pupils_visible_to(request.user)
    if membership.role in SCHOOL_READ_ROLES:
        if school_id not in (None, "") and str(school_id) != str(unit.pk):
            raise NotInScope("没有找到这所学校，或您无权查看。", what="unit", object_id=school_id)
        county = unit.county_bureau or unit.supervising_bureau or unit
        # The county's records are only compared with, never shown: the messages do not name them.
        county_records = Pupil.objects.filter(school__path__startswith=county.path)
        return NationalScope(membership, unit, unit, visible.filter(school_id=unit.pk), county_records, False)
    area = visible.filter(school__path__startswith=unit.path)
    school = None
    if school_id not in (None, ""):
        school = get_school_for_user(request.user, school_id)
        if not school.path.startswith(unit.path):
            raise NotInScope("没有找到这所学校，或您无权查看。", what="unit", object_id=school_id)
    pupils = area.filter(school_id=school.pk) if school else area
    return NationalScope(membership, unit, school, pupils, area, True)


@login_required
@require_GET
def national_readiness(request):
    scope = national_scope(request, READ_ROLES, request.GET.get("school"))
    problems = readiness_problems(
        scope.pupils, compare_within=scope.compare_within, name_other_records=scope.others_visible
    )
    # G numbers are "G" + the ID number: masked like the ID number for the roles that see it so.
    problems = [_masked(problem, scope.visibility) for problem in problems]
    groups = []
    for kind, label in ProblemKind.choices:
        of_kind = [problem for problem in problems if problem.kind == kind]
        if of_kind:
            groups.append(
                {"kind": kind, "label": label, "total": len(of_kind), "problems": of_kind[:PROBLEMS_SHOWN_PER_KIND]}
            )
    role = scope.membership.role
    # 待补全 is shown and counted apart: it asks for items to be filled in, it is no error.
    blocking = [problem for problem in problems if problem.blocking]
    context = {
        "scope": scope,
        "schools": scope.schools(request.user),
        "groups": [group for group in groups if group["kind"] not in NOT_BLOCKING],
        "incomplete": next((group for group in groups if group["kind"] in NOT_BLOCKING), None),
        "problem_count": len(blocking),
        "pupils_with_problems": len({problem.pupil_id for problem in blocking}),
        "checked": national_records(scope.pupils).count(),
        "shown_per_kind": PROBLEMS_SHOWN_PER_KIND,
        "can_export": role in EXPORT_ROLES,
        "can_import": role in IMPORT_ROLES,
    }
    return render(request, "enrollment/national_readiness.html", context)


def _masked(problem, visibility: Visibility):
    return replace(problem, student_number=visibility.student_number(problem.student_number))


@login_required
@require_GET
def national_export(request):
    """The file leaves only through an approved export request (xueji/exports): the former direct
    download leads to the request's form, prefilled with the scope."""
    scope = national_scope(request, EXPORT_ROLES, request.GET.get("school"))
    query = "?kind=national" + (f"&scope={scope.school.pk}" if scope.school and not scope.is_school else "")
    messages.info(request, "导出含个人信息的数据须先申请，经分管领导审批后下载。")
    return redirect(reverse("exports:export_new") + query)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


class NumbersUploadForm(forms.Form):
    file = forms.FileField(label="国家学籍系统导出的学籍号文件（.xlsx）")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError("文件太大，最大 10 MB；请按学校分批导入。")
        return upload


@login_required
@require_http_methods(["GET", "POST"])
def national_numbers_import(request):
    scope = national_scope(request, IMPORT_ROLES)
    form = NumbersUploadForm(request.POST, request.FILES) if request.method == "POST" else NumbersUploadForm()
    result = None
    if form.is_bound and form.is_valid():
        try:
            result = import_g_numbers(
                actor=request.user, file_bytes=form.cleaned_data["file"].read(), scope_queryset=scope.pupils
            )
        except ValidationError as error:
            form.add_error("file", error)  # each message with its code (ExcelRefused's reason)
        else:
            if result.ok:
                messages.success(request, f"已导入 {result.assigned} 名学生的 G 字头学籍号，原学籍号保留在学籍号历史中。")
                return redirect("enrollment:national_numbers_import")
    return render(request, "enrollment/national_numbers.html", {"scope": scope, "form": form, "result": result})
