"""The pages and API endpoints of reports/ in the scoping matrix (tests/test_scoping_matrix.py):
merge REPORT_ENDPOINTS into ENDPOINTS and REPORT_LAST at its end.

The data (add_reports): last month's monthly reports of every school, central school and county,
made once per world by the scheduler's service. Statistics and reports are for a school's
registrar and headmaster (their school), the central school's registrar (its schools) and the
bureaus (their area); head teachers and the system administrator have neither (403). A unit or a
report outside one's area: 404 (the API: 401 when not signed in). Regenerating is the bureaus':
others who see the unit get 403. REPORT_LAST regenerates (a new version), so it comes last."""

from django.utils import timezone

from reports.models import MonthlyReport
from reports.monthly import previous_month
from reports.services import monthly_reports_generate
from tests.scoping import api_client as _api
from tests.scoping import page_status as _status
from tests.scoping import post_json as _post

REPORT_USERS = {"registrar_a1", "headmaster_a1", "registrar_a2", "headmaster_a2", "central_a3", "officer_a", "officer_b",
                "registrar_b1", "headmaster_b1", "city_officer"}
SEES_A1 = {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"}
SEES_A3 = {"central_a3", "officer_a", "city_officer"}
SEES_COUNTY_A = {"officer_a", "city_officer"}
REGENERATES_A1 = {"officer_a", "city_officer"}


def add_reports(world):
    """Last month's reports, made once per world."""
    if getattr(world, "monthly_reports", None) is None:
        today = timezone.localdate()
        monthly_reports_generate(month=previous_month(today), today=today)
        world.monthly_reports = {key: MonthlyReport.objects.get(unit=world.units[key], version=1)
                                 for key in ("a1", "a3", "county_a", "b1")}
    return world.monthly_reports


def _unit_expect(m, allowed: set, ok=200):
    """A unit's page: ok for those who see it, 404 for other reporting users, 403 for the rest."""
    if m.user is None:
        return "login"
    if m.user in allowed:
        return ok
    return 404 if m.user in REPORT_USERS else 403


def _api_unit_expect(m, allowed: set, ok=200):
    return 401 if m.user is None else _unit_expect(m, allowed, ok)


def _object_expect(m, allowed: set, ok=200):
    """A report (an object): ok for those who see it, 404 for everyone else."""
    return "login" if m.user is None else (ok if m.user in allowed else 404)


UNITS = {"a1": SEES_A1, "a3": SEES_A3, "county_a": SEES_COUNTY_A}


def check_statistics(m):
    expected = "login" if m.user is None else (200 if m.user in REPORT_USERS else 403)
    m.check("statistics", "own unit", expected, _status(m, "/statistics/"))
    for key, allowed in UNITS.items():
        m.check("statistics", key, _unit_expect(m, allowed), _status(m, f"/statistics/?unit={m.world.units[key].pk}"))
    if m.user in SEES_COUNTY_A:
        body = m.client.get(f"/statistics/?unit={m.world.units['county_a'].pk}").content.decode()
        m.check("statistics", "county A lists its pupils' schools only", (True, False),
                ("农安县实验小学" in body, "榆树市实验小学" in body))


def check_statistics_xlsx(m):
    expected = "login" if m.user is None else (200 if m.user in REPORT_USERS else 403)
    m.check("statistics_xlsx", "own unit", expected, _status(m, "/statistics/export.xlsx"))
    for key, allowed in UNITS.items():
        m.check("statistics_xlsx", key, _unit_expect(m, allowed),
                _status(m, f"/statistics/export.xlsx?unit={m.world.units[key].pk}"))


def check_api_statistics(m):
    client = _api(m)
    expected = 401 if m.user is None else (200 if m.user in REPORT_USERS else 403)
    response = client.get("/api/v1/statistics/")
    m.check("api-statistics", "own unit", expected, response.status_code)
    if response.status_code == 200 and m.user in SEES_A1 - {"city_officer"}:
        names = {line["label"] for line in response.json()["breakdown"]}
        m.check("api-statistics", "no school of county B", False, "榆树市实验小学" in names)
    for key, allowed in UNITS.items():
        m.check("api-statistics", key, _api_unit_expect(m, allowed),
                client.get(f"/api/v1/statistics/?unit={m.world.units[key].pk}").status_code)


def check_api_statistics_xlsx(m):
    # Written by a worker (reports/jobs.py): 202 and the job where the user may have it.
    client = _api(m)
    expected = 401 if m.user is None else (202 if m.user in REPORT_USERS else 403)
    m.check("api-statistics-xlsx", "own unit", expected, client.get("/api/v1/statistics/export.xlsx").status_code)
    for key, allowed in UNITS.items():
        m.check("api-statistics-xlsx", key, _api_unit_expect(m, allowed, ok=202),
                client.get(f"/api/v1/statistics/export.xlsx?unit={m.world.units[key].pk}").status_code)


def check_monthly_report_list(m):
    reports = add_reports(m.world)
    expected = "login" if m.user is None else (200 if m.user in REPORT_USERS else 403)
    m.check("monthly_report_list", "page", expected, _status(m, "/reports/monthly/"))
    if m.user in REPORT_USERS:
        body = m.client.get(f"/reports/monthly/?month={reports['a1'].month:%Y-%m}").content.decode()
        for key, allowed in {**UNITS, "b1": {"officer_b", "registrar_b1", "headmaster_b1", "city_officer"}}.items():
            m.check("monthly_report_list", f"lists {key}'s report", m.user in allowed,
                    f"/reports/monthly/{reports[key].pk}/" in body)


def _check_report_pages(m, name: str, suffix: str):
    reports = add_reports(m.world)
    for key, allowed in UNITS.items():
        m.check(name, key, _object_expect(m, allowed), _status(m, f"/reports/monthly/{reports[key].pk}/{suffix}"))


def check_monthly_report_detail(m):
    _check_report_pages(m, "monthly_report_detail", "")


def check_monthly_report_pdf(m):
    _check_report_pages(m, "monthly_report_pdf", "report.pdf")


def check_monthly_report_xlsx(m):
    _check_report_pages(m, "monthly_report_xlsx", "report.xlsx")


def check_api_monthly_report_list(m):
    reports = add_reports(m.world)
    response = _api(m).get("/api/v1/monthly-reports/")
    expected = 401 if m.user is None else (200 if m.user in REPORT_USERS else 403)
    m.check("api-monthly-report-list", "list", expected, response.status_code)
    if response.status_code == 200:
        ids = {row["id"] for row in response.json()["results"]}
        for key, allowed in UNITS.items():
            m.check("api-monthly-report-list", f"lists {key}'s report", m.user in allowed, reports[key].pk in ids)


def _check_api_report(m, name: str, suffix: str):
    reports = add_reports(m.world)
    client = _api(m)
    # The files are written by a worker (reports/jobs.py): 202 and the job.
    ok = 202 if suffix else 200
    for key, allowed in UNITS.items():
        expected = 401 if m.user is None else (ok if m.user in allowed else 404)
        m.check(name, key, expected, client.get(f"/api/v1/monthly-reports/{reports[key].pk}/{suffix}").status_code)


def check_api_monthly_report_detail(m):
    _check_api_report(m, "api-monthly-report-detail", "")


def check_api_monthly_report_pdf(m):
    _check_api_report(m, "api-monthly-report-pdf", "report.pdf")


def check_api_monthly_report_xlsx(m):
    _check_api_report(m, "api-monthly-report-xlsx", "report.xlsx")


def check_monthly_report_regenerate(m):
    reports = add_reports(m.world)
    data = {"unit": m.world.units["a1"].pk, "month": f"{reports['a1'].month:%Y-%m}"}
    expected = _unit_expect(m, REGENERATES_A1, ok=302)
    if m.user in SEES_A1 - REGENERATES_A1:
        expected = 403
    m.check("monthly_report_regenerate", "A1", expected, _status(m, "/reports/monthly/regenerate/", "post", data))
    m.check("monthly_report_regenerate", "A1's versions", 2 if m.user in REGENERATES_A1 else 1,
            MonthlyReport.objects.filter(unit=m.world.units["a1"], month=reports["a1"].month).count())


def check_api_monthly_report_regenerate(m):
    reports = add_reports(m.world)
    data = {"unit": m.world.units["a1"].pk, "month": f"{reports['a1'].month:%Y-%m}"}
    expected = _api_unit_expect(m, REGENERATES_A1, ok=201)
    if m.user in SEES_A1 - REGENERATES_A1:
        expected = 403
    response = _post(m, "/api/v1/monthly-reports/regenerate/", data)
    m.check("api-monthly-report-regenerate", "A1", expected, response.status_code)


REPORT_ENDPOINTS = {
    "reports:statistics": check_statistics,
    "reports:statistics_xlsx": check_statistics_xlsx,
    "reports_api:api-statistics": check_api_statistics,
    "reports_api:api-statistics-xlsx": check_api_statistics_xlsx,
    "reports:monthly_report_list": check_monthly_report_list,
    "reports:monthly_report_detail": check_monthly_report_detail,
    "reports:monthly_report_pdf": check_monthly_report_pdf,
    "reports:monthly_report_xlsx": check_monthly_report_xlsx,
    "reports_api:api-monthly-report-list": check_api_monthly_report_list,
    "reports_api:api-monthly-report-detail": check_api_monthly_report_detail,
    "reports_api:api-monthly-report-pdf": check_api_monthly_report_pdf,
    "reports_api:api-monthly-report-xlsx": check_api_monthly_report_xlsx,
}
# These write a new version of A1's report (the page's regeneration first: the count checks it).
REPORT_LAST = {
    "reports:monthly_report_regenerate": check_monthly_report_regenerate,
    "reports_api:api-monthly-report-regenerate": check_api_monthly_report_regenerate,
}
