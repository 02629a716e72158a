"""The printed documents of enrolment: 学生基本信息表 and 花名册 (PDF and xlsx).

The PDFs are read back with poppler-utils (pdfinfo, pdftotext, pdffonts, pdfimages), as a person
would read the printed page: what is on it, on which page, in which font.
"""

import os
import subprocess
import tempfile
from datetime import date
from io import BytesIO

import pytest
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from openpyxl import load_workbook
from PIL import Image

from tests.factories import guardian_data, make_pupil
from xueji.accounts.models import Division
from xueji.codes import Gender, GuardianRelation, IdType, PupilStatus
from xueji.documents.pdf import DOCUMENT_BASE_URL, DocumentRenderError, LocalOnlyFetcher, render_pdf
from xueji.documents.rosters import (
    class_roster_context,
    class_roster_pdf,
    class_roster_xlsx,
    pupils_for_print,
    student_info_sheets_context,
    student_info_sheets_pdf,
)
from xueji.pupils.models import Guardian, Pupil
from xueji.pupils.visibility import SEES_ALL

SCHOOL_YEAR = "2026—2027学年"


def _poppler(tool: str, pdf: bytes, *args: str) -> str:
    """Run a poppler tool on the PDF (written to a file: not every tool reads standard input)."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        output = ["-"] if tool == "pdftotext" else []
        result = subprocess.run([tool, *args, file.name, *output], capture_output=True, check=True)
    return result.stdout.decode()


def page_count(pdf: bytes) -> int:
    info = _poppler("pdfinfo", pdf)
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def page_size(pdf: bytes) -> str:
    info = _poppler("pdfinfo", pdf)
    return next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Page size:"))


def page_text(pdf: bytes, page: int) -> str:
    return _poppler("pdftotext", pdf, "-f", str(page), "-l", str(page), "-layout")


def info_sheets(world, pupils, **kwargs) -> bytes:
    """学生基本信息表 printed by A1's registrar (recorded and audited like any print)."""
    return student_info_sheets_pdf(pupils, user=world.user("registrar_a1"), **kwargs).content


def roster_pdf(world, pupils, **kwargs) -> bytes:
    return class_roster_pdf(pupils, user=world.user("registrar_a1"), **kwargs).content


def with_guardians(*pupils: Pupil) -> list[Pupil]:
    for pupil in pupils:
        pupil.guardians_list = list(pupil.guardians.all())
    return list(pupils)


@pytest.fixture
def class_a1(world):
    """Class A1-3(1): 张小明 of the world, a girl with a rare character in her name (𠮷, outside
    the Basic Multilingual Plane) and a pupil with a single guardian and no ID number."""
    school, school_class = world.units["a1"], world.classes["a1_3_1"]
    rare = make_pupil(school, school_class, name="𠮷雨涵", gender=Gender.FEMALE)
    no_id = make_pupil(
        school, school_class, name="欧阳子轩", id_type=IdType.NONE, id_number="",
        guardians=[guardian_data(relation=GuardianRelation.MOTHER, name="欧阳丽华")],
    )
    return with_guardians(world.pupils["a1"], rare, no_id)


def test_info_sheets_print_one_page_per_pupil_with_their_record_and_signature_boxes(world, class_a1):
    pdf = info_sheets(
        world, class_a1, school=world.units["a1"], school_class=world.classes["a1_3_1"], title_year=2026
    )

    assert pdf.startswith(b"%PDF-")
    assert page_count(pdf) == len(class_a1)
    assert page_size(pdf).startswith("595.276 x 841.89")  # A4 portrait
    for number, pupil in enumerate(class_a1, start=1):
        text = page_text(pdf, number)
        assert "2026年学生基本信息表" in text
        assert "农安县实验小学" in text and "三年级（1）班" in text
        assert pupil.name in text
        assert pupil.student_number in text
        assert pupil.get_gender_display() in text and f"{pupil.birth_date:%Y-%m-%d}" in text
        for guardian in pupil.guardians_list:
            assert guardian.name in text and guardian.id_number in text and guardian.phone in text
        assert "贴照片处" in text and "13.照片" in text  # nobody has a photo: the empty box says where it goes
        assert "以上信息经核对无误" in text
        assert "监护人签字：" in text and "班主任签字：" in text
        assert f"第{number}页共{len(class_a1)}页" in text.replace(" ", "")  # pdftotext drops the spaces
        # Nobody else's record on this page.
        assert not any(other.name in text for other in class_a1 if other is not pupil)

    # Simplified Chinese is drawn with the Noto CJK fonts, embedded; no other font sneaks in.
    fonts = _poppler("pdffonts", pdf)
    font_lines = fonts.splitlines()[2:]
    assert font_lines and all("Noto" in line and "CJK-SC" in line for line in font_lines), fonts


def test_info_sheet_prints_the_pupils_id_number_and_each_guardians_id_number(world, class_a1):
    pupil = class_a1[0]
    text = page_text(info_sheets(world, [pupil], school=world.units["a1"], title_year=2026), 1)

    assert pupil.id_number in text
    assert "居民身份证" in text
    assert "吉林省长春市农安县" in text  # household registration and birthplace, by full name
    assert "父亲" in text and "母亲" in text


def test_info_sheet_without_a_class_argument_prints_each_pupils_own_class(world):
    pupils = with_guardians(world.pupils["a1"], world.pupils["a1_other"])

    pdf = info_sheets(world, pupils, school=world.units["a1"], title_year=2026)

    assert "三年级（1）班" in page_text(pdf, 1)
    assert "三年级（2）班" in page_text(pdf, 2)


def test_a_class_loaded_for_print_prints_in_two_queries(world, class_a1, django_assert_num_queries):
    school_class = world.classes["a1_3_1"]

    with django_assert_num_queries(2):  # the pupils with divisions and class, then the guardians
        pupils = pupils_for_print(Pupil.objects.filter(school_class=school_class).order_by("name"))
        pdf = render_pdf("documents/student_info_sheet.html",
                         student_info_sheets_context(pupils, school=world.units["a1"], title_year=2026,
                                                     visibility=SEES_ALL))
        render_pdf("documents/class_roster.html", class_roster_context(
            pupils, school=world.units["a1"], school_class=school_class, school_year_label=SCHOOL_YEAR,
            visibility=SEES_ALL))

    assert page_count(pdf) == 3
    text = page_text(pdf, [p.name for p in pupils].index("欧阳子轩") + 1)
    assert "欧阳丽华" in text and "吉林省长春市农安县" in text


def _unsaved_entry() -> Pupil:
    """An enrolment entry not yet approved: an unsaved Pupil with unsaved guardians, no 学籍号."""
    county = Division.objects.get(code="220122")
    pupil = Pupil(
        name="陈思语", gender=Gender.FEMALE, birth_date=date(2019, 10, 3), id_type=IdType.RESIDENT_ID,
        id_number="220122201910030020", birthplace=county, native_place=county, hukou_division=county,
        hukou_type="2", address="农安镇兴华街8号", grade=1, entry_date=date(2026, 9, 1), student_number="",
    )
    pupil.guardians_list = [
        Guardian(relation=GuardianRelation.FATHER, name="陈立新", id_type=IdType.RESIDENT_ID,
                 id_number="22012219900101003X", phone="13812345678", workplace="农安县供电局", hukou_division=county),
    ]
    return pupil


def test_info_sheet_of_an_unsaved_enrolment_entry_says_pending_and_reads_no_database(
    world, django_assert_num_queries
):
    entry = _unsaved_entry()

    with django_assert_num_queries(0):
        context = student_info_sheets_context([entry], school=world.units["a1"], school_class=world.classes["a1_3_1"],
                                              title_year=2026, visibility=SEES_ALL)
        pdf = render_pdf("documents/student_info_sheet.html", context)

    text = page_text(pdf, 1)
    assert page_count(pdf) == 1
    assert "陈思语" in text and "待建籍" in text
    assert "陈立新" in text and "13812345678" in text
    assert "非农业户口" in text


def _longest(model, field: str, text: str) -> str:
    """``text`` repeated to the field's full length."""
    length = model._meta.get_field(field).max_length
    return (text * length)[:length]


def test_info_sheet_with_every_text_field_at_its_longest_still_fits_one_page(world):
    entry = _unsaved_entry()
    entry.name = _longest(Pupil, "name", "欧阳")
    entry.former_name = _longest(Pupil, "former_name", "司马")
    entry.pinyin = _longest(Pupil, "pinyin", "ouyang ")
    entry.address = _longest(Pupil, "address", "农安镇黄龙路与兴华街交汇处幸福家园小区")
    entry.hukou_address = _longest(Pupil, "hukou_address", "合隆镇陈家店村三社")
    # The national form's items (xueji.pupils.national_form) that are text.
    entry.mailing_address = _longest(Pupil, "mailing_address", "农安镇通信路")
    entry.home_address = _longest(Pupil, "home_address", "农安镇家园路")
    entry.specialty = _longest(Pupil, "specialty", "书法围棋绘画")
    entry.email = _longest(Pupil, "email", "abcdefgh") + "@example.com"
    entry.homepage = "https://" + _longest(Pupil, "homepage", "example")
    entry.auxiliary_number = _longest(Pupil, "auxiliary_number", "FH")
    entry.id_validity = "20200601-长期"
    entry.guardians_list = [
        Guardian(relation=relation, name=_longest(Guardian, "name", name), id_type=IdType.PASSPORT,
                 id_number=_longest(Guardian, "id_number", "E12345678"), phone=_longest(Guardian, "phone", "0431"),
                 workplace=_longest(Guardian, "workplace", "农安县人民政府办公室综合科"),
                 relation_note=_longest(Guardian, "relation_note", "远房表亲"),
                 address=_longest(Guardian, "address", "农安镇黄龙路与兴华街交汇处"),
                 job_title=_longest(Guardian, "job_title", "办公室副主任"),
                 hukou_division=Division.objects.get(code="654022"))  # 察布查尔锡伯自治县, a long full name
        for relation, name in [(GuardianRelation.FATHER, "陈立新"), (GuardianRelation.MOTHER, "司马晓燕")]
    ]

    pdf = info_sheets(world, [entry, _unsaved_entry()], school=world.units["a1"], title_year=2026)
    if os.environ.get("XUEJI_KEEP_PDF"):  # to look at it: pdftoppm -png -r 60
        with open(os.environ["XUEJI_KEEP_PDF"], "wb") as file:
            file.write(pdf)

    assert page_count(pdf) == 2
    text = page_text(pdf, 1).replace(" ", "")
    assert "班主任签字" in text and "幸福家园小区" in text and "审核人" in text


def test_info_sheet_prints_the_photo_in_the_photo_box(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    pupil = world.pupils["a1"]
    image = BytesIO()
    Image.new("RGB", (358, 441), (67, 142, 219)).save(image, format="JPEG")  # blue background
    pupil.photo.save("证件照.jpg", ContentFile(image.getvalue()))
    pupil.guardians_list = list(pupil.guardians.all())

    pdf = info_sheets(world, [pupil], school=world.units["a1"], title_year=2026)

    images = _poppler("pdfimages", pdf, "-list").splitlines()[2:]
    assert len(images) == 1 and images[0].split()[3:5] == ["358", "441"]
    assert "贴照片处" not in page_text(pdf, 1)  # the picture, not the empty box's label


def test_roster_is_landscape_and_repeats_its_header_on_every_page(world, class_a1):
    # 45 rows (a full primary class): the same three pupils again and again fill the pages.
    rows = [class_a1[i % 3] for i in range(45)]

    pdf = roster_pdf(world, rows, school=world.units["a1"], school_class=world.classes["a1_3_1"],
                           school_year_label=SCHOOL_YEAR)

    assert pdf.startswith(b"%PDF-")
    assert page_size(pdf).startswith("841.89 x 595.276")  # A4 landscape
    pages = page_count(pdf)
    assert pages >= 2
    texts = [page_text(pdf, number) for number in range(1, pages + 1)]
    for number, text in enumerate(texts, start=1):
        for column in ("序号", "学籍号", "姓名", "性别", "出生日期", "民族", "身份证件号", "户口所在地", "监护人", "联系电话", "备注"):
            assert column in text
        assert "三年级（1）班" in text and "农安县实验小学" in text  # the running header names every page
        assert f"第{number}页共{pages}页" in text.replace(" ", "")
    everything = "".join(texts)
    assert "2026—2027学年学生花名册" in texts[0]
    assert "人数：45" in texts[0]
    for pupil in class_a1:
        assert pupil.name in everything and pupil.student_number in everything
    assert "王建国（父亲）" in everything and "欧阳丽华（母亲）" in everything
    last_row_line = next(line for line in texts[-1].splitlines() if line.strip().startswith("45 "))
    assert rows[44].name in last_row_line
    # The signature and stamp boxes close the last page only.
    for box in ("制表人：", "校长签字：", "学校盖章："):
        assert box in texts[-1]
        assert all(box not in text for text in texts[:-1])


def test_roster_notes_pupils_not_at_school_and_entries_without_a_number(world, class_a1):
    suspended = class_a1[0]
    suspended.status = PupilStatus.SUSPENDED  # not saved: the document prints what it is given
    pdf = roster_pdf(world, [suspended, _unsaved_entry()], school=world.units["a1"],
                           school_class=world.classes["a1_3_1"], school_year_label=SCHOOL_YEAR)

    text = page_text(pdf, 1)
    assert "休学" in text
    assert "待建籍" in text and "陈思语" in text


def test_roster_xlsx_keeps_id_numbers_and_student_numbers_as_text(world, class_a1):
    content = class_roster_xlsx(class_a1, user=world.user("registrar_a1"), school=world.units["a1"],
                                school_class=world.classes["a1_3_1"], school_year_label=SCHOOL_YEAR).content

    sheet = load_workbook(BytesIO(content)).active
    assert "农安县实验小学" in sheet["A1"].value and "三年级（1）班" in sheet["A1"].value
    headers = [cell.value for cell in sheet[2]]
    assert headers == ["序号", "学籍号", "姓名", "性别", "出生日期", "民族", "身份证件号", "户口所在地", "监护人", "联系电话", "备注"]
    assert sheet.freeze_panes == "A3"
    column = {header: index for index, header in enumerate(headers)}
    rows = list(sheet.iter_rows(min_row=3))
    assert len(rows) == len(class_a1)
    for row, pupil in zip(rows[:2], class_a1):
        assert row[column["姓名"]].value == pupil.name
        for header, expected in (("学籍号", pupil.student_number), ("身份证件号", pupil.id_number)):
            cell = row[column[header]]
            assert cell.value == expected and cell.data_type == "s" and cell.number_format == "@"
        assert row[column["联系电话"]].data_type == "s" and row[column["联系电话"]].number_format == "@"
        assert row[column["出生日期"]].value.date() == pupil.birth_date
    # 欧阳子轩 has no ID number: an empty text cell, ready for one to be typed in as text.
    no_id = rows[2][column["身份证件号"]]
    assert no_id.value is None and no_id.number_format == "@"
    assert sheet.column_dimensions["B"].width >= 20 and sheet.column_dimensions["G"].width >= 20


def test_roster_xlsx_writes_texts_that_look_like_formulas_as_text(world, class_a1):
    # A name or an address is typed by someone: Excel must show it, never evaluate it.
    class_a1[0].name = '=HYPERLINK("http://x","点我")'
    content = class_roster_xlsx(class_a1, user=world.user("registrar_a1"), school=world.units["a1"],
                                school_class=world.classes["a1_3_1"], school_year_label=SCHOOL_YEAR).content

    sheet = load_workbook(BytesIO(content)).active
    texts = [cell for row in sheet.iter_rows(min_row=3) for cell in row if isinstance(cell.value, str)]
    assert all(cell.data_type == "s" for cell in texts)
    shown = {cell.value for cell in texts}
    assert "'=HYPERLINK(\"http://x\",\"点我\")" in shown
    assert not any(value.startswith(("=", "+", "-", "@")) for value in shown)


def test_documents_find_their_stylesheet_collected_under_a_hashed_name_in_production(world, settings, tmp_path):
    # Production collects static files with their hashes ("css/print.3f2a….css") and {% static %}
    # names those: the fetcher must find them in STATIC_ROOT, where the finders do not look.
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    source = FileSystemStorage(location=settings.BASE_DIR / "static")
    with source.open("css/print.css") as original:
        staticfiles_storage.save("css/print.css", original)
    list(staticfiles_storage.post_process({"css/print.css": (source, "css/print.css")}))
    hashed = staticfiles_storage.stored_name("css/print.css")
    assert hashed != "css/print.css"

    pupil = with_guardians(world.pupils["a1"])
    pdf = info_sheets(world, pupil, school=world.units["a1"], title_year=2026)

    assert page_size(pdf).startswith("595.276 x 841.89")
    assert "第1页共1页" in page_text(pdf, 1).replace(" ", "")  # the footer comes from the stylesheet


def test_documents_fetch_only_static_files_and_private_uploads(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    (tmp_path / "private" / "pupil").mkdir(parents=True)
    (tmp_path / "private" / "pupil" / "photo.jpg").write_bytes(b"\xff\xd8 a photo")
    (tmp_path / "secret.txt").write_text("secret")
    fetcher = LocalOnlyFetcher()

    assert b"Noto Sans CJK SC" in fetcher.fetch(DOCUMENT_BASE_URL + "static/css/print.css").read()
    photo = fetcher.fetch(DOCUMENT_BASE_URL + "private-not-served/pupil/photo.jpg")
    assert photo.read() == b"\xff\xd8 a photo" and photo.content_type == "image/jpeg"
    for url in ("file:///etc/passwd", "https://example.com/static/css/print.css", DOCUMENT_BASE_URL + "etc/passwd"):
        with pytest.raises(ValueError):
            fetcher.fetch(url)
    for climbing in ("private-not-served/../secret.txt", "static/../../../../../../../etc/passwd"):
        with pytest.raises(SuspiciousFileOperation):
            fetcher.fetch(DOCUMENT_BASE_URL + climbing)


def test_a_document_whose_stylesheet_is_missing_is_refused_not_printed_unstyled(settings):
    settings.TEMPLATES = [{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "OPTIONS": {"loaders": [("django.template.loaders.locmem.Loader", {
            "broken.html": '{% load static %}<link rel="stylesheet" href="{% static \'css/missing.css\' %}"><p>学生</p>',
        })]},
    }]

    with pytest.raises(DocumentRenderError, match="css/missing.css"):
        render_pdf("broken.html", {})
