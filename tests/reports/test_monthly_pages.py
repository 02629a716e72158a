"""The monthly report's pages, PDF, spreadsheet and API: what each user sees, the printed text,
formula-safe cells, masked numbers for the city, audited prints and exports."""

import io
import subprocess

import pytest
import time_machine
from openpyxl import load_workbook
from PIL import Image

from reports.models import MonthlyReport
from reports.services import monthly_reports_generate
from tests.document_jobs import api_print_through_job, print_through_job
from tests.pdfs import page_count, pdf_words
from tests.reports.conftest import AFTER_OCTOBER, OCTOBER
from xueji.accounts.models import AuditEntry
from xueji.documents.models import PrintedDocument
from xueji.identity import mask_student_number
from xueji.pupils.models import Pupil, StatusChange


@pytest.fixture
def reported(october):
    with time_machine.travel(AFTER_OCTOBER, tick=False):
        monthly_reports_generate(month=OCTOBER)
    october.reports = {r.unit_id: r for r in MonthlyReport.objects.all()}
    return october


def report_of(world, key: str) -> MonthlyReport:
    return MonthlyReport.objects.get(unit=world.units[key], month=OCTOBER, version=1)


def test_list_shows_the_reports_of_the_users_area(login, reported):
    body = login(reported.user("officer_a")).get("/reports/monthly/?month=2026-10").content.decode()
    for name in ("农安县教育局", "农安县实验小学", "合隆镇中心校", "合隆镇陈家店小学"):
        assert name in body
    assert "榆树市" not in body and "生成新版本" in body
    body = login(reported.user("registrar_a1")).get("/reports/monthly/").content.decode()
    assert "农安县实验小学" in body and "农安县教育局" not in body and "生成新版本" not in body


def test_detail_page_shows_every_table(login, reported):
    report = report_of(reported, "a1")
    body = login(reported.user("registrar_a1")).get(f"/reports/monthly/{report.pk}/").content.decode()
    for text in ("月初、月末在籍人数", "本月学籍变动", "新生建籍", "转入", "转出", "死亡", "删除问题学籍", "借读",
                 "核对：月初 5 + 增加 2 − 减少 3 = 4，月末 4：一致", "学籍信息变更", "变动明细", "新生乙", "合隆镇陈家店小学",
                 "系统自动"):
        assert text in body, text
    assert "按当前记录重新生成" not in body


def test_county_page_links_to_its_schools_reports(login, reported):
    report = report_of(reported, "county_a")
    body = login(reported.user("officer_a")).get(f"/reports/monthly/{report.pk}/").content.decode()
    assert "分单位" in body and f"/reports/monthly/{report_of(reported, 'a1').pk}/" in body
    assert "按当前记录重新生成（含下属单位）" in body


def test_pdf_prints_the_figures(login, reported, tmp_path):
    report = report_of(reported, "a1")
    response = print_through_job(login(reported.user("registrar_a1")), f"/reports/monthly/{report.pk}/report.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = pdf_words(response.content)
    for words in ("2026年10月学籍变动月报表", "填报单位：农安县实验小学", "统计期间：2026-10-01至2026-10-31",
                  "月初、月末在籍人数", "在籍合计", "本月学籍变动", "新生建籍", "删除问题学籍",
                  "月初在籍5人+增加2人−减少3人=4人；月末在籍4人。一致", "学籍信息变更1件", "变动明细", "新生乙",
                  "李晓燕", "合隆镇陈家店小学", "制表人", "负责人签字", "单位盖章"):
        assert words in text, words
    assert reported.pupils["a1_other"].student_number in text
    # The footer's verification code, and the print's record with the pupils the paper names.
    code = response["X-Document-Code"]
    assert f"核验码：{code}" in text
    record = PrintedDocument.objects.get(kind="monthly_report")
    assert record.display_code == code and record.unit_id == reported.units["a1"].pk
    assert sorted(p["name"] for p in record.pupils) == sorted(["新生乙", "借读丙", "李晓燕", "刘思远", "死亡丁", "删除戊"])
    # Every page after the first names the unit and the month in its running header.
    assert text.count("农安县实验小学2026年10月学籍变动月报表（第1版）") == page_count(response.content) - 1
    # Landscape A4 pages, as pdftoppm draws them (what a person looks at: -r 70 gives 818 × 579).
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(response.content)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")], check=True)
    with Image.open(next(tmp_path.glob("page*.png"))) as page:
        assert page.width > page.height
    assert AuditEntry.objects.filter(action="report.monthly.pdf", username="registrar_a1").count() == 1


def test_county_pdf_has_the_breakdown_by_unit(api_as, reported):
    report = report_of(reported, "county_a")
    response = api_print_through_job(api_as("officer_a"), f"/api/v1/monthly-reports/{report.pk}/report.pdf")
    assert response.status_code == 200
    text = pdf_words(response.content)
    assert "分单位" in text and "合隆镇中心校" in text and "变动明细" not in text
    assert "月初在籍7人+增加2人−减少2人=7人；月末在籍7人。一致" in text


def test_city_sees_student_numbers_masked(api_as, login, reported):
    report = report_of(reported, "a1")
    number = reported.pupils["a1_other"].student_number
    details = api_as("city_officer").get(f"/api/v1/monthly-reports/{report.pk}/").json()["figures"]["details"]
    assert mask_student_number(number) in {d["student_number"] for d in details} and number not in str(details)
    body = login(reported.user("city_officer")).get(f"/reports/monthly/{report.pk}/").content.decode()
    assert number not in body
    text = pdf_words(print_through_job(login(reported.user("city_officer")), f"/reports/monthly/{report.pk}/report.pdf").content)
    assert number not in text
    full = api_as("officer_a").get(f"/api/v1/monthly-reports/{report.pk}/").json()["figures"]["details"]
    assert number in {d["student_number"] for d in full}


def test_spreadsheet_never_holds_a_formula(login, october):
    """A name and a reason that Excel would evaluate come out as text."""
    Pupil.objects.filter(pk=october.pupils["new"].pk).update(name="=1+1")
    StatusChange.objects.filter(pupil=october.pupils["dead"], to_status="deceased").update(reason="@SUM(A1)")
    with time_machine.travel(AFTER_OCTOBER, tick=False):
        monthly_reports_generate(month=OCTOBER)
    report = report_of(october, "a1")
    response = print_through_job(login(october.user("registrar_a1")), f"/reports/monthly/{report.pk}/report.xlsx")
    assert response.status_code == 200
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == ["月初月末人数", "本月变动", "审批事项", "变动明细"]
    cells = {cell.value: cell for row in workbook["变动明细"].iter_rows() for cell in row if cell.value is not None}
    assert cells["'=1+1"].data_type == "s" and cells["'@SUM(A1)"].data_type == "s"
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
    numbers = [row[2].value for row in workbook["变动明细"].iter_rows(min_row=3)]
    assert october.pupils["a1_other"].student_number in numbers
    assert AuditEntry.objects.filter(action="report.monthly.xlsx", username="registrar_a1").count() == 1


def test_api_lists_latest_versions_in_scope(api_as, reported):
    data = api_as("officer_b").get("/api/v1/monthly-reports/?month=2026-10").json()
    assert {row["unit"]["name"] for row in data["results"]} == {"榆树市教育局", "榆树市实验小学", "榆树市第二中学"}
    county_b = next(row for row in data["results"] if row["unit"]["name"] == "榆树市教育局")
    assert county_b["check"]["out"] == 1 and county_b["version"] == 1 and county_b["month"] == "2026-10"
    assert api_as("registrar_b1").get("/api/v1/monthly-reports/").json()["count"] == 1
    assert api_as("officer_b").get(f"/api/v1/monthly-reports/{report_of(reported, 'a1').pk}/").status_code == 404
    assert api_as("teacher_a1").get("/api/v1/monthly-reports/").status_code == 403


def test_api_regenerates_for_the_bureau(api_as, reported):
    response = api_as("officer_a").post("/api/v1/monthly-reports/regenerate/", {"unit": reported.units["a1"].pk,
                                                                               "month": "2026-10", "note": "核对"},
                                        format="json")
    assert response.status_code == 201
    assert [(row["unit"]["name"], row["version"]) for row in response.json()] == [("农安县实验小学", 2)]
    rows = api_as("officer_a").get(f"/api/v1/monthly-reports/?unit={reported.units['a1'].pk}&all_versions=true").json()
    assert [row["version"] for row in rows["results"]] == [2, 1]
    rows = api_as("officer_a").get(f"/api/v1/monthly-reports/?unit={reported.units['a1'].pk}").json()
    assert [row["version"] for row in rows["results"]] == [2]
    assert api_as("registrar_a1").post("/api/v1/monthly-reports/regenerate/",
                                       {"unit": reported.units["a1"].pk, "month": "2026-10"}, format="json").status_code == 403
    assert api_as("officer_b").post("/api/v1/monthly-reports/regenerate/",
                                    {"unit": reported.units["a1"].pk, "month": "2026-10"}, format="json").status_code == 404


def test_page_regenerates_and_goes_to_the_new_version(login, reported):
    client = login(reported.user("officer_a"))
    response = client.post("/reports/monthly/regenerate/", {"unit": reported.units["county_a"].pk, "month": "2026-10",
                                                            "note": "补录"})
    new = MonthlyReport.objects.get(unit=reported.units["county_a"], month=OCTOBER, version=2)
    assert response.status_code == 302 and response["Location"] == f"/reports/monthly/{new.pk}/"
    body = client.get(response["Location"]).content.decode()
    assert "第2版" in body and "补录" in body and "第1版" in body


def test_home_panel_shows_the_latest_report(login, reported):
    body = login(reported.user("registrar_a1")).get("/").content.decode()
    assert "学籍变动月报" in body and "2026年10月：月初在籍" in body
    body = login(reported.user("officer_a")).get("/").content.decode()
    assert "2026年10月下属单位月报" in body


def test_nav_entries(login, world):
    body = login(world.user("registrar_a1")).get("/").content.decode()
    assert 'href="/statistics/">统计<' in body and 'href="/reports/monthly/">月报<' in body
    body = login(world.user("teacher_a1")).get("/").content.decode()
    assert 'href="/statistics/"' not in body
