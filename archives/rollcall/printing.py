"""学籍核查报告: a school's semester audit on paper (A4), for the headmaster to sign and stamp and
the bureau to file — each class's roll-call in figures, then every line that made work, with what
was done about it. Names only: no ID or student numbers, so one report serves every reader.

Whoever follows the school's progress may print it (its registrar and headmaster, the central
school and bureaus above). Printed through ``xueji.documents.printing.print_pdf``: the footer carries the
verification code, who printed it and when, and every print is in the audit log. A worker prints
it (archives/rollcall/jobs.py): the page's button asks for the job."""

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from archives.rollcall import services as rollcall
from archives.rollcall.models import RollCallEntry
from xueji.accounts.models import Unit, User
from xueji.documents.job_views import job_start
from xueji.documents.printing import PrintedPdf, print_pdf
from xueji.pupils.models import Semester

TITLE = "学籍核查报告"
KIND = "rollcall_report"
Outcome = RollCallEntry.Outcome


def report_pdf(school: Unit, semester: Semester, user: User) -> PrintedPdf:
    [row] = rollcall.progress([school], semester)
    work = list(rollcall.work_of_school(school, semester))
    absences = (RollCallEntry.objects.filter(roll_call__school=school, roll_call__semester=semester, roll_call__status="done",
                                             kind=RollCallEntry.Kind.RECORD, present=False, outcome="")
                .select_related("roll_call__school_class").order_by("roll_call__school_class__grade", "roll_call__school_class__number", "pupil__name_sort", "name", "id"))
    first, last = rollcall.audit_window(semester)
    totals = {name: sum(getattr(c, name) for c in row.classes) for name in ("records", "present", "absent", "unlisted", "visiting")}
    sections = [
        ("一、在校无学籍（须补建学籍）", [e for e in work if e.outcome == Outcome.LATE_REGISTRATION]),
        ("二、无故缺席（疑似辍学，已记入缺课记录）", [e for e in work if e.outcome == Outcome.DROPOUT]),
        ("三、已随家长迁走未办转学（须跟进转学）", [e for e in work if e.outcome == Outcome.TRANSFER]),
        ("四、借读生（学籍在原学校，须原学校确认）", [e for e in work if e.outcome == Outcome.VISITING]),
    ]
    context = {
        "title": TITLE, "school": school, "semester": semester, "window_first": first, "window_last": last,
        "row": row, "totals": totals, "sections": sections, "absences": list(absences),
    }
    return print_pdf(user=user, kind=KIND, title=f"{TITLE}（{semester}）", template="archives/rollcall_report.html",
                     context=context, unit=school, subject=school.name, audit_obj=school, audit_unit=school)


@login_required
@require_http_methods(["GET", "POST"])
def rollcall_report(request, school_id: int):
    """打印核查报告 (?semester=, else the semester under way): a worker prints it
    (archives/rollcall/jobs.py, RollCallReportJob); POST starts the job and leads to its page,
    GET shows the button."""
    school = rollcall.get_rollcall_school_for_user(request.user, school_id)
    semester, _unknown = rollcall.semester_chosen(request.GET.get("semester"), timezone.localdate())
    if semester is None:
        raise Http404("没有这个学期。")
    return job_start(request, "rollcall_report", {"school": school.pk, "semester": semester.pk})
