"""The 义务教育证书编号表 (a school's graduates of a school year with their certificate numbers)
leaves through an export request (xueji/exports), registered from SchoolyearConfig.ready(): the
graduates' names, 学籍号 (masked unless the leader granted full values, and as the requester
sees them), classes and numbers, with the columns asked for. The xlsx's first sheet, the
watermark, is added by the core. The certificate page's former download link leads to the
request's form, prefilled (schoolyear/views.py)."""

from io import BytesIO

from django.core.exceptions import ValidationError
from openpyxl import Workbook
from openpyxl.styles import Alignment

from schoolyear import selectors
from schoolyear.selectors import SCHOOL_ROLES
from xueji.accounts.models import Membership, UnitKind, User
from xueji.accounts.scoping import UNIT_ROLES_SEEING_SUBTREE, NotInScope
from xueji.documents.xlsx import DATE_FORMAT, TEXT_FORMAT, Table, write_title
from xueji.exports.registry import ExportField, ExportJob, ExportKind, ExportOutput, ExportScope
from xueji.pupils.visibility import visibility_for

CODE = "certificate_numbers"
_FIELDS = [
    ExportField("index", "序号"), ExportField("student_number", "学籍号", "number"), ExportField("name", "姓名"),
    ExportField("gender", "性别"), ExportField("birth_date", "出生日期"), ExportField("class_name", "班级"),
    ExportField("graduated_on", "毕业日期"), ExportField("certificate_number", "证书编号"),
]
_WIDTHS = dict(zip([f.key for f in _FIELDS], [6, 22, 10, 6, 12, 14, 12, 22]))
_TEXT = {"student_number", "certificate_number"}
_DATES = {"birth_date", "graduated_on"}
SCOPES_OFFERED = 500
YEARS = range(2000, 2101)


def certificate_scope_value(school_id: int, start_year: int) -> str:
    return f"{school_id}-{start_year}"


def _year_label(start_year: int) -> str:
    return f"{start_year}—{start_year + 1}学年"


class CertificateNumbersExportKind(ExportKind):
    """A school's graduates of a school year with their certificate numbers (Excel). A scope is
    "<school id>-<start year>"; asked by those who follow the school's year (its registrar and
    headmaster, the central school and bureaus above it)."""

    code = CODE
    label = "义务教育证书编号表（Excel）"
    roles = frozenset(SCHOOL_ROLES | UNIT_ROLES_SEEING_SUBTREE)

    def fields(self) -> list[ExportField]:
        return list(_FIELDS)

    @staticmethod
    def _follows(membership: Membership, school) -> bool:
        """Whether this role (not another of the user's) follows the school's year."""
        unit = membership.unit
        return ((membership.role in SCHOOL_ROLES and unit.pk == school.pk)
                or (membership.role in UNIT_ROLES_SEEING_SUBTREE and school.path.startswith(unit.path)))

    def scope_choices(self, user: User, membership: Membership) -> list[tuple[str, str]]:
        rows = [row for row in selectors.certificate_rows(user) if self._follows(membership, row.school)]
        return [(certificate_scope_value(row.school.pk, row.start_year),
                 f"{row.school.name} {_year_label(row.start_year)}毕业生（{row.graduates} 人）")
                for row in rows[:SCOPES_OFFERED]]

    def scope_resolve(self, user: User, membership: Membership, value: str) -> ExportScope:
        if not value:
            raise ValidationError({"scope": "请选择学校和学年（有毕业生的学年才能导出）。"})
        school_id, _, year_text = value.partition("-")
        if not year_text.isdigit() or int(year_text) not in YEARS:
            raise NotInScope("请选择学校和学年。", what="schoolyear", object_id=value[:20])
        school = selectors.get_followed_school(user, school_id)
        if school.kind != UnitKind.SCHOOL or not self._follows(membership, school):
            raise NotInScope("没有找到这所学校，或您无权查看。", what="unit", object_id=school_id)
        year = int(year_text)
        return ExportScope(certificate_scope_value(school.pk, year), school, f"{school.name} {_year_label(year)}")

    def write(self, job: ExportJob) -> ExportOutput:
        """A title row, the header frozen, a row a graduate; numbers as text. 学籍号 as the
        requester sees them, then masked unless full values were granted."""
        school = job.scope.unit
        year = int(job.scope.value.partition("-")[2])
        graduates = list(selectors.graduates_of(school, year))
        visibility = visibility_for(job.requester, school)
        chosen = [f for f in _FIELDS if f.key in job.fields]
        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "证书编号"
        write_title(sheet, f"{school.name} {_year_label(year)}毕业生义务教育证书编号", columns=len(chosen),
                    alignment=Alignment(horizontal="center"))
        sheet.oddFooter.left.text = job.watermark_text[:200]
        sheet.oddFooter.left.size = 7
        formats = {f.label: TEXT_FORMAT for f in chosen if f.key in _TEXT}
        formats.update({f.label: DATE_FORMAT for f in chosen if f.key in _DATES})
        table = Table(sheet, [f.label for f in chosen], row=2, widths=[_WIDTHS[f.key] for f in chosen],
                      header_alignment=None, formats=formats)
        for index, graduate in enumerate(graduates, start=1):
            pupil = graduate.pupil
            certificate = getattr(graduate, "certificate", None)
            values = {
                "index": index, "student_number": visibility.student_number(pupil.student_number), "name": pupil.name,
                "gender": pupil.get_gender_display(), "birth_date": pupil.birth_date,
                "class_name": pupil.school_class.name if pupil.school_class_id else "",
                "graduated_on": graduate.graduation.graduated_on,
                "certificate_number": certificate.number if certificate else "",
            }
            # A number the requester sees masked stays so (masking it again would garble it).
            table.add([job.value(f, values[f.key]) if f.personal and "*" not in str(values[f.key]) else values[f.key]
                       for f in chosen])
        output = BytesIO()
        workbook.save(output)
        return ExportOutput(output.getvalue(), len(graduates))
