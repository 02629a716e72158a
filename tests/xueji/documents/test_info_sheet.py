"""学生基本信息表 laid out like the national form: every one of the 48 items numbered with its
national wording and ★, in the six groups, the photo box, the family block (成员1, 成员2, all 12
items), the signatures; one A4 page; what the printing user may not see printed "***". And a
single existing pupil's sheet, printed from the pupil's page, scoped like the 学籍卡. Read back
with pdftotext as a clerk reads the paper."""

import os

import pytest

from tests.national_pupil import MEMBERS, VALUES, national_pupil
from tests.pdfs import page_count, pdf_stream_words, squeezed
from xueji.documents.models import PrintedDocument
from xueji.documents.rosters import pupils_for_print, student_info_sheets_pdf
from xueji.pupils.models import Pupil
from xueji.pupils.national_form import FAMILY_ITEMS, GROUPS, ITEMS


def sheet(world, pupil, user="registrar_a1") -> bytes:
    pupils = pupils_for_print(Pupil.objects.filter(pk=pupil.pk))
    content = student_info_sheets_pdf(pupils, user=world.user(user), school=world.units["a1"], title_year=2026).content
    if os.environ.get("XUEJI_KEEP_PDF"):  # to look at it: pdftoppm -png -r 60
        with open(os.environ["XUEJI_KEEP_PDF"], "wb") as file:
            file.write(content)
    return content


def test_the_sheet_prints_every_numbered_item_in_its_group_and_the_family_block_on_one_page(world):
    pupil = national_pupil(world)
    pdf = sheet(world, pupil)
    words = pdf_stream_words(pdf)

    assert page_count(pdf) == 1
    assert "全国中小学生学籍信息管理系统" in words and "2026年学生基本信息表" in words
    for item in ITEMS:
        assert squeezed(item.numbered_label) in words, item.numbered_label
    assert "1.姓名★" in words and "9.身份证件号" in words and "9.身份证件号★" not in words
    # The groups in the national order (their names stand two characters a line), after the title
    # (全国中小学生学籍信息管理系统 says 学籍信息 too).
    start = words.index("2026年学生基本信息表") + len("2026年学生基本信息表")
    positions = [words.index(group, start) for group in GROUPS]
    assert positions == sorted(positions)
    for item in FAMILY_ITEMS:
        assert item.label in words
    assert "成员1" in words and "成员2" in words
    assert "监护人签字" in words and "班主任签字" in words and "审核人" in words and "日期" in words
    # Values as a person reads them.
    for text in ("群众", "书法围棋", "FH0042", "正常入学", "农安镇通信路8号", "农安镇家园路9号", "13612345678", "130200",
                 "zxm@example.com", "2.5公里", "公共交通", "未填", "视力残疾", "单亲留守儿童"):
        assert squeezed(text) in words, text
    for member in MEMBERS:
        for key in ("name", "relation_note", "address", "workplace", "job_title", "phone", "id_number"):
            assert squeezed(member[key]) in words, member[key]
    assert "蒙古族" in words  # 成员2's 民族


def test_a_head_teacher_prints_the_phone_but_stars_for_the_household_and_aid(world):
    pupil = national_pupil(world)
    words = pdf_stream_words(sheet(world, pupil, "teacher_a1"))

    assert VALUES["phone"] in words and MEMBERS[0]["phone"] in words
    for hidden in ("home_address", "mailing_address", "postcode", "hukou_address"):
        assert VALUES[hidden] not in words, hidden
    assert MEMBERS[0]["address"] not in words and MEMBERS[0]["id_number"] not in words
    assert pupil.id_number not in words
    assert "***" in words
    for item in ITEMS:  # every box still printed
        assert squeezed(item.numbered_label) in words


def test_a_city_officer_sees_neither_phone_nor_household(world):
    pupil = national_pupil(world)
    words = pdf_stream_words(sheet(world, pupil, "city_officer"))

    assert VALUES["phone"] not in words and MEMBERS[0]["phone"] not in words and VALUES["email"] not in words
    assert VALUES["home_address"] not in words and pupil.id_number not in words


def test_a_registrar_prints_one_pupils_sheet_from_the_pupils_page(world, login):
    pupil = national_pupil(world)
    client = login(world.user("registrar_a1"))

    page = client.get(f"/pupils/{pupil.pk}/").content.decode()
    url = f"/pupils/{pupil.pk}/info-sheet.pdf"
    assert "打印学生基本信息表" in page and url in page
    response = client.get(url)

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    words = pdf_stream_words(response.content)
    assert pupil.name in words and VALUES["home_address"] in words and "1.姓名★" in words
    document = PrintedDocument.objects.get(kind="info_sheet", pupil_ids=[pupil.pk])
    assert document.display_code in words  # the verification code in the footer
    from xueji.accounts.models import AuditEntry

    assert AuditEntry.objects.filter(user=world.user("registrar_a1"), action="document.print").exists()


@pytest.mark.parametrize("user", ["registrar_b1", "teacher_a1"])
def test_one_pupils_sheet_is_not_found_outside_the_users_scope(world, login, user):
    # teacher_a1 heads A1-3(1): 张小明's classmate of A1-3(2) is not theirs.
    other = world.pupils["a1_other"] if user == "teacher_a1" else world.pupils["a1"]
    assert login(world.user(user)).get(f"/pupils/{other.pk}/info-sheet.pdf").status_code == 404
