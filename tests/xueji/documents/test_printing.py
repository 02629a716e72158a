"""The one printing machinery (xueji/documents/printing.py): every print carries a verification code with
the printing user and the time, is recorded (PrintedDocument, append-only) and audited; the
verification page looks a code up and shows the pupils only to those who may see them. And
every converted print: 学生基本信息表, 花名册 (PDF and Excel), the application forms, the
劝返复学通知书."""

from datetime import datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import IntegrityError, ProgrammingError, transaction
from openpyxl import load_workbook

from tests.pdfs import pdf_stream_words, pdf_words, squeezed
from tests.document_jobs import print_through_job
from xueji.accounts.models import AuditEntry
from xueji.documents.models import DocumentJob, PrintedDocument
from xueji.documents.printing import CODE_ALPHABET, new_code, normalize_code

SHANGHAI = ZoneInfo("Asia/Shanghai")
PRINTED = datetime(2026, 12, 4, 10, 30, tzinfo=SHANGHAI)


@pytest.fixture
def named(world):
    for username, full_name in [("registrar_a1", "张三"), ("registrar_b1", "孙七")]:
        user = world.user(username)
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    return world


def test_codes_are_eight_unambiguous_characters_and_read_forgivingly():
    codes = {new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == 8 and set(code) <= set(CODE_ALPHABET) for code in codes)
    assert not set("ILOU") & set(CODE_ALPHABET)
    assert normalize_code("7kq4-m2xd") == "7KQ4M2XD"
    assert normalize_code(" 7KQ4 M2XD ") == "7KQ4M2XD"
    assert normalize_code("7KQ4-M2XO") == "7KQ4M2X0" and normalize_code("IL000000") == "11000000"
    for bad in ("", "7KQ4", "7KQ4M2XDX", "7KQ4-M2X!", "UUUUUUUU"):
        assert normalize_code(bad) is None


def _roster(client, world, fmt="pdf"):
    url = f"/classes/{world.classes['a1_3_1'].pk}/roster.{fmt}"
    with time_machine.travel(PRINTED, tick=False):
        return print_through_job(client, url) if fmt == "pdf" else client.get(url)


def test_the_roster_carries_the_code_and_the_printing_user_in_its_footer(named, login):
    response = _roster(login(named.user("registrar_a1")), named)
    code = response["X-Document-Code"]
    words = pdf_words(response.content)
    # Landscape: pdftotext reads the footer's two halves beside the signature boxes.
    assert f"核验码：{code}" in words and squeezed("打印：张三 2026-12-04 10:30") in words
    record = PrintedDocument.objects.get(code=code.replace("-", ""))
    assert (record.kind, record.subject, record.school_class_id) == ("class_roster", "三年级（1）班", named.classes["a1_3_1"].pk)
    assert record.pupils == [{"id": named.pupils["a1"].pk, "name": "张小明", "number": named.pupils["a1"].student_number}]
    entry = AuditEntry.objects.get(action="class.roster")
    assert code in entry.detail and entry.user == named.user("registrar_a1")


def test_the_roster_spreadsheet_is_recorded_with_its_code_in_a_cell(named):
    # The page's link leads to an export request now (tests/xueji/exports/test_roster_export.py);
    # the workbook of class_roster_xlsx keeps its code.
    from xueji.documents.rosters import class_roster_xlsx, pupils_for_print
    from xueji.pupils.models import Pupil

    school_class = named.classes["a1_3_1"]
    with time_machine.travel(PRINTED, tick=False):
        printed = class_roster_xlsx(pupils_for_print(Pupil.objects.filter(school_class=school_class)),
                                    user=named.user("registrar_a1"), school=named.units["a1"],
                                    school_class=school_class, school_year_label=str(school_class.school_year))
    code = printed.code
    sheet = load_workbook(BytesIO(printed.content)).active
    stamp = next(cell.value for cell in sheet[1] if cell.value and "核验码" in str(cell.value))
    assert f"核验码：{code}" in stamp and "张三 2026-12-04 10:30" in stamp
    assert code in sheet.oddFooter.left.text
    record = PrintedDocument.objects.get(code=code.replace("-", ""))
    assert record.file_format == "xlsx" and record.page_count is None and record.kind == "class_roster_xlsx"
    assert AuditEntry.objects.filter(action="class.roster", detail__contains=code).exists()


def test_info_sheets_are_recorded(named):
    # The 学生基本信息表 of saved pupils, printed through xueji.documents.rosters as the enrolment page does.
    from xueji.documents.rosters import pupils_for_print, student_info_sheets_pdf
    from xueji.pupils.models import Pupil

    pupils = pupils_for_print(Pupil.objects.filter(pk=named.pupils["a1"].pk))
    with time_machine.travel(PRINTED, tick=False):
        printed = student_info_sheets_pdf(pupils, user=named.user("registrar_a1"), school=named.units["a1"],
                                          title_year=2026)
    # In the order drawn: the page's reading order puts the signature line's 日期 between the
    # footer's halves.
    assert squeezed(f"核验码：{printed.code} 打印：张三 2026-12-04 10:30") in pdf_stream_words(printed.content)
    assert printed.record.kind == "info_sheet" and printed.record.title == "2026年学生基本信息表"


def test_verification_shows_what_was_printed_and_whom_only_to_those_who_see_them(named, login):
    code = _roster(login(named.user("registrar_a1")), named)["X-Document-Code"]

    page = login(named.user("officer_a")).get(f"/documents/verify/?code={code.lower()}").content.decode()
    assert "有效" in page and "花名册" in page and "张三" in page and "2026-12-04 10:30" in page
    assert "农安县实验小学" in page and "张小明" in page and named.pupils["a1"].student_number in page

    # Another county: the document, not the pupil.
    other = login(named.user("registrar_b1")).get(f"/documents/verify/?code={code}").content.decode()
    assert "有效" in other and "花名册" in other and "张小明" not in other
    assert named.pupils["a1"].student_number not in other and "另有 1 名学生不在您的权限范围内" in other
    # A city officer sees the pupil, the number masked.
    from xueji.identity import mask_student_number

    city = login(named.user("city_officer")).get(f"/documents/verify/?code={code}").content.decode()
    assert "张小明" in city and mask_student_number(named.pupils["a1"].student_number) in city
    assert named.pupils["a1"].student_number not in city
    assert AuditEntry.objects.filter(action="document.verify", result="ok").count() == 3


def test_an_unknown_or_malformed_code_is_said_to_be_so(named, login):
    client = login(named.user("registrar_a1"))
    unknown = client.get("/documents/verify/?code=ZZZZ-ZZZZ").content.decode()
    assert "ZZZZ-ZZZZ 不存在" in unknown and "有效" not in unknown
    malformed = client.get("/documents/verify/?code=12-34").content.decode()
    assert "8 位字母或数字" in malformed
    assert client.get("/documents/verify/").status_code == 200
    assert AuditEntry.objects.filter(action="document.verify", result="failed").count() == 2


def test_verification_needs_a_login(client):
    response = client.get("/documents/verify/?code=7KQ4-M2XD")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_records_are_append_only_and_codes_unique(named, login):
    code = _roster(login(named.user("registrar_a1")), named)["X-Document-Code"].replace("-", "")
    record = PrintedDocument.objects.get(code=code)
    DocumentJob.objects.all().delete()  # the roster's job holds its record (PROTECT): the trigger is what is tested
    with pytest.raises(ProgrammingError, match="只能追加"), transaction.atomic():
        PrintedDocument.objects.filter(pk=record.pk).update(title="改过的")
    with pytest.raises(ProgrammingError, match="只能追加"), transaction.atomic():
        record.delete()
    record.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        record.save()


def test_the_return_notice_is_printed_with_the_footer_and_recorded(named, login):
    from datetime import date

    from dropouts import services
    from dropouts.models import CaseStep
    from tests.dropouts.helpers import absent_days, log_absences

    pupil = named.pupils["a1"]
    log_absences(named.user("teacher_a1"), pupil, absent_days(date(2025, 10, 9), 10))
    case = services.confirm_dropout(actor=named.user("registrar_a1"), pupil=pupil, contacts_tried="电话三次",
                                    today=date(2025, 10, 9))
    services.add_step(actor=named.user("registrar_a1"), case=case, kind=CaseStep.Kind.NOTICE, day=date(2025, 10, 10),
                      deadline=date(2025, 10, 20))
    with time_machine.travel(PRINTED, tick=False):
        response = login(named.user("registrar_a1")).get(f"/dropouts/cases/{case.pk}/notice.pdf")
    code = response["X-Document-Code"]
    words = pdf_words(response.content)
    assert "劝返复学通知书" in words and pupil.student_number in words
    # pdftotext reads the footer's two halves beside the receipt's signature line.
    assert f"核验码：{code}" in words and squeezed("打印：张三 2026-12-04 10:30") in words
    record = PrintedDocument.objects.get(code=code.replace("-", ""))
    assert record.kind == "return_notice" and record.pupil_ids == [pupil.pk] and record.unit_id == named.units["a1"].pk
    assert AuditEntry.objects.filter(action="dropout.print_notice", detail__contains=code).exists()
