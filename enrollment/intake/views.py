"""Pages of 新生建籍: the registrar's enrolment page (template, upload, the form, classes,
submission), the upload's progress and errors, the batch's list of pupils, and the bureau's page
(batches waiting, identity confirmation)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from enrollment.intake import services
from enrollment.intake.forms import AssignForm, ClassesForm, EntryForm, UploadForm, entry_initial
from enrollment.intake.models import EnrolmentEntry, EnrolmentImport
from enrollment.intake.retention import deleted_message, import_content
from enrollment.intake.validation import Intake, IntakeInvalid, IntakeRow, RowError, validate_intake
from xueji.accounts.models import BUREAU_ROLES, Role
from xueji.accounts.permissions import NotAllowed, require_acting_membership
from xueji.accounts.scoping import NotInScope, object_id
from xueji.approvals.models import ChangeRequest
from xueji.approvals.scoping import get_request_for_user, requests_visible_to
from xueji.approvals.services import may_decide
from xueji.codes import GRADE_LABELS
from xueji.collation import pinyin_sort_key
from xueji.jobs import poll_seconds
from xueji.pupils.models import Pupil
from xueji.pupils.scoping import pupils_visible_to
from xueji.pupils.selectors import class_cap
from xueji.pupils.visibility import visibility_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SCHOOL_ROLES_HERE = (Role.REGISTRAR, Role.HEADMASTER)


def _membership(request, roles):
    """The acting role among ``roles`` (xueji.accounts.permissions), or 403."""
    return require_acting_membership(request, roles, message="您没有办理新生建籍的权限。")


def _field_groups(form) -> tuple[list, dict[int, list]]:
    """The template form's fields of the pupil in the national form's groups, and of each family
    member (成员1, 成员2), for the page."""
    return form.groups(), form.members()


def _form_row(form: EntryForm) -> IntakeRow:
    """The browser form as a row for the rules, whether or not the form's own checks passed.

    A field the form refused (a text longer than its box allows) is left out and carried as that
    cell's error, so the rules skip it (as they skip a cell of a file that could not be read) and
    report every other problem of the form in the same answer: the registrar is not sent back
    once for the long field and again for the rest."""
    from enrollment.intake.columns import row_to_new_pupil_data

    refused = set(form.errors)
    raw = {key: value for key, value in form.raw_values().items() if key not in refused}
    data, guardians, cell_errors = row_to_new_pupil_data(raw)
    for key in refused:
        data.pop(key, None)
        cell_errors[key] = form.errors[key][0]
    return IntakeRow(row=1, data=data, guardians=guardians, cell_errors=cell_errors, raw=raw)


def _show_row_errors(form: EntryForm, problems: list[RowError], row_errors: list[str]) -> None:
    """The rules' errors on the form's fields (those the form refused already show theirs)."""
    refused = set(form.errors)
    for problem in problems:
        if problem.key in refused:
            continue
        if problem.key in form.fields:
            form.add_error(problem.key, problem.message)
        else:
            row_errors.append(problem.message)


def _intake(request, school) -> Intake:
    """The intake the page works on: this autumn's, grade 1 (primary) or 7 (junior); a
    nine-year school chooses with ?grade=7."""
    grades = [g for g in (1, 7) if g in school.grades]
    if not grades:
        raise Http404("该学校没有起始年级。")
    wanted = request.GET.get("grade") or request.POST.get("grade")
    grade = int(wanted) if wanted in ("1", "7") and int(wanted) in grades else grades[0]
    return Intake(school=school, intake_year=services.current_intake_year(), grade=grade)


def _home_url(intake: Intake) -> str:
    return f"{reverse('enrollment:enrolment_home')}?grade={intake.grade}"


def _attachment(content: bytes, name: str, content_type: str = XLSX) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


@login_required
def enrolment_home(request):
    membership = _membership(request, SCHOOL_ROLES_HERE)
    school = membership.unit
    intake = _intake(request, school)
    # The list shows no field of the record: its encrypted JSON is neither read nor decrypted.
    entries = (EnrolmentEntry.objects.filter(school=school, intake_year=intake.intake_year, grade=intake.grade)
               .defer("data", "guardians").select_related("school_class", "pupil")
               .order_by("school_class__number", "status", "pk"))
    classes = list(services.intake_classes(school, intake.intake_year, intake.grade))
    loads = services.class_loads(classes)
    for school_class in classes:
        school_class.load, school_class.cap = loads[school_class.pk], class_cap(school_class)
    windows = services.intake_windows(school, intake.intake_year)
    context = {
        "school": school, "intake": intake, "grade_label": GRADE_LABELS[intake.grade],
        "grades": [(g, GRADE_LABELS[g]) for g in (1, 7) if g in school.grades],
        "is_registrar": membership.role == Role.REGISTRAR,
        "entries": entries, "summary": services.entries_summary(school, intake.intake_year, intake.grade),
        "vis": visibility_for(request.user, school),
        "classes": classes, "windows": windows, "today": timezone.localdate(),
        "imports": EnrolmentImport.objects.filter(school=school, intake_year=intake.intake_year).defer("content")[:5],
        "upload_form": UploadForm(), "classes_form": ClassesForm(),
        "batches": ChangeRequest.objects.filter(kind=services.ENROLMENT_KIND, started_unit=school,
                                                payload__intake_year=intake.intake_year)[:5],
    }
    return render(request, "enrollment/home.html", context)


@login_required
def enrolment_template(request):
    from enrollment.intake.xlsx_template import build_template

    school = _membership(request, SCHOOL_ROLES_HERE).unit
    year = services.current_intake_year()
    return _attachment(build_template(year), f"{year}年新生信息采集模板-{school.name}.xlsx")


@login_required
@require_POST
def enrolment_upload(request):
    school = _membership(request, (Role.REGISTRAR,)).unit
    intake = _intake(request, school)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "；".join(m for ms in form.errors.values() for m in ms))
        return redirect(_home_url(intake))
    upload = form.cleaned_data["file"]
    try:
        imported = services.import_start(actor=request.user, school=school, intake_year=intake.intake_year,
                                         grade=intake.grade, file_name=upload.name, content=upload.read())
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect(_home_url(intake))
    return redirect("enrollment:enrolment_import", imported.pk)


def _get_import(request, import_id) -> EnrolmentImport:
    """An upload of the user's school; a bureau officer may read those of the schools of its
    area (and sees which school holds a duplicate record)."""
    membership = _membership(request, (*SCHOOL_ROLES_HERE, *BUREAU_ROLES))
    uploads = EnrolmentImport.objects.defer("content").select_related("school")
    if membership.role in BUREAU_ROLES:
        uploads = uploads.filter(school__path__startswith=membership.unit.path)
    else:
        uploads = uploads.filter(school=membership.unit)
    try:
        upload = uploads.get(pk=object_id(import_id))
    except EnrolmentImport.DoesNotExist:
        raise NotInScope("没有这次导入。", what="enrolmentimport", object_id=import_id) from None
    upload.seen_by_bureau = membership.role in BUREAU_ROLES
    return upload


@login_required
def enrolment_import(request, import_id: int):
    upload = _get_import(request, import_id)
    if request.method == "POST" and upload.status == EnrolmentImport.Status.QUEUED and not upload.seen_by_bureau:
        # The worker has not taken it (the broker was away): check it here and now.
        services.import_run(upload.pk)
        return redirect("enrollment:enrolment_import", upload.pk)
    errors = upload.errors
    rows = sorted({e["row"] for e in errors if e["row"]})
    return render(request, "enrollment/import.html", {
        "upload": upload, "errors": errors, "error_rows": len(rows),
        "file_deleted": deleted_message() if upload.content_deleted_at else "",
        "sees_other_school": upload.seen_by_bureau, "grade": upload.grade,
        "waiting": upload.status in (EnrolmentImport.Status.QUEUED, EnrolmentImport.Status.RUNNING),
    })


@login_required
def enrolment_import_status(request, import_id: int):
    """The progress bar's poll: a few bytes, cheap on a slow line."""
    upload = _get_import(request, import_id)
    return JsonResponse({"status": upload.status, "progress": upload.progress, "done": upload.status in ("done", "failed"),
                         # When to ask again (the progress bar's script reads it): less often as it waits.
                         "poll_after": poll_seconds(upload.uploaded_at)})


@login_required
def enrolment_import_annotated(request, import_id: int):
    """The uploaded file back, with every bad cell marked and its reason in a comment."""
    from enrollment.intake.xlsx_errors import annotate_errors

    upload = _get_import(request, import_id)
    errors = [(e["row"], e["key"], e["message"]) for e in upload.errors if e["row"]]
    if upload.status != EnrolmentImport.Status.FAILED or not errors:
        raise Http404("这次导入没有可以标注在单元格上的错误。")
    content = import_content(upload, EnrolmentImport.objects.values_list("content", flat=True).get(pk=upload.pk))
    if content is None:  # deleted after the retention period: the page keeps the list of errors
        messages.error(request, deleted_message())
        return redirect("enrollment:enrolment_import", upload.pk)
    marked = annotate_errors(content, errors)
    stem = upload.file_name.rsplit(".", 1)[0]
    return _attachment(marked, f"{stem}-错误标注.xlsx")


@login_required
def enrolment_entry_edit(request, entry_id: int | None = None):
    """The browser form: add a new pupil, or correct one not yet submitted."""
    school = _membership(request, (Role.REGISTRAR,)).unit
    entry = None
    if entry_id is not None:
        entry = EnrolmentEntry.objects.filter(pk=object_id(entry_id), school=school).first()
        if entry is None:
            raise NotInScope("没有这名新生。", what="enrolmententry", object_id=entry_id)
        intake = Intake(school=school, intake_year=entry.intake_year, grade=entry.grade)
    else:
        intake = _intake(request, school)
    form = EntryForm(request.POST or None, initial=entry_initial(entry) if entry else None)
    row_errors = []
    if request.method == "POST":
        valid = form.is_valid()
        row = _form_row(form)
        try:
            if not valid:
                # A field the form refused (too long): the rules still report every other
                # problem now, and nothing is saved (the row's own cell errors stop it).
                validate_intake(intake, [row], exclude_entry_ids={entry.pk} if entry else set())
            else:
                saved = services.entry_save(actor=request.user, school=school, intake=intake, entry=entry, row=row)
        except IntakeInvalid as error:
            _show_row_errors(form, error.row_errors, row_errors)
        except ValidationError as error:
            row_errors.extend(error.messages)
        else:
            if valid:
                messages.success(request, f"已保存新生 {saved.name}。")
                if "another" in request.POST:
                    return redirect(f"{reverse('enrollment:enrolment_entry_new')}?grade={intake.grade}")
                return redirect(_home_url(intake))
    pupil_fields, guardian_fields = _field_groups(form)
    return render(request, "enrollment/entry_form.html", {
        "form": form, "entry": entry, "intake": intake, "school": school, "row_errors": row_errors,
        "pupil_fields": pupil_fields, "guardian_fields": guardian_fields,
    })


@login_required
@require_POST
def enrolment_entry_delete(request, entry_id: int):
    school = _membership(request, (Role.REGISTRAR,)).unit
    entry = EnrolmentEntry.objects.filter(pk=object_id(entry_id), school=school).first()
    if entry is None:
        raise NotInScope("没有这名新生。", what="enrolmententry", object_id=entry_id)
    try:
        services.entry_delete(actor=request.user, entry=entry)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已删除新生 {entry.name}。")
    return redirect(f"{reverse('enrollment:enrolment_home')}?grade={entry.grade}")


@login_required
@require_POST
def enrolment_classes(request):
    """Create classes, put ticked pupils into a class, or balance all in one click."""
    school = _membership(request, (Role.REGISTRAR,)).unit
    intake = _intake(request, school)
    action = request.POST.get("action")
    try:
        if action == "create":
            form = ClassesForm(request.POST)
            if not form.is_valid():
                raise ValidationError([m for ms in form.errors.values() for m in ms])
            created = services.classes_create(actor=request.user, school=school, intake_year=intake.intake_year,
                                              grade=intake.grade, count=form.cleaned_data["count"])
            messages.success(request, f"已新建 {len(created)} 个班级。")
        elif action == "assign":
            ids = list(services.open_entries(school, intake.intake_year, intake.grade).values_list("pk", flat=True))
            form = AssignForm(request.POST, entry_ids=ids)
            if not form.is_valid():
                raise ValidationError([m for ms in form.errors.values() for m in ms])
            school_class = services.intake_classes(school, intake.intake_year, intake.grade).filter(
                pk=form.cleaned_data["school_class"]).first()
            if school_class is None:
                raise ValidationError("请选择本校本年级的班级。")
            moved = services.entries_assign(actor=request.user, school=school, entry_ids=form.cleaned_data["entries"],
                                            school_class=school_class)
            messages.success(request, f"已将 {moved} 名新生分入{school_class.name}。")
        elif action == "balance":
            placed = services.entries_balance(actor=request.user, school=school, intake_year=intake.intake_year,
                                              grade=intake.grade)
            messages.success(request, f"已将 {sum(placed.values())} 名新生均衡分到 {len(placed)} 个班级。")
        else:
            raise ValidationError("未知的操作。")
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    return redirect(_home_url(intake))


@login_required
@require_POST
def enrolment_submit(request):
    """上报, in two steps: the first POST shows what goes up (how many new pupils, per class, to
    whom) and changes nothing; the second, with ``confirm=1`` and the count confirmed, submits."""
    school = _membership(request, (Role.REGISTRAR,)).unit
    intake = _intake(request, school)
    try:
        if request.POST.get("confirm") != "1":
            preview = services.batch_preview(actor=request.user, school=school, intake_year=intake.intake_year,
                                             grade=intake.grade)
            return render(request, "enrollment/submit_confirm.html", {
                "school": school, "intake": intake, "grade_label": GRADE_LABELS[intake.grade], "preview": preview,
                "home_url": _home_url(intake),
            })
        expected = request.POST.get("expected", "")
        if not expected.isdigit():
            raise ValidationError("请先核对待上报的新生名单，再确认上报。")
        batch = services.batch_submit(actor=request.user, school=school, intake_year=intake.intake_year, grade=intake.grade,
                                      expected=int(expected))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect(_home_url(intake))
    messages.success(request, f"已上报{batch.subject}，等待{batch.steps.get(position=0).label}。")
    return redirect("approvals:request_detail", batch.pk)


@login_required
@require_GET
def enrolment_batch(request, request_id: int):
    """The pupils of a submitted batch. Whoever decides its step decides here too, through the
    engine's decision (approvals:request_decide), with a reason for each pupil to return."""
    change = get_request_for_user(request.user, request_id)
    if change.kind != services.ENROLMENT_KIND:
        raise Http404("这不是新生建籍申请。")
    entries = list(services.entries_of_batch(change).defer("data", "guardians")
                   .select_related("school", "school_class", "pupil").order_by("school_class__number", "pk"))
    # ID numbers and 学籍号 as the user sees the school's records (a city officer: masked).
    for entry in entries:
        vis = visibility_for(request.user, entry)
        entry.shown_id_number = vis.id_number(entry.id_number)
        entry.shown_number = vis.student_number(entry.pupil.student_number) if entry.pupil_id else ""
    current = change.steps.select_related("unit").filter(status="pending").first()
    can_decide = current is not None and may_decide(request.user, current)
    return render(request, "enrollment/batch.html", {
        "change": change, "entries": entries, "can_decide": can_decide, "current": current, "batch_entries": entries,
    })


@login_required
def enrolment_bureau(request):
    """The bureau's enrolment page: batches waiting, and new pupils whose identity to confirm."""
    membership = _membership(request, BUREAU_ROLES)
    batches = (requests_visible_to(request.user).filter(kind=services.ENROLMENT_KIND, status="pending")
               .select_related("started_unit").order_by("started_at")[:100])
    to_confirm = list(pupils_visible_to(request.user).filter(student_number__startswith="L", enrolment__isnull=False)
                      .select_related("school", "school_class").order_by("school__name", "name_sort", "name", "id")[:500])
    # ID numbers as the user sees the schools' records (a city or province officer: masked).
    for pupil in to_confirm:
        vis = visibility_for(request.user, pupil)
        pupil.shown_id_number = vis.id_number(pupil.id_number)
        pupil.shown_number = vis.student_number(pupil.student_number)
    return render(request, "enrollment/bureau.html", {"batches": batches, "to_confirm": to_confirm, "unit": membership.unit})


@login_required
@require_POST
def enrolment_identity_confirm(request):
    _membership(request, BUREAU_ROLES)
    ids = [int(v) for v in request.POST.getlist("pupil") if v.isdigit() and len(v) < 19]
    if not ids:
        messages.error(request, "请先勾选学生。")
        return redirect("enrollment:enrolment_bureau")
    try:
        done = services.identity_confirm(actor=request.user, pupil_ids=ids)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, f"已确认 {done} 名学生的身份，赋予正式学籍号（G/J）。")
    return redirect("enrollment:enrolment_bureau")


def pupils_of_entries(entries) -> list[Pupil]:
    return [e.pupil for e in entries if e.pupil_id]


@login_required
def enrolment_late(request):
    """补建学籍: one pupil, in October or March by the 5th."""
    from enrollment.intake.forms import LateForm
    from enrollment.intake.late import GROUNDS, check_late_window, late_start
    from xueji.pupils.models import SchoolClass

    school = _membership(request, (Role.REGISTRAR,)).unit
    classes = list(SchoolClass.objects.filter(school=school, school_year__start_year=services.current_intake_year())
                   .order_by("grade", "number"))
    form = EntryForm(request.POST or None)
    late_form = LateForm(request.POST or None, classes=classes, grounds=list(GROUNDS.items()))
    row_errors = []
    if request.method == "POST":
        valid = form.is_valid() & late_form.is_valid()  # both checked: every error shows at once
        row = _form_row(form)
        chosen = late_form.cleaned_data.get("school_class")
        school_class = next((c for c in classes if c.pk == chosen), None)
        try:
            if valid:
                change = late_start(actor=request.user, school=school, school_class=school_class,
                                    grounds=late_form.cleaned_data["grounds"], note=late_form.cleaned_data["note"], row=row)
            elif school_class is not None:
                # The pupil's rules, with the age limits of the class's grade, without submitting.
                validate_intake(Intake(school=school, intake_year=services.current_intake_year(), grade=school_class.grade),
                                [row], require_admission=False)
        except IntakeInvalid as error:
            _show_row_errors(form, error.row_errors, row_errors)
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for key, problems in error.message_dict.items():
                    target = late_form if key in late_form.fields else form if key in form.fields else None
                    for message in problems:
                        target.add_error(key, message) if target else row_errors.append(message)
            else:
                row_errors.extend(error.messages)
        else:
            if valid:
                messages.success(request, f"补建学籍申请已提交，等待{change.steps.get(position=0).label}。")
                return redirect("approvals:request_detail", change.pk)
    try:
        check_late_window(timezone.localdate())
        window_open = True
    except ValidationError:
        window_open = False
    pupil_fields, guardian_fields = _field_groups(form)
    return render(request, "enrollment/late.html", {
        "form": form, "late_form": late_form, "school": school, "row_errors": row_errors, "window_open": window_open,
        "pupil_fields": pupil_fields, "guardian_fields": guardian_fields,
    })


@login_required
def enrolment_pull(request):
    """学前调档: match the admitted children against existing records, and show the results."""
    from enrollment.admission.models import AdmissionEntry, PullResult
    from enrollment.admission.pull import preschool_pull

    membership = _membership(request, SCHOOL_ROLES_HERE)
    school, year = membership.unit, services.current_intake_year()
    if request.method == "POST":
        try:
            summary = preschool_pull(actor=request.user, school=school, intake_year=year)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
        else:
            messages.success(request, f"学前调档完成：匹配 {summary.matched} 人，待确认 {summary.to_confirm} 人，未找到 {summary.not_found} 人。")
        return redirect("enrollment:enrolment_pull")
    # An admission list's children have no record yet (no stored sort key): one school's list,
    # sorted here in pinyin order.
    admissions = sorted(AdmissionEntry.objects.filter(school=school, intake_year=year).select_related("pulled_pupil"),
                        key=lambda entry: (entry.pull_result, pinyin_sort_key(entry.name), entry.pk))
    return render(request, "enrollment/pull.html", {
        "school": school, "year": year, "admissions": admissions, "results": PullResult,
        "vis": visibility_for(request.user, school),
        "is_registrar": membership.role == Role.REGISTRAR,
    })


@login_required
@require_http_methods(["GET", "POST"])
def enrolment_info_sheets(request):
    """学生基本信息表 of the intake's new pupils (one class with ?class=), one page each, for the
    guardian and the head teacher to check and sign: printed by a worker (enrollment/intake/jobs.py);
    POST starts the job and leads to its page."""
    from xueji.documents.job_views import job_start

    school = _membership(request, SCHOOL_ROLES_HERE).unit
    intake = _intake(request, school)
    entries = EnrolmentEntry.objects.filter(school=school, intake_year=intake.intake_year, grade=intake.grade)
    school_class = None
    if request.GET.get("class"):
        school_class = services.intake_classes(school, intake.intake_year, intake.grade).filter(
            pk=object_id(request.GET["class"])).first()
        if school_class is None:
            raise Http404("没有这个班级。")
        entries = entries.filter(school_class=school_class)
    if not entries.exists():
        messages.error(request, "没有可打印的新生。")
        return redirect(_home_url(intake))
    return job_start(request, "enrolment_info_sheets", {
        "school": school.pk, "intake_year": intake.intake_year, "grade": intake.grade,
        "class": school_class.pk if school_class else None,
    })


@login_required
def enrolment_visiting(request):
    """借读生 of the school: registering one (registrar), the list of current and past visits."""
    from enrollment.intake.forms import VisitForm
    from enrollment.intake.models import VisitingPupil
    from enrollment.intake.visiting import visit_start
    from xueji.forms import show_errors
    from xueji.pupils.models import SchoolClass

    membership = _membership(request, SCHOOL_ROLES_HERE)
    school = membership.unit
    classes = list(SchoolClass.objects.filter(school=school, school_year__start_year=services.current_intake_year())
                   .order_by("grade", "number"))
    form = VisitForm(request.POST or None, classes=classes, initial={"start_date": timezone.localdate()})
    if request.method == "POST":
        if membership.role != Role.REGISTRAR:
            raise NotAllowed("只有学籍管理员可以登记借读。")
        if form.is_valid():
            data = form.cleaned_data
            try:
                visit = visit_start(actor=request.user, host=school, number=data["number"], name=data["name"],
                                    school_class=next(c for c in classes if c.pk == data["school_class"]),
                                    start_date=data["start_date"], planned_end=data["planned_end"], reason=data["reason"])
            except ValidationError as error:
                show_errors(form, error)
            else:
                messages.success(request, f"已登记 {visit.home_pupil.name} 在本校借读，已通知其学籍所在学校。")
                return redirect("enrollment:enrolment_visiting")
    visits = (VisitingPupil.objects.filter(host_school=school).select_related("home_pupil__school", "school_class")
              .order_by("ended_on", "-start_date")[:200])
    return render(request, "enrollment/visiting.html", {"form": form, "visits": visits, "school": school,
                                                        "is_registrar": membership.role == Role.REGISTRAR})


@login_required
@require_POST
def enrolment_visit_end(request, visit_id: int):
    from enrollment.intake.models import VisitingPupil
    from enrollment.intake.visiting import visit_end

    school = _membership(request, (Role.REGISTRAR,)).unit
    visit = VisitingPupil.objects.filter(pk=object_id(visit_id), host_school=school).first()
    if visit is None:
        raise NotInScope("没有这条借读记录。", what="visitingpupil", object_id=visit_id)
    try:
        visit_end(actor=request.user, visit=visit)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
    else:
        messages.success(request, "借读已结束，已通知学籍所在学校。")
    return redirect("enrollment:enrolment_visiting")
