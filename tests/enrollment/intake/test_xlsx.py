"""The enrolment template, the safe reader, the row conversion and the annotated copy.

The hostile files live in tests/enrollment/corpus/ (regenerate with make_corpus.py); each must be
refused with its own reason. Only the test that runs the pupil rules touches the database.
"""

import io
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from enrollment.intake.columns import COLUMNS, COLUMNS_BY_KEY, ERROR_COLUMN_HEADER, row_to_new_pupil_data
from enrollment.intake.xlsx_errors import annotate_errors
from enrollment.intake.xlsx_read import ExcelRefused, SheetRow, read_enrolment_file
from enrollment.intake.xlsx_template import (
    CODES_SHEET,
    DATA_SHEET,
    NOT_IN_TEMPLATE_TITLE,
    RULES_SHEET,
    YEAR_NAME,
    build_template,
)
from tests.enrollment.corpus.make_corpus import EXPECTED, SAMPLE_ROW, filled_template, part, rezip
from xueji.codes import Ethnicity, IdType
from xueji.pupils.national_form import ITEMS_BY_KEY, NOT_IN_TEMPLATE

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
YEAR = 2026
LETTER = {column.key: get_column_letter(index) for index, column in enumerate(COLUMNS, start=1)}


def refusal(data: bytes, *, year: int = YEAR) -> ExcelRefused:
    with pytest.raises(ExcelRefused) as caught:
        read_enrolment_file(data, intake_year=year)
    return caught.value


def reopen(data: bytes):
    return load_workbook(io.BytesIO(data))


# --- the hostile-file corpus ----------------------------------------------------------------------

@pytest.mark.parametrize("name", [name for name, expected in EXPECTED.items() if expected])
def test_corpus_file_is_refused_with_its_reason(name):
    code, message = EXPECTED[name]
    error = refusal((CORPUS / name).read_bytes())
    assert error.code == code
    assert any(message in text for text in error.messages), error.messages


@pytest.mark.parametrize("name", list(EXPECTED))
def test_corpus_files_are_small(name):
    size = (CORPUS / name).stat().st_size
    assert size < (10_000 if name.startswith("zip_bomb") else 100_000)


def test_zip_bombs_are_huge_once_inflated():
    with zipfile.ZipFile(CORPUS / "zip_bomb_huge.xlsx") as archive:
        assert sum(info.file_size for info in archive.infolist()) >= 1024 ** 3
    # The lying one declares little; what it really inflates to is only seen by inflating it.
    with zipfile.ZipFile(CORPUS / "zip_bomb_lying.xlsx") as archive:
        info = archive.getinfo("xl/worksheets/sheet1.xml")
        assert info.file_size == 60 * 1024
        with pytest.raises(zipfile.BadZipFile):  # CRC over the declared bytes does not match
            archive.read(info)


def test_numeric_id_cells_are_read_and_refused_per_cell():
    [row] = read_enrolment_file((CORPUS / "numeric_id.xlsx").read_bytes(), intake_year=YEAR)
    assert isinstance(row.values["id_number"], float)
    data, guardians, errors = row_to_new_pupil_data(row.values)
    assert "id_number" not in data
    assert errors["id_number"].startswith("身份证件号“2.20122202003150E+17”被 Excel 存成了数字")
    assert "存成了数字" in errors["guardian1_id_number"]
    assert set(errors) == {"id_number", "guardian1_id_number"}
    assert guardians[0]["name"] == "王大军"


def test_formula_is_found_without_cell_references():
    """A writer that leaves out r="…" does not hide a formula; its position is counted."""
    template = build_template(YEAR)
    sheet = part(template, "xl/worksheets/sheet1.xml")
    sheet = sheet.replace(
        b"</sheetData>",
        b'<row r="3"><c t="inlineStr"><is><t>x</t></is></c><c t="inlineStr"><is><t>y</t></is></c>'
        b"<c><f>1+1</f><v>2</v></c></row></sheetData>",
    )
    error = refusal(rezip(template, replace={"xl/worksheets/sheet1.xml": sheet}))
    assert error.code == "formulas"
    assert error.messages == [f"第3行“{COLUMNS[2].header}”列是公式，请粘贴为数值。"]


def test_formulas_are_listed_up_to_ten():
    rows = {row: {**SAMPLE_ROW, "name": f"=\"王\"&\"{row}\""} for row in range(2, 15)}
    error = refusal(filled_template(rows))
    assert error.code == "formulas"
    assert error.messages[0] == "第2行“姓名”列是公式，请粘贴为数值。"
    assert len(error.messages) == 11
    assert "共 13 个公式单元格" in error.messages[-1]


def test_columns_past_200_without_references_are_counted():
    template = build_template(YEAR)
    sheet = part(template, "xl/worksheets/sheet1.xml")
    cells = b'<c t="inlineStr"><is><t>x</t></is></c>' * 201
    sheet = sheet.replace(b"</sheetData>", b"<row>" + cells + b"</row></sheetData>")
    assert refusal(rezip(template, replace={"xl/worksheets/sheet1.xml": sheet})).code == "too_many_columns"


def test_10000_rows_are_accepted():
    rows = {row: {"name": "王小明"} for row in range(2, 10_002)}
    workbook = reopen(build_template(YEAR))
    sheet = workbook[DATA_SHEET]
    for row in rows:
        sheet.cell(row=row, column=1, value="王小明")
    buffer = io.BytesIO()
    workbook.save(buffer)
    result = read_enrolment_file(buffer.getvalue(), intake_year=YEAR)
    assert len(result) == 10_000
    assert result[-1].row == 10_001


def test_empty_formatted_rows_past_the_limit_do_not_count():
    """Rows that only carry formatting (a user who coloured a long range) hold no pupils."""
    template = filled_template({2: SAMPLE_ROW})
    sheet = part(template, "xl/worksheets/sheet1.xml")
    sheet = sheet.replace(b"</sheetData>", b'<row r="20000"><c r="A20000" s="1"/></row></sheetData>')
    [row] = read_enrolment_file(rezip(template, replace={"xl/worksheets/sheet1.xml": sheet}), intake_year=YEAR)
    assert row.row == 2


def test_the_code_sheet_gets_the_limits_too():
    """Without the defined name the year is read from the hidden sheet: that sheet must not be
    able to make calamine build a grid of millions of rows either."""
    template = filled_template({2: SAMPLE_ROW})
    workbook = re.sub(rb"<definedNames>.*</definedNames>", b"", part(template, "xl/workbook.xml"))
    codes = part(template, "xl/worksheets/sheet3.xml").replace(
        b"</sheetData>", b'<row r="4000000"><c r="A4000000"><v>1</v></c></row></sheetData>'
    )
    data = rezip(template, replace={"xl/workbook.xml": workbook, "xl/worksheets/sheet3.xml": codes})
    assert refusal(data).code == "too_many_rows"


def test_a_later_years_template_is_refused():
    error = refusal(build_template(YEAR + 1))
    assert error.code == "wrong_year"
    assert error.messages == ["这是2027年的模板，请下载2026年的模板。"]


def test_year_falls_back_to_the_hidden_sheet_when_the_defined_name_is_lost():
    template = filled_template({2: SAMPLE_ROW})
    workbook = part(template, "xl/workbook.xml")
    without_name = re.sub(rb"<definedNames>.*</definedNames>", b"", workbook)
    assert YEAR_NAME.encode() not in without_name
    [row] = read_enrolment_file(rezip(template, replace={"xl/workbook.xml": without_name}), intake_year=YEAR)
    assert row.values["name"] == "王小明"
    assert refusal(rezip(template, replace={"xl/workbook.xml": without_name}), year=YEAR + 1).code == "wrong_year"


def test_a_workbook_that_is_not_our_template_is_refused():
    workbook = reopen(build_template(YEAR))
    del workbook[CODES_SHEET]
    del workbook.defined_names[YEAR_NAME]
    buffer = io.BytesIO()
    workbook.save(buffer)
    error = refusal(buffer.getvalue())
    assert error.code == "wrong_year"
    assert "请下载2026年的模板" in error.messages[0]


def _with_headers(changes: dict[str, str | None], rows: dict[int, dict] | None = None) -> bytes:
    workbook = reopen(filled_template(rows or {2: SAMPLE_ROW}))
    sheet = workbook[DATA_SHEET]
    for letter, value in changes.items():
        sheet[f"{letter}1"] = value
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_unknown_and_repeated_headers_are_refused():
    error = refusal(_with_headers({LETTER["former_name"]: "*姓名", LETTER["address"]: "家庭住址"}))
    assert error.code == "wrong_layout"
    assert "第 1 行有重复的列：“姓名”。" in error.messages
    assert f"第 1 行有无法识别的列：{LETTER['address']}列“家庭住址”。请不要增加或改动表头。" in error.messages


def test_data_under_no_header_is_refused():
    extra = get_column_letter(len(COLUMNS) + 2)
    workbook = reopen(filled_template({2: SAMPLE_ROW}))
    workbook[DATA_SHEET][f"{extra}2"] = "备注"
    buffer = io.BytesIO()
    workbook.save(buffer)
    error = refusal(buffer.getvalue())
    assert error.code == "wrong_layout"
    assert error.messages == [f"以下列有数据但没有表头：{extra}。请把数据放到模板对应的列中。"]


def test_headers_are_matched_without_marks_and_with_the_national_wording():
    data = _with_headers({LETTER["name"]: " 姓 名 ", LETTER["guardian1_name"]: "成员1姓名", LETTER["gender"]: "性别★"})
    [row] = read_enrolment_file(data, intake_year=YEAR)
    assert row.values["name"] == "王小明"
    assert row.values["guardian1_name"] == "王大军"
    assert row.values["gender"] == "1 男"


def test_optional_columns_may_be_deleted():
    workbook = reopen(filled_template({2: SAMPLE_ROW}))
    sheet = workbook[DATA_SHEET]
    sheet.delete_cols(list(LETTER).index("former_name") + 1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    [row] = read_enrolment_file(buffer.getvalue(), intake_year=YEAR)
    assert "former_name" not in row.values
    assert row.values["gender"] == "1 男"


def test_an_empty_sheet_reads_as_no_rows_and_a_headerless_one_is_refused():
    assert read_enrolment_file(build_template(YEAR), intake_year=YEAR) == []
    workbook = reopen(build_template(YEAR))
    workbook[DATA_SHEET].delete_rows(1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert refusal(buffer.getvalue()).code == "wrong_layout"


def test_a_part_with_a_wrong_crc_is_refused():
    template = bytearray(build_template(YEAR))
    # Flip one byte of the stored CRC of the first part, in its central directory entry.
    directory = template.rindex(b"PK\x01\x02", 0, len(template))
    first = template.index(b"PK\x01\x02")
    assert first <= directory
    template[first + 16] ^= 0xFF
    error = refusal(bytes(template))
    assert error.code == "not_xlsx"
    assert "已损坏" in error.messages[0]


# --- the template ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def template():
    return reopen(build_template(YEAR))


def test_template_sheets_and_year(template):
    assert template.sheetnames == [DATA_SHEET, RULES_SHEET, CODES_SHEET]
    assert template[CODES_SHEET].sheet_state == "hidden"
    assert template[DATA_SHEET].sheet_state == "visible"
    assert template.defined_names[YEAR_NAME].attr_text == "2026"
    assert template[CODES_SHEET]["A2"].value == 2026
    assert template[RULES_SHEET]["A1"].value.startswith("2026年新生")


def test_template_headers_mark_the_required_columns(template):
    sheet = template[DATA_SHEET]
    headers = [cell.value for cell in sheet[1]]
    assert headers == [column.display_header for column in COLUMNS]
    for column, cell in zip(COLUMNS, sheet[1], strict=True):
        assert cell.value.startswith("*") == column.required
        assert (cell.font.color is not None and cell.font.color.rgb == "00C00000") == column.required
        assert cell.comment is not None and cell.comment.text == column.note
    required = {column.key for column in COLUMNS if column.required}
    assert {"name", "gender", "birth_date", "ethnicity", "nationality", "id_type"} <= required
    assert {key for key in required if key.startswith("guardian")} == {
        f"guardian1_{field}" for field in ("relation", "name", "id_type", "id_number", "phone", "workplace",
                                           "hukou_division_id")
    }
    assert sheet.freeze_panes == "B2"
    assert sheet.column_dimensions[LETTER["address"]].width == COLUMNS_BY_KEY["address"].width


@pytest.mark.parametrize("key", ["id_number", "guardian1_id_number", "guardian2_id_number", "guardian1_phone",
                                 "birth_date", "entry_date", "birthplace_id"])
def test_template_formats_digit_columns_as_text(template, key):
    assert template[DATA_SHEET].column_dimensions[LETTER[key]].number_format == "@"


def test_template_has_a_drop_down_on_every_coded_column(template):
    sheet = template[DATA_SHEET]
    codes = template[CODES_SHEET]
    validations = {}
    for validation in sheet.data_validations.dataValidation:
        for cell_range in validation.sqref.ranges:
            validations[cell_range.coord] = validation
    for column in COLUMNS:
        letter = LETTER[column.key]
        validation = validations.get(f"{letter}2:{letter}10001")
        if column.kind not in ("code", "bool"):
            assert validation is None, column.key
            continue
        assert validation is not None, column.key
        assert validation.type == "list"
        match = re.fullmatch(r"'代码表'!\$([A-Z]+)\$2:\$\1\$(\d+)", validation.formula1)
        assert match, validation.formula1
        listed = [codes[f"{match.group(1)}{row}"].value for row in range(2, int(match.group(2)) + 1)]
        assert listed == column.options()


def test_template_drop_downs_hold_code_and_label(template):
    options = COLUMNS_BY_KEY["ethnicity"].options()
    assert options[0] == "01 汉族"
    assert len(options) == len(Ethnicity.choices)
    assert "CHN 中国" in COLUMNS_BY_KEY["nationality"].options()
    assert COLUMNS_BY_KEY["disability_placement"].options()[0] == "不适用"
    assert COLUMNS_BY_KEY["only_child"].options() == ["是", "否"]


def test_rules_sheet_lists_every_column(template):
    sheet = template[RULES_SHEET]
    rows = {row[1]: row for row in sheet.iter_rows(values_only=True) if row[1]}
    header = next(row for row in sheet.iter_rows(values_only=True) if row[1] == "列名")
    assert header[:6] == ("序号", "列名", "是否必填", "全国系统必填", "填写规则", "可选值")
    for column in COLUMNS:
        assert column.header in rows
        number, _, required, national, note, _ = rows[column.header][:6]
        assert required == ("必填" if column.required else "选填")
        assert note == column.note
        assert national == ("★" if column.national_required else None)
        if column.guardian_position:
            assert number == f"成员{column.guardian_position}"
        else:
            assert number == column.item  # None for 户籍地址, ours
    # The national numbers in order, 1 … 48 less the items that are not columns.
    numbers = [rows[column.header][0] for column in COLUMNS if column.item]
    assert numbers == sorted(numbers)
    assert rows["户籍地址"][0] is None and rows["政治面貌"][0] == 11 and rows["政治面貌"][3] == "★"
    assert rows["成员1是否监护人"][3] == "★" and rows["成员1职务"][3] is None
    assert rows["特长"][3] is None and rows["上下学距离"][3] is None


def test_rules_sheet_names_the_national_items_that_are_not_columns(template):
    lines = [row for row in template[RULES_SHEET].iter_rows(values_only=True)]
    title = next(index for index, row in enumerate(lines) if row[0] == NOT_IN_TEMPLATE_TITLE)
    below = {row[1]: row for row in lines[title + 1:] if row[1]}
    assert set(below) == {ITEMS_BY_KEY[key].label for key in NOT_IN_TEMPLATE} == {"照片", "姓名拼音", "年级", "班级"}
    for key, reason in NOT_IN_TEMPLATE.items():
        item = ITEMS_BY_KEY[key]
        assert below[item.label][0] == item.number and below[item.label][4] == reason
    assert below["年级"][3] == "★" and below["照片"][3] is None


def test_rules_sheet_explains_family_members_and_the_blank_rules(template):
    text = "\n".join(str(row[0]) for row in template[RULES_SHEET].iter_rows(min_row=2, max_row=10, values_only=True) if row[0])
    assert "成员1" in text and "成员2" in text and "是否监护人" in text
    assert "通信地址、家庭地址不填按现住址" in text
    assert "联系电话不填按成员1的联系电话" in text
    assert "是否需要乘坐校车不填按上下学距离" in text


# --- round trip -----------------------------------------------------------------------------------

def test_filled_template_round_trips():
    second = {
        **SAMPLE_ROW,
        "name": "阿依古丽·买买提",
        "gender": "女",
        "birth_date": date(2020, 1, 2),  # a real date cell
        "ethnicity": "05",
        "id_type": IdType.NONE.label,
        "id_number": None,
        "only_child": "是",
        "guardian2_relation": "52 母亲",
        "guardian2_name": "古丽",
        "guardian2_id_type": "1 居民身份证",
        "guardian2_id_number": "650102199001010025",
        "guardian2_phone": "0991-1234567",
        "guardian2_workplace": "乌鲁木齐市第一医院",
        "guardian2_hukou_division_id": "650102000000",
    }
    data = filled_template({2: SAMPLE_ROW, 4: second})
    rows = read_enrolment_file(data, intake_year=YEAR)
    assert [row.row for row in rows] == [2, 4]  # row 3 is empty, and skipped
    assert isinstance(rows[0], SheetRow)
    for row, written in zip(rows, (SAMPLE_ROW, second), strict=True):
        assert set(row.values) == set(COLUMNS_BY_KEY)
        for key, value in row.values.items():
            assert value == written.get(key), key

    first_data, first_guardians, first_errors = row_to_new_pupil_data(rows[0].values)
    assert first_errors == {}
    assert first_data == {
        "name": "王小明", "gender": "1", "birth_date": date(2020, 3, 15), "ethnicity": "01", "nationality": "CHN",
        "id_type": "1", "id_number": "220122202003150013", "overseas_status": "00", "health": "10",
        "hukou_division_id": "220122", "hukou_type": "1", "address": "农安县合隆镇陈家店村 3 组",
        "entry_date": date(2026, 9, 1),
        # the template's "不填按…": the addresses are the current one, the yes-no items 否
        "mailing_address": "农安县合隆镇陈家店村 3 组", "home_address": "农安县合隆镇陈家店村 3 组",
        "phone": "13804310001", "preschool": False, "martyr_child": False,
        "government_place": False, "needs_aid": False, "one_subsidy": False,
    }
    assert first_guardians == [{
        "address": "农安县合隆镇陈家店村 3 组",
        "relation": "51", "name": "王大军", "id_type": "1", "id_number": "220122198805060010",
        "phone": "13804310001", "workplace": "合隆镇农机站", "hukou_division_id": "220122",
    }]

    second_data, second_guardians, second_errors = row_to_new_pupil_data(rows[1].values)
    assert second_errors == {}
    assert second_data["gender"] == "2"
    assert second_data["birth_date"] == date(2020, 1, 2)
    assert second_data["ethnicity"] == "05"
    assert second_data["id_type"] == "N"
    assert second_data["only_child"] is True
    assert "id_number" not in second_data
    assert [guardian["relation"] for guardian in second_guardians] == ["51", "52"]
    assert second_guardians[1]["hukou_division_id"] == "650102"


@pytest.mark.django_db
def test_a_converted_row_passes_the_pupil_rules():
    from xueji.pupils.rules import clean_guardians, clean_pupil_identity

    [row] = read_enrolment_file(filled_template({2: SAMPLE_ROW}), intake_year=YEAR)
    data, guardians, errors = row_to_new_pupil_data(row.values)
    assert errors == {}
    cleaned = clean_pupil_identity({key: value for key, value in data.items() if key != "entry_date"})
    assert cleaned["gender"] == "1"
    assert len(clean_guardians(guardians, pupil_id_type=cleaned["id_type"])) == 1


# --- row_to_new_pupil_data ------------------------------------------------------------------------

def convert(**values):
    return row_to_new_pupil_data({**SAMPLE_ROW, **values})


@pytest.mark.parametrize("raw", ["2020-05-01", "2020/5/1", "20200501", 20200501, "2020.05.01", "2020年5月1日",
                                 " 2020-05-01 ", date(2020, 5, 1), datetime(2020, 5, 1, 8, 30),
                                 "2020-05-01 00:00:00"])
def test_dates_in_every_usual_form(raw):
    data, _, errors = convert(birth_date=raw)
    assert errors == {}
    assert data["birth_date"] == date(2020, 5, 1)


@pytest.mark.parametrize("raw", ["2020-13-01", "2020-02-30", "01/05/2020", "五月一日", "43952", 43952.0])
def test_impossible_dates_are_cell_errors(raw):
    data, _, errors = convert(birth_date=raw)
    assert "birth_date" not in data
    shown = "43952" if raw == 43952.0 else raw
    assert errors == {"birth_date": f"出生日期“{shown}”不是有效日期，请按 2020-05-01 的格式填写。"}


@pytest.mark.parametrize("raw, expected", [("2026-09", date(2026, 9, 1)), ("202609", date(2026, 9, 1)),
                                           ("2026年9月", date(2026, 9, 1)), ("2026/9/3", date(2026, 9, 3)),
                                           (date(2026, 9, 1), date(2026, 9, 1))])
def test_entry_month(raw, expected):
    data, _, errors = convert(entry_date=raw)
    assert errors == {}
    assert data["entry_date"] == expected


def test_bad_entry_month():
    assert convert(entry_date="2026-13")[2] == {"entry_date": "入学年月“2026-13”不是有效的年月，请按 2026-09 的格式填写。"}


@pytest.mark.parametrize("raw", ["01", "1", "01 汉族", "01-汉族", "01汉族", "汉族", "汉", 1, 1.0])
def test_code_in_every_form(raw):
    data, _, errors = convert(ethnicity=raw)
    assert errors == {}
    assert data["ethnicity"] == "01"


@pytest.mark.parametrize("key, raw, expected", [
    ("gender", "男", "1"), ("gender", 2, "2"), ("nationality", "chn", "CHN"), ("nationality", "中国", "CHN"),
    ("id_type", "身份证", "1"), ("id_type", "A 护照", "A"), ("overseas_status", "否", "00"),
    ("overseas_status", 0, "00"), ("guardian1_relation", "母亲", "52"), ("left_behind", "双亲留守儿童", "2"),
])
def test_codes_and_labels_map_to_codes(key, raw, expected):
    data, guardians, errors = convert(**{key: raw})
    assert errors == {}
    value = guardians[0]["relation"] if key == "guardian1_relation" else data[key]
    assert value == expected


@pytest.mark.parametrize("raw", ["汉人", "02 汉族", "99", 3.5])
def test_unknown_codes_are_cell_errors(raw):
    _, _, errors = convert(ethnicity=raw)
    assert errors == {"ethnicity": f"民族“{raw}”不是有效的选项，请从下拉列表中选择。"}


@pytest.mark.parametrize("raw, expected", [("220122", "220122"), ("220122100000", "220122"), (220122, "220122"),
                                           (220122100200.0, "220122"), ("220122 农安县", "220122")])
def test_division_codes(raw, expected):
    data, _, errors = convert(birthplace_id=raw)
    assert errors == {}
    assert data["birthplace_id"] == expected


@pytest.mark.parametrize("raw", ["2201", "农安县", "22012210"])
def test_bad_division_codes(raw):
    _, _, errors = convert(birthplace_id=raw)
    assert errors == {"birthplace_id": f"出生地“{raw}”不是行政区划代码，请填写 6 位或 12 位数字代码（如 220122）。"}


@pytest.mark.parametrize("raw, expected", [("是", True), ("否", False), (True, True), (False, False), (1, True),
                                           (0.0, False), ("1 是", True), ("0 否", False)])
def test_yes_no(raw, expected):
    data, _, errors = convert(orphan=raw)
    assert errors == {}
    assert data["orphan"] is expected


def test_bad_yes_no():
    assert convert(orphan="也许")[2] == {"orphan": "是否孤儿“也许”应填“是”或“否”。"}


def test_whitespace_is_stripped_and_blank_is_missing():
    data, _, errors = convert(name="  王小明\u3000", former_name="   ", address=None)
    assert errors == {}
    assert data["name"] == "王小明"
    assert "former_name" not in data and "address" not in data


def test_required_columns_the_rules_do_not_check_are_reported_when_empty():
    _, _, errors = convert(ethnicity=None, nationality="", health=" ", name=None, gender=None)
    # name and gender are the rules' to report (a 居民身份证 number gives the gender).
    assert errors == {"ethnicity": "请填写民族。", "nationality": "请填写国籍/地区。", "health": "请填写健康状况。"}


def test_phone_numbers():
    assert convert(guardian1_phone=13804310001.0)[1][0]["phone"] == "13804310001"
    errors = convert(guardian1_phone=43112345678)[2]
    assert errors == {"guardian1_phone": "成员1联系电话“43112345678”被存成了数字，开头的 0 可能已经丢失；"
                                         "请按文本重新输入（如 0431-12345678）。"}


def test_numeric_text_cells_are_read_as_text():
    data, guardians, errors = convert(address=12, guardian1_workplace=3.0)
    assert errors == {}
    assert data["address"] == "12"
    assert guardians[0]["workplace"] == "3"


def test_guardians_are_only_those_filled_in():
    _, guardians, _ = convert()
    assert len(guardians) == 1
    no_first = {key: None for key in SAMPLE_ROW if key.startswith("guardian1_")}
    _, guardians, _ = convert(**no_first, guardian2_name="李四")
    # the rules then name the first guardian's columns; a member's address is the pupil's unless given
    assert guardians == [{}, {"name": "李四", "address": SAMPLE_ROW["address"]}]
    _, guardians, errors = convert(**no_first)
    assert guardians == [] and errors == {}  # the rules answer "至少填写一位监护人"
    _, guardians, errors = convert(guardian2_hukou_division_id="abc")
    assert len(guardians) == 2 and "guardian2_hukou_division_id" in errors


# --- the annotated copy ---------------------------------------------------------------------------

def test_annotate_errors_marks_cells_rows_and_the_summary_column():
    data = filled_template({2: SAMPLE_ROW, 3: SAMPLE_ROW, 4: SAMPLE_ROW})
    annotated = annotate_errors(data, [
        (2, "birth_date", "出生日期与身份证件号不一致。"),
        (2, "guardian1_phone", "请填写第一监护人的联系电话。"),
        (4, "guardians", "无身份证件的学生须填写至少一位监护人的居民身份证号。"),
        (4, None, "系统中已有使用该身份证件号的学籍。"),
        (0, "__all__", "文件中有学生刚刚已由其他导入登记。"),  # the file as a whole: no cell
    ])
    sheet = reopen(annotated)[DATA_SHEET]
    birth = sheet[f"{LETTER['birth_date']}2"]
    assert birth.fill.fgColor.rgb == "00FFC7CE"
    assert birth.comment.text == "出生日期与身份证件号不一致。"
    assert sheet[f"{LETTER['guardian1_phone']}2"].comment.text == "请填写第一监护人的联系电话。"
    row_level = sheet["A4"]
    assert row_level.fill.fgColor.rgb == "00FFC7CE"
    assert row_level.comment.text == "无身份证件的学生须填写至少一位监护人的居民身份证号。\n系统中已有使用该身份证件号的学籍。"
    for cell in sheet[3]:
        assert cell.comment is None
        assert cell.fill.fgColor.rgb != "00FFC7CE"
    assert sheet[f"{LETTER['name']}2"].comment is None

    error_letter = get_column_letter(len(COLUMNS) + 1)
    assert sheet[f"{error_letter}1"].value == ERROR_COLUMN_HEADER
    assert sheet[f"{error_letter}2"].value == "出生日期：出生日期与身份证件号不一致。；成员1联系电话：请填写第一监护人的联系电话。"
    assert sheet[f"{error_letter}3"].value is None
    assert sheet[f"{error_letter}4"].value.startswith("无身份证件的学生")
    # The values themselves are untouched, and the header comments stay.
    assert sheet[f"{LETTER['name']}2"].value == "王小明"
    assert sheet["A1"].comment.text == COLUMNS_BY_KEY["name"].note


def test_an_annotated_file_can_be_corrected_and_uploaded_again():
    data = filled_template({2: SAMPLE_ROW, 3: SAMPLE_ROW})
    first = annotate_errors(data, [(2, "birth_date", "错一"), (3, "name", "错二")])
    rows = read_enrolment_file(first, intake_year=YEAR)  # 错误说明 is ignored
    assert [row.row for row in rows] == [2, 3]
    assert ERROR_COLUMN_HEADER not in rows[0].values

    second = annotate_errors(first, [(3, "name", "错二")])
    sheet = reopen(second)[DATA_SHEET]
    error_letter = get_column_letter(len(COLUMNS) + 1)
    assert sheet[f"{LETTER['birth_date']}2"].comment is None
    assert sheet[f"{LETTER['birth_date']}2"].fill.fgColor.rgb != "00FFC7CE"
    assert sheet[f"{error_letter}2"].value is None
    assert sheet[f"{error_letter}3"].value == "姓名：错二"
    assert [cell.value for cell in sheet[1]].count(ERROR_COLUMN_HEADER) == 1
