"""The heavy document of the semester audit, printed by a worker (xueji/documents/jobs.py): a
school's 学籍核查报告 (every class of the school, then every line that made work and every absence
still open: a big school's runs to pages)."""

from django.http import Http404

from archives.rollcall import services as rollcall
from xueji.documents.jobs import DocumentJobKind, JobTarget
from xueji.pupils.models import Semester


class RollCallReportJob(DocumentJobKind):
    """打印核查报告 of a school for a semester. Params: {"school": id, "semester": id}. Whoever
    follows the school's audit may print it (rollcall.get_rollcall_school_for_user: 404 to anyone
    else). Never kept: the lines change all through the window (marked, handled, their notes
    written) with no marker to tell that a kept file still shows them, and the report is a few
    pages, not worth one."""

    code = "rollcall_report"
    label = "学籍核查报告"

    def _parts(self, user, params):
        school = rollcall.get_rollcall_school_for_user(user, params.get("school"))
        semester = Semester.objects.select_related("school_year").filter(pk=params.get("semester")).first()
        if semester is None:
            raise Http404("没有这个学期。")
        return school, semester

    def target(self, user, params):
        school, semester = self._parts(user, params)
        return JobTarget(unit=school, title=f"{school.name}{semester}学籍核查报告")

    def build(self, user, params, target, progress):
        from archives.rollcall.printing import report_pdf

        school, semester = self._parts(user, params)
        # Recorded under the verification code its footer carries, and audited (xueji.documents.printing).
        return report_pdf(school, semester, user)

    def filename(self, target, printed):
        return f"学籍核查报告-{target.title.removesuffix('学籍核查报告')}.pdf"
