"""The printed documents of enrolment: 学生基本信息表 and the class roster (花名册), as PDF and xlsx.

The functions take plain objects rather than querysets, so that the same documents print both
established pupils and enrolment entries not yet approved (unsaved ``Pupil`` instances built from
them). They read only the fields of ``xueji.models.Pupil`` and, for guardians, the iterable
``guardians_list`` the caller sets on each pupil (a list of ``Guardian`` or objects like it;
``pupils_for_print`` loads a queryset that way), and never touch related managers.

The caller checks who may print (the pupils, the class, the school through the scoped
``*_for_user`` helpers). What of each pupil is printed is xueji.pupils.visibility's, for the
printing user at the document's school: the ID number masked, a box the user may not see (the
household registration, the address, a guardian's ID number or phone …) printed "***".
Printing goes through xueji.documents.printing: each
document is recorded under the verification code its footer (or, in the spreadsheet, its title
row) carries, and written to the audit log.
"""

from dataclasses import astuple, dataclass
from datetime import date
from io import BytesIO

from django.db.models import Prefetch, QuerySet
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from xueji.codes import PupilStatus
from xueji.documents.info_sheet import FAMILY_HEADER, member_lines, pupil_lines
from xueji.documents.jobs import DocumentJobKind, JobTarget
from xueji.documents.printing import PrintedPdf, export_xlsx, print_pdf, printed_pupil
from xueji.documents.xlsx import DATE_FORMAT, TEXT_FORMAT, Table, write_title
from xueji.pupils.models import Guardian
from xueji.pupils.national_form import FAMILY_MEMBERS, ITEMS_BY_KEY
from xueji.pupils.national_record import family_members, pupil_groups
from xueji.pupils.visibility import Visibility, visibility_for

PENDING_NUMBER = "待建籍"
ROSTER_COLUMNS = ["序号", "学籍号", "姓名", "性别", "出生日期", "民族", "身份证件号", "户口所在地", "监护人", "联系电话", "备注"]
# Written as text so that Excel neither shows 1.10E+17 nor drops the last digits of a number.
ROSTER_TEXT_COLUMNS = {"学籍号", "身份证件号", "联系电话"}

def pupils_for_print(pupils: QuerySet) -> list:
    """The pupils of a queryset the caller has already scoped, with everything the documents read
    loaded in two queries (pupils with their divisions and class, then guardians); printing
    pupils loaded without it costs several queries per pupil, one per division shown."""
    guardians = Guardian.objects.select_related("hukou_division").order_by("pupil_id", "position")
    return list(
        pupils.select_related("birthplace", "native_place", "hukou_division", "school_class").prefetch_related(
            Prefetch("guardians", queryset=guardians, to_attr="guardians_list")
        )
    )


def student_info_sheets_context(pupils: list, *, school, school_class=None, title_year: int,
                                visibility: Visibility) -> dict:
    """What student_info_sheet.html prints (it reads no database: entries print as they are), as
    ``visibility`` (the printing user's at the school) says: the 48 items and the family block laid
    out as the national form (xueji.documents.info_sheet)."""
    sheets = [
        {
            "pupil": pupil,
            "class_name": _class_name(pupil, school_class),
            "lines": pupil_lines(pupil_groups(pupil, visibility, printed=True)),
            "members": member_lines(family_members(pupil.guardians_list, visibility, printed=True)),
            "family_rows": 1 + 3 * max(len(pupil.guardians_list), FAMILY_MEMBERS),
        }
        for pupil in pupils
    ]
    return {"sheets": sheets, "school": school, "title_year": title_year, "vis": visibility,
            "photo_label": ITEMS_BY_KEY["photo"].numbered_label, "family_header": FAMILY_HEADER}


def student_info_sheets_pdf(pupils: list, *, user, school, school_class=None, title_year: int,
                            audit_obj=None) -> PrintedPdf:
    """学生基本信息表: one A4 page per pupil, all in one PDF, for the guardian and the head teacher
    to check and sign, printed by ``user`` (recorded under its verification code, audited).
    ``school_class`` names the class on every sheet; without it each pupil's own
    ``school_class`` (if any) is printed."""
    visibility = visibility_for(user, school)
    return print_pdf(
        user=user, kind="info_sheet", title=f"{title_year}年学生基本信息表", template="documents/student_info_sheet.html",
        context=student_info_sheets_context(pupils, school=school, school_class=school_class, title_year=title_year,
                                            visibility=visibility),
        unit=school, school_class=school_class, subject=school_class.name if school_class else "",
        pupils=[printed_pupil(pupil, visibility=visibility) for pupil in pupils], audit_obj=audit_obj,
    )


def class_roster_context(pupils: list, *, school, school_class, school_year_label: str,
                         visibility: Visibility) -> dict:
    return {
        "rows": roster_rows(pupils, visibility),
        "columns": ROSTER_COLUMNS,
        "school": school,
        "school_class": school_class,
        "school_year_label": school_year_label,
    }


def class_roster_pdf(pupils: list, *, user, school, school_class, school_year_label: str,
                     audit_action: str = "class.roster") -> PrintedPdf:
    """花名册 of a class: landscape A4, one row per pupil, the header row repeated on every page,
    and the boxes for the maker, the headmaster's signature and the school's stamp at the end.
    What of each pupil is printed is the printing user's at the school (xueji.pupils.visibility)."""
    visibility = visibility_for(user, school)
    return print_pdf(
        user=user, kind="class_roster", title=f"{school_class.name}花名册（{school_year_label}）",
        template="documents/class_roster.html",
        context=class_roster_context(pupils, school=school, school_class=school_class,
                                     school_year_label=school_year_label, visibility=visibility),
        unit=school, school_class=school_class, subject=school_class.name,
        pupils=[printed_pupil(pupil, visibility=visibility) for pupil in pupils], audit_action=audit_action,
        audit_obj=school_class,
    )


def class_roster_xlsx(pupils: list, *, user, school, school_class, school_year_label: str,
                      audit_action: str = "class.roster") -> PrintedPdf:
    """花名册 as an Excel workbook: a title row (with the verification code, who exported it and
    when, in its last cells and in the printed page's footer), the header row frozen, the same
    columns as the PDF. ID numbers, 学籍号 and phone numbers are strings in text cells ("@"). What of
    each pupil is written is the exporting user's at the school (xueji.pupils.visibility)."""
    visibility = visibility_for(user, school)
    return export_xlsx(
        user=user, kind="class_roster_xlsx", title=f"{school_class.name}花名册（{school_year_label}）",
        build=lambda stamp: class_roster_workbook(pupils, school=school, school_class=school_class,
                                                  school_year_label=school_year_label, stamp=stamp,
                                                  visibility=visibility),
        unit=school, school_class=school_class, subject=school_class.name,
        pupils=[printed_pupil(pupil, visibility=visibility) for pupil in pupils], audit_action=audit_action,
        audit_obj=school_class,
    )


# The title takes the first columns of row 1, the stamp (code, who, when) the last three.
STAMP_COLUMNS = 3


def class_roster_workbook(pupils: list, *, school, school_class, school_year_label: str, visibility: Visibility,
                          stamp=None) -> bytes:
    """The roster's workbook (class_roster_xlsx records and audits it)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    title_columns = len(ROSTER_COLUMNS) - (STAMP_COLUMNS if stamp else 0)
    write_title(sheet, f"{school.name} {school_class.name} 花名册（{school_year_label}）", columns=title_columns, height=30)
    if stamp:
        footer = f"核验码：{stamp.display_code}　打印：{stamp.printed_by} {stamp.printed_at:%Y-%m-%d %H:%M}"
        cell = sheet.cell(row=1, column=title_columns + 1, value=f"核验码：{stamp.display_code}\n"
                          f"导出：{stamp.printed_by} {stamp.printed_at:%Y-%m-%d %H:%M}")
        sheet.merge_cells(start_row=1, start_column=title_columns + 1, end_row=1, end_column=len(ROSTER_COLUMNS))
        cell.font = Font(size=9, color="555555")
        cell.alignment = Alignment(horizontal="right", vertical="center", wrap_text=True)
        # Printed from Excel, every page carries it too.
        sheet.oddFooter.left.text = footer
        sheet.oddFooter.left.size = 8
        sheet.oddFooter.right.text = "第 &P 页 共 &N 页"
        sheet.oddFooter.right.size = 8

    # Printed from Excel: landscape, one page wide, the header row on every page.
    table = Table(sheet, ROSTER_COLUMNS, row=2, widths=[6, 22, 10, 6, 12, 10, 22, 24, 18, 14, 12],
                  formats={**dict.fromkeys(ROSTER_TEXT_COLUMNS, TEXT_FORMAT), "出生日期": DATE_FORMAT}, landscape=True)
    for row in roster_rows(pupils, visibility):
        table.add(astuple(row))

    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


@dataclass(frozen=True)
class RosterRow:
    """One line of the roster; its fields are in the order of ROSTER_COLUMNS."""

    index: int
    student_number: str
    name: str
    gender: str
    birth_date: date | None
    ethnicity: str
    id_number: str
    hukou: str
    guardian: str
    phone: str
    remark: str


def roster_rows(pupils: list, visibility: Visibility) -> list[RosterRow]:
    """The roster's rows, shared by the PDF and the spreadsheet so that both say the same thing,
    as ``visibility`` says (a box not shown is "***"). The guardian is the first of
    ``guardians_list`` (the main contact)."""
    v = visibility
    rows = []
    for index, pupil in enumerate(pupils, start=1):
        guardians = list(pupil.guardians_list)
        first = guardians[0] if guardians else None
        rows.append(
            RosterRow(
                index=index,
                student_number=v.student_number(pupil.student_number) or PENDING_NUMBER,
                name=pupil.name,
                gender=pupil.get_gender_display(),
                birth_date=pupil.birth_date,
                ethnicity=pupil.get_ethnicity_display(),
                id_number=v.id_number(pupil.id_number),
                hukou=v.printed("hukou_division", _division_name(pupil.hukou_division)),
                guardian=f"{first.name}（{first.get_relation_display()}）" if first else "",
                phone=v.printed("phone", first.phone, guardian=True) if first else "",
                # Only what differs from the usual: a pupil on the roll who is not at school.
                remark="" if pupil.status in ("", PupilStatus.ENROLLED) else pupil.get_status_display(),
            )
        )
    return rows


def _class_name(pupil, school_class) -> str:
    own_class = school_class if school_class is not None else getattr(pupil, "school_class", None)
    return own_class.name if own_class is not None else ""


def _division_name(division) -> str:
    if division is None:
        return ""
    return getattr(division, "full_name", "") or division.name




class ClassRosterJob(DocumentJobKind):
    """花名册 PDF of a class, printed by a worker: its pupils in school (在籍在校, 休学, 借读), as the
    user may see them (xueji.pupils.visibility, applied by the roster itself). Params:
    {"class": id}. Kept per user while the pupils, guardians and classes it prints are unchanged
    (the cards' fingerprint covers all of them) and the user's view of the school is the same."""

    code = "class_roster"
    label = "花名册"

    def _pupils(self, user, school_class):
        from xueji.pupils.scoping import pupils_visible_to

        in_school = [PupilStatus.ENROLLED, PupilStatus.SUSPENDED, PupilStatus.VISITING]
        return (pupils_visible_to(user).filter(school_class=school_class, status__in=in_school, deleted_at__isnull=True)
                .order_by("name_sort", "name", "id"))

    def _class(self, user, params):
        from xueji.pupils.scoping import get_class_for_user

        return get_class_for_user(user, params.get("class"))

    def target(self, user, params):
        school_class = self._class(user, params)
        return JobTarget(unit=school_class.school, title=f"{school_class.school.name}{school_class.name}花名册",
                         pupil_count=self._pupils(user, school_class).count())

    def fingerprint(self, user, params, target):
        import hashlib

        from xueji.documents.cards import cards_fingerprint

        school_class = self._class(user, params)
        seen = visibility_for(user, school_class.school)
        return hashlib.sha256(repr([
            cards_fingerprint(self._pupils(user, school_class), school_class.school), str(school_class.school_year),
            sorted(seen.sees.items()),
        ]).encode()).hexdigest()

    def build(self, user, params, target, progress):
        school_class = self._class(user, params)
        pupils = pupils_for_print(self._pupils(user, school_class))
        # Recorded under a verification code (in the PDF's footer) and audited as class.roster.
        return class_roster_pdf(pupils, user=user, school=school_class.school, school_class=school_class,
                                school_year_label=str(school_class.school_year))

    def filename(self, target, printed):
        return f"花名册-{target.title.removesuffix('花名册')}.pdf"
