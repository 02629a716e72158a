"""Documents that leave through an export request (xueji/exports).

- The class roster (花名册) as a spreadsheet: the roster's rows as the requester may see them
  (xueji.pupils.visibility), then de-identified unless full values were granted (学籍号, ID
  numbers, phones), with the columns asked for. The PDF roster stays a print (a paper for the
  class's wall, with a verification code).
- A school's (or a grade's) 学籍卡 as one PDF: the cards as the requester may see them, then the
  学籍号, ID numbers, guardians' phones and addresses masked unless full values were granted
  (xueji.exports.masking.ExportVisibility), the watermark in every page's footer. One pupil's
  card and a class's cards stay an immediate print.
"""

from io import BytesIO

from django.core.exceptions import ValidationError
from openpyxl import Workbook

from xueji.accounts.models import Membership, Role, UnitKind, User
from xueji.accounts.scoping import NotInScope, get_school_for_user, schools_visible_to
from xueji.codes import GRADE_LABELS, PupilStatus
from xueji.documents.cards import SCHOOL_WIDE_ROLES, SUBTREE_ROLES, cards_pdf, pupils_for_cards, school_pupils
from xueji.documents.xlsx import DATE_FORMAT, TEXT_FORMAT, Table, write_title
from xueji.exports.masking import export_visibility
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
                                                    deleted_at__isnull=True).order_by("name_sort", "name", "id")
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


# A school's (or a grade's) 学籍卡 ---------------------------------------------------------------

# What the cards print of the masked kinds, as export fields: unticked, a box prints "***"; ticked,
# it prints masked unless the approver granted full values. The card itself (names, dates, class,
# photo, history) is always printed: it is the document asked for.
_CARD_FIELDS = [
    ExportField("card", "学籍卡（姓名、性别、出生日期、班级、照片、学籍变动等，必含）"),
    ExportField("student_number", "学籍号（含曾用学籍号）", "number"),
    ExportField("id_number", "身份证件号（学生、监护人）", "id"),
    ExportField("phone", "监护人联系电话", "phone"),
    ExportField("address", "现住址、户籍地址", "address"),
]
SCHOOLS_OFFERED = 500


def card_scope_value(school_id: int, grade: int | None) -> str:
    return f"{school_id}-{grade}" if grade else str(school_id)


class SchoolCardsExportKind(ExportKind):
    """The 学籍卡 of every pupil in school of a school (or of one grade of it): one PDF, a page a
    pupil, the request's watermark in every page's footer. Printing one pupil's card, or a
    class's cards, for the own school stays immediate (xueji/documents/views.py). A scope is
    "<school id>" or "<school id>-<grade>"."""

    code = "school_cards"
    label = "全校或年级学籍卡（PDF）"
    roles = frozenset(SCHOOL_WIDE_ROLES | SUBTREE_ROLES)  # who prints every pupil of a school

    def fields(self) -> list[ExportField]:
        return list(_CARD_FIELDS)

    @staticmethod
    def _prints_whole(membership: Membership, school) -> bool:
        """Whether this role (not another of the user's) prints every pupil of the school."""
        unit = membership.unit
        return ((membership.role in SCHOOL_WIDE_ROLES and unit.pk == school.pk)
                or (membership.role in SUBTREE_ROLES and school.path.startswith(unit.path)))

    def scope_choices(self, user: User, membership: Membership) -> list[tuple[str, str]]:
        if membership.unit.kind == UnitKind.SCHOOL:
            school = membership.unit
            grades = sorted(set(school_pupils(user, school).values_list("grade", flat=True)))
            return [(str(school.pk), f"{school.name} 全校")] + [
                (card_scope_value(school.pk, g), f"{school.name} {GRADE_LABELS.get(g, g)}") for g in grades if g]
        schools = (schools_visible_to(user).filter(path__startswith=membership.unit.path, kind=UnitKind.SCHOOL)
                   .order_by("path", "name")[:SCHOOLS_OFFERED])
        return [(str(s.pk), f"{s.name} 全校") for s in schools]

    def scope_resolve(self, user: User, membership: Membership, value: str) -> ExportScope:
        if not value and membership.unit.kind != UnitKind.SCHOOL:
            raise ValidationError({"scope": "请选择学校。"})
        school_id, _, grade_text = (value or str(membership.unit.pk)).partition("-")
        school = get_school_for_user(user, school_id)
        grade = None
        if grade_text:
            grade = int(grade_text) if grade_text.isdigit() else 0
            if grade not in GRADE_LABELS:
                raise NotInScope("没有这个年级。", what="grade", object_id=grade_text)
        if not self._prints_whole(membership, school):
            raise NotInScope("没有找到这所学校，或您无权导出全校学籍卡。", what="unit", object_id=school_id)
        label = f"{school.name} {GRADE_LABELS[grade] if grade else '全校'}"
        return ExportScope(card_scope_value(school.pk, grade), school, label)

    def write(self, job: ExportJob) -> ExportOutput:
        """The cards as the requester sees the pupils, masked as the export says, laid out a class
        at a time (a school of 900 pupils: see docs/security.md, 数据出境, for its time)."""
        school = job.scope.unit
        _, _, grade_text = job.scope.value.partition("-")
        grade = int(grade_text) if grade_text else None
        pupils = pupils_for_cards(school_pupils(job.requester, school, grade))
        asked = {f.personal for f in _CARD_FIELDS if f.personal and f.key in job.fields}

        def visibility_of(pupil):
            return export_visibility(visibility_for(job.requester, pupil), full_values=job.full_values, asked=asked)

        subject = GRADE_LABELS[grade] if grade else "全校"
        printed = cards_pdf(pupils, user=job.requester, unit=school, subject=subject, chunk_by_class=True,
                            visibility_of=visibility_of, watermark=job.watermark_text)
        return ExportOutput(printed.content, len(pupils), extension="pdf")
