"""The class roster (花名册) as a spreadsheet leaves through an export request (xueji/exports):
the roster's rows as the requester may see them (xueji.pupils.visibility), then de-identified
unless full values were granted (学籍号, ID numbers, phones), with the columns asked for. The
PDF roster stays a print (a paper for the class's wall, with a verification code)."""

from io import BytesIO

from openpyxl import Workbook

from xueji.accounts.models import Membership, Role, User
from xueji.accounts.scoping import NotInScope
from xueji.codes import PupilStatus
from xueji.documents.xlsx import DATE_FORMAT, TEXT_FORMAT, Table, write_title
from xueji.exports.registry import ExportField, ExportJob, ExportKind, ExportOutput, ExportScope
from xueji.pupils.scoping import classes_visible_to, get_class_for_user, pupils_visible_to
from xueji.pupils.visibility import visibility_for

_FIELDS = [
    ExportField("index", "序号"), ExportField("student_number", "学籍号", "number"), ExportField("name", "姓名"),
    ExportField("gender", "性别"), ExportField("birth_date", "出生日期"), ExportField("ethnicity", "民族"),
    ExportField("id_number", "身份证件号", "id"), ExportField("hukou", "户口所在地"), ExportField("guardian", "监护人"),
    ExportField("phone", "联系电话", "phone"), ExportField("remark", "备注"),
]
_WIDTHS = dict(zip([f.key for f in _FIELDS], [6, 22, 10, 6, 12, 10, 22, 24, 18, 14, 12]))
IN_SCHOOL = [PupilStatus.ENROLLED, PupilStatus.SUSPENDED, PupilStatus.VISITING]
ROSTER_ROLES = frozenset({Role.REGISTRAR, Role.HEADMASTER, Role.HEAD_TEACHER, Role.CENTRAL_REGISTRAR,
                          Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER})


class RosterExportKind(ExportKind):
    code = "roster"
    label = "班级花名册（Excel）"
    roles = ROSTER_ROLES

    def fields(self) -> list[ExportField]:
        return list(_FIELDS)

    def _classes(self, user: User, membership: Membership):
        classes = classes_visible_to(user).filter(school__path__startswith=membership.unit.path)
        if membership.role == Role.HEAD_TEACHER:
            classes = classes.filter(head_teacher=user)
        return classes.select_related("school").order_by("school__path", "grade", "number")

    def scope_choices(self, user: User, membership: Membership) -> list[tuple[str, str]]:
        return [(str(c.pk), f"{c.school.name} {c.name}") for c in self._classes(user, membership)[:500]]

    def scope_resolve(self, user: User, membership: Membership, value: str) -> ExportScope:
        school_class = get_class_for_user(user, value)
        if not self._classes(user, membership).filter(pk=school_class.pk).exists():
            raise NotInScope("没有找到这个班级，或您无权查看。", what="schoolclass", object_id=value)
        return ExportScope(str(school_class.pk), school_class.school, f"{school_class.school.name} {school_class.name}")

    def write(self, job: ExportJob) -> ExportOutput:
        from dataclasses import astuple

        from xueji.documents.rosters import pupils_for_print, roster_rows

        school_class = get_class_for_user(job.requester, job.scope.value)
        pupils = pupils_for_print(
            pupils_visible_to(job.requester).filter(school_class=school_class, status__in=IN_SCHOOL,
                                                    deleted_at__isnull=True).order_by("name")
        )
        visibility = visibility_for(job.requester, school_class.school)
        chosen = [f for f in _FIELDS if f.key in job.fields]
        positions = [_FIELDS.index(f) for f in chosen]
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "花名册"
        write_title(sheet, f"{school_class.school.name} {school_class.name} 花名册（{school_class.school_year}）",
                    columns=len(chosen), height=30)
        sheet.oddFooter.left.text = job.watermark_text[:200]
        sheet.oddFooter.left.size = 7
        formats = {f.label: TEXT_FORMAT for f in chosen if f.personal}
        formats.update({"出生日期": DATE_FORMAT} if any(f.key == "birth_date" for f in chosen) else {})
        table = Table(sheet, [f.label for f in chosen], row=2, widths=[_WIDTHS[f.key] for f in chosen],
                      formats=formats, landscape=True)
        rows = roster_rows(pupils, visibility)
        for row in rows:
            values = astuple(row)
            table.add([job.value(_FIELDS[i], values[i]) if _FIELDS[i].personal else values[i] for i in positions])
        output = BytesIO()
        workbook.save(output)
        return ExportOutput(output.getvalue(), len(rows))
