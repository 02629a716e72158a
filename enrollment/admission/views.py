"""Pages of the admission list (录取名单) and three-way consistency.

County (and city, province) officers: upload the list, download its template, the three-way
table of their area and a school's children behind. A school's registrar: its own list with the
arrival marking (报到) and its own three-way line. Everyone else gets 403; a school outside the
officer's area is a 404, like every object outside one's scope.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from enrollment.admission.consistency import behind_for_school, three_way, totals
from enrollment.admission.models import AdmissionEntry
from enrollment.admission.services import (
    EARLIEST_INTAKE_YEAR,
    MAX_FILE_BYTES,
    AdmissionImportInvalid,
    admission_for_school,
    admission_import,
    admission_mark_arrived,
    admission_template_xlsx,
)
from enrollment.intake.models import EntryStatus
from enrollment.intake.services import current_intake_year
from xueji.accounts.models import BUREAU_ROLES, Unit
from xueji.accounts.permissions import acting_school
from xueji.accounts.scoping import MAX_ID, get_school_for_user, units_visible_to
from xueji.forms import DateInput
from xueji.pupils.visibility import visibility_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ENTRY_STATUS_LABELS = dict(EntryStatus.choices)


def _label_entries(user, school: Unit, entries: list[AdmissionEntry]) -> list[AdmissionEntry]:
    """What the lists show of each child: the ID number, masked for the roles that see pupils'
    numbers masked (city and province officers, as on the pupil pages), and the entry's status."""
    # The pupils' rule (xueji.pupils.visibility); every child here is of ``school``.
    visibility = visibility_for(user, school)
    for entry in entries:
        entry.shown_id_number = visibility.id_number(entry.id_number)
        entry.entry_status_label = ENTRY_STATUS_LABELS.get(entry.entry_status, "学校未登记")
    return entries


def officer_bureau(request) -> Unit:
    """The bureau the user acts for: the current role's if it is an officer's, else the first
    bureau the user is an officer of. 403 for everyone else."""
    return acting_school(request, BUREAU_ROLES, message="只有教育局学籍管理员可以使用此页面。")


def registrar_school(request) -> Unit:
    """The school the user is registrar of (the current role's, else the first). 403 otherwise."""
    return acting_school(request, message="只有学校学籍管理员可以使用此页面。")


def _year(request) -> int:
    """The intake year of the address (?year=), the current intake when absent or unusable."""
    today = timezone.localdate()
    try:
        year = int(request.GET.get("year", ""))
    except ValueError:
        return current_intake_year(today)
    return year if EARLIEST_INTAKE_YEAR <= year <= today.year + 1 else current_intake_year(today)


class AdmissionUploadForm(forms.Form):
    intake_year = forms.IntegerField(
        label="入学年份", min_value=EARLIEST_INTAKE_YEAR,
        error_messages={"required": "请填写入学年份。", "invalid": "入学年份应为四位数字。",
                        "min_value": "入学年份不能早于 %(limit_value)s 年。"},
    )
    file = forms.FileField(
        label="录取名单文件（.xlsx）", help_text="请使用下载的模板填写；一次最多 10000 行。",
        error_messages={"required": "请选择要上传的文件。", "empty": "上传的文件是空的。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["intake_year"].widget.attrs["max"] = timezone.localdate().year + 1
        self.fields["file"].widget.attrs["accept"] = ".xlsx," + XLSX

    def clean_intake_year(self):
        year = self.cleaned_data["intake_year"]
        latest = timezone.localdate().year + 1
        if year > latest:
            raise forms.ValidationError(f"入学年份不能晚于 {latest} 年。")
        return year

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请确认上传的是录取名单。")
        return upload


@login_required
@require_http_methods(["GET", "POST"])
def admission_upload(request):
    bureau = officer_bureau(request)
    year = _year(request)
    form = AdmissionUploadForm(request.POST or None, request.FILES or None, initial={"intake_year": year})
    row_errors, summary = [], ""
    if request.method == "POST" and form.is_valid():
        year = form.cleaned_data["intake_year"]
        try:
            count = admission_import(
                actor=request.user, bureau=bureau, intake_year=year, file_bytes=form.cleaned_data["file"].read()
            )
        except AdmissionImportInvalid as error:
            row_errors, summary = error.row_errors, error.message
        except ValidationError as error:
            form.add_error("file", error)  # each message with its code (ExcelRefused's reason)
        else:
            messages.success(request, f"已导入 {count} 名学生的{year}年新生录取名单。")
            return redirect(f"{reverse('enrollment:admission_upload')}?year={year}")
    imported = AdmissionEntry.objects.filter(
        intake_year=year, school__in=units_visible_to(request.user).filter(path__startswith=bureau.path)
    ).count()
    context = {"form": form, "bureau": bureau, "year": year, "row_errors": row_errors, "summary": summary,
               "imported": imported}
    return render(request, "enrollment/admission_upload.html", context)


@login_required
@require_GET
def admission_template(request):
    officer_bureau(request)
    response = HttpResponse(admission_template_xlsx(), content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename="新生录取名单模板.xlsx")
    return response


@login_required
@require_GET
def admission_consistency(request):
    bureau = officer_bureau(request)
    year, today = _year(request), timezone.localdate()
    lines = three_way(units_visible_to(request.user).filter(path__startswith=bureau.path), year, today)
    context = {"bureau": bureau, "year": year, "today": today, "lines": lines, "totals": totals(lines)}
    return render(request, "enrollment/admission_consistency.html", context)


@login_required
@require_GET
def admission_behind(request, school_id: int):
    officer_bureau(request)
    school = get_school_for_user(request.user, school_id)
    year, today = _year(request), timezone.localdate()
    [line] = three_way(Unit.objects.filter(pk=school.pk), year, today)
    entries = _label_entries(request.user, school, behind_for_school(school, year, today))
    context = {"school": school, "year": year, "today": today, "line": line, "entries": entries}
    return render(request, "enrollment/admission_behind.html", context)


class ArrivalForm(forms.Form):
    arrived_on = forms.DateField(
        label="报到日期", widget=DateInput(),
        error_messages={"required": "请填写报到日期。", "invalid": "报到日期格式应为 年-月-日。"},
    )


@login_required
@require_http_methods(["GET", "POST"])
def admission_school(request):
    school = registrar_school(request)
    year, today = _year(request), timezone.localdate()
    if request.method == "POST":
        _mark_arrivals(request, school)
        return redirect(f"{reverse('enrollment:admission_school')}?year={year}")
    [line] = three_way(Unit.objects.filter(pk=school.pk), year, today)
    behind_ids = {entry.pk for entry in behind_for_school(school, year, today)}
    entries = _label_entries(request.user, school, list(admission_for_school(school, year)))
    for entry in entries:
        entry.is_behind = entry.pk in behind_ids
    context = {"school": school, "year": year, "today": today, "line": line, "entries": entries,
               "form": ArrivalForm(initial={"arrived_on": today})}
    return render(request, "enrollment/admission_school.html", context)


def _mark_arrivals(request, school: Unit) -> None:
    form = ArrivalForm(request.POST)
    ids = []
    for value in request.POST.getlist("entry"):
        if not value.isdigit() or not 0 < int(value) <= MAX_ID:
            messages.error(request, "所选学生无效，请刷新页面后重新勾选。")
            return
        ids.append(int(value))
    if not form.is_valid():
        for error in form.errors.get("arrived_on", []):
            messages.error(request, error)
        return
    try:
        count = admission_mark_arrived(
            actor=request.user, school=school, entries_ids=ids, day=form.cleaned_data["arrived_on"]
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"已登记 {count} 名学生于 {form.cleaned_data['arrived_on']:%Y-%m-%d} 报到。")
