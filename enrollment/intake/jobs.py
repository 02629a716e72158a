"""The heavy documents of enrolment, printed by a worker (xueji/documents/jobs.py): the
学生基本信息表 of an intake's new pupils (a whole grade of a big school is hundreds of pages)."""

from django.http import Http404

from enrollment.intake import services
from enrollment.intake.models import EnrolmentEntry
from xueji.accounts.models import Role, School
from xueji.accounts.permissions import NotAllowed, holds
from xueji.documents.jobs import DocumentJobKind, JobTarget

# Who prints the intake's sheets: the school's registrar and headmaster (as the page).
PRINTING_ROLES = (Role.REGISTRAR, Role.HEADMASTER)


class EnrolmentInfoSheetsJob(DocumentJobKind):
    """学生基本信息表 of the intake's new pupils, one class or the whole grade. Params: {"school",
    "intake_year", "grade", "class" (or None)}. Never kept: the entries are drafts edited until
    they are approved (no change marker to tell that a kept file still shows them)."""

    code = "enrolment_info_sheets"
    label = "学生基本信息表"

    def _parts(self, user, params):
        school = School.objects.filter(pk=params.get("school")).first()
        if school is None or not holds(user, PRINTING_ROLES, school):
            raise NotAllowed("您没有办理新生建籍的权限。")
        year, grade = params.get("intake_year"), params.get("grade")
        entries = (EnrolmentEntry.objects.filter(school=school, intake_year=year, grade=grade)
                   .select_related("school_class", "pupil").order_by("school_class__number", "pk"))
        school_class = None
        if params.get("class"):
            school_class = services.intake_classes(school, year, grade).filter(pk=params["class"]).first()
            if school_class is None:
                raise Http404("没有这个班级。")
            entries = entries.filter(school_class=school_class)
        return school, school_class, entries

    def target(self, user, params):
        school, school_class, entries = self._parts(user, params)
        scope = school_class.name if school_class else f"{params.get('intake_year')}年新生"
        return JobTarget(unit=school, title=f"{school.name}{scope}学生基本信息表", pupil_count=entries.count())

    def build(self, user, params, target, progress):
        from enrollment.intake.printing import entries_for_print
        from xueji.documents.rosters import student_info_sheets_pdf

        school, school_class, entries = self._parts(user, params)
        # Recorded under the verification code its footer carries, and audited (xueji.documents.printing).
        return student_info_sheets_pdf(entries_for_print(entries), user=user, school=school,
                                       school_class=school_class, title_year=params.get("intake_year"))

    def filename(self, target, printed):
        return f"学生基本信息表-{target.title.removesuffix('学生基本信息表')}.pdf"
