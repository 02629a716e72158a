"""The 义务教育证书编号表 leaves through an export request (schoolyear/exports.py, kind
"certificate_numbers"): the county's leader approves; the workbook has the watermark sheet first,
the graduates' names, their 学籍号 masked unless full values were granted, numbers as text."""

import pytest
from django.core.exceptions import ValidationError

from schoolyear.models import Certificate
from tests.schoolyear.test_certificates import assign, graduate
from tests.xueji.exports.helpers import add_leaders, approve, workbook_of
from xueji.accounts.models import AuditEntry, Membership
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import NotInScope
from xueji.exports.models import ExportFile
from xueji.exports.services import ExportAsk, export_request_start
from xueji.identity import mask_student_number
from xueji.pupils.models import Pupil

FIELDS = ["index", "student_number", "name", "class_name", "certificate_number"]


def ask_numbers(world, username="registrar_a1", *, school="a1", year=2026, full=False, fields=None):
    user = world.user(username)
    membership = Membership.objects.filter(user=user).select_related("unit").first()
    return export_request_start(actor=user, membership=membership, ask=ExportAsk(
        export_kind="certificate_numbers", scope=f"{world.units[school].pk}-{year}", fields=fields or FIELDS,
        purpose="archive", purpose_text="证书发放登记", full_values=full,
        reason_for_full_values="与国家系统核对学籍号" if full else ""))


def sheet_rows(change):
    with ExportFile.objects.get(request=change).file.open("rb") as handle:
        workbook = workbook_of(handle.read())
    sheet = workbook["证书编号"]
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return workbook, sheet, rows[1], [dict(zip(rows[1], row)) for row in rows[2:]]


@pytest.fixture
def numbered(sixth_grade, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    add_leaders(sixth_grade)
    graduate(sixth_grade)
    assign(sixth_grade)
    return sixth_grade


def test_the_list_is_approved_by_the_county_and_the_numbers_masked_by_default(numbered):
    change = ask_numbers(numbered)
    assert change.steps.get().unit == numbered.units["county_a"]
    workbook, sheet, headers, rows = sheet_rows(approve(numbered, change))
    assert workbook.sheetnames == ["导出说明", "证书编号"]  # the watermark first
    assert f"数据导出 #{change.pk}" in [cell.value for cell in workbook["导出说明"]["B"]]
    assert headers == ["序号", "学籍号", "姓名", "班级", "证书编号"]
    pupil = numbered.grade6["毕业甲"]
    row = next(r for r in rows if r["姓名"] == "毕业甲")
    assert row["学籍号"] == mask_student_number(pupil.student_number) != pupil.student_number
    assert sorted(r["证书编号"] for r in rows) == ["2201222700001", "2201222700002", "2201222700003"]
    assert sheet.cell(row=3, column=5).number_format == "@" and sheet.cell(row=3, column=2).number_format == "@"
    entry = AuditEntry.objects.get(action="export.file_made")
    assert "3 条" in entry.detail and "已脱敏" in entry.detail


def test_full_numbers_when_the_leader_ticks_them(numbered):
    change = approve(numbered, ask_numbers(numbered, full=True), grant_full=True)
    _, _, _, rows = sheet_rows(change)
    pupil = numbered.grade6["毕业甲"]
    assert next(r for r in rows if r["姓名"] == "毕业甲")["学籍号"] == pupil.student_number


def test_a_county_officer_asks_for_a_school_of_the_county_only(numbered):
    change = ask_numbers(numbered, "officer_a")
    assert change.payload["scope_label"].startswith(numbered.units["a1"].name)
    with pytest.raises(NotInScope):
        ask_numbers(numbered, "registrar_b1")
    with pytest.raises(NotInScope):
        ask_numbers(numbered, "officer_b")
    with pytest.raises(NotInScope):
        ask_numbers(numbered, year=1999)
    with pytest.raises(NotAllowed):
        ask_numbers(numbered, "teacher_a1")


def test_the_form_offers_the_years_with_graduates(numbered, login):
    client = login(numbered.user("registrar_a1"))
    form = client.get("/exports/new/?kind=certificate_numbers").content.decode()
    assert f'value="{numbered.units["a1"].pk}-2026"' in form and "毕业生（3 人）" in form
    assert Certificate.objects.count() == 3


def test_a_name_that_looks_like_a_formula_stays_text(numbered):
    Pupil.objects.filter(name="毕业甲").update(name='=HYPERLINK("http://x","点我")')
    _, sheet, _, _ = sheet_rows(approve(numbered, ask_numbers(numbered)))
    names = [cell for cell in sheet["C"][2:] if "HYPERLINK" in str(cell.value)]
    assert len(names) == 1 and names[0].data_type == "s" and names[0].value.startswith("'=")


def test_no_year_chosen_is_a_clear_error(numbered):
    with pytest.raises(ValidationError) as refused:
        export_request_start(actor=numbered.user("registrar_a1"),
                             membership=Membership.objects.get(user=numbered.user("registrar_a1")),
                             ask=ExportAsk(export_kind="certificate_numbers", scope="", fields=FIELDS,
                                           purpose="archive", purpose_text="证书发放登记"))
    assert "请选择学校和学年" in str(refused.value)
