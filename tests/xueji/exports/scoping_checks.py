"""The export requests' pages and API in the scoping matrix (tests/test_scoping_matrix.py).

The fixture's export: officer_a's national export of county A, approved by leader_a and its file
made. It is seen by the parties (county A: officer_a; leader_a) and the bureaus above (the city);
no school sees it (the county asked, for itself). Only officer_a downloads it; the checks here
never give a right code (a code is accepted once, and the matrix logs each user in with one)."""

from tests.scoping import api_client, page_status
from tests.xueji.exports.helpers import add_leaders, approve, ask

SEES_EXPORT = {"officer_a", "city_officer"}
# Who may ask for the national export (enrollment/national/views.py EXPORT_ROLES).
ASKS_NATIONAL = {"registrar_a1", "headmaster_a1", "registrar_a2", "headmaster_a2", "officer_a", "officer_b",
                 "registrar_b1", "headmaster_b1"}


def add_export(world) -> None:
    add_leaders(world)
    world.export = approve(world, ask(world, "officer_a"))


def _export(m):
    """The fixture's export. The admins' matrix has the plain world: an export asked for, not yet
    approved, is enough for what they are refused."""
    if not hasattr(m.world, "export"):
        m.world.export = ask(m.world, "officer_a")
    return m.world.export


def _expect(m, allowed: set, ok=200, elsewhere=404):
    return "login" if m.user is None else (ok if m.user in allowed else elsewhere)


def check_export_list(m):
    m.check("export_list", "page", "login" if m.user is None else 200, page_status(m, "/exports/"))
    if m.user:
        text = m.client.get("/exports/").content.decode()
        m.check("export_list", "lists the export", m.user == "officer_a", f"/exports/{_export(m).pk}/" in text)


def check_export_new(m):
    m.check("export_new", "national", _expect(m, ASKS_NATIONAL, elsewhere=403), page_status(m, "/exports/new/?kind=national"))
    b1 = m.world.units["b1"].pk
    m.check("export_new", "unknown kind", "login" if m.user is None else 404, page_status(m, "/exports/new/?kind=nothing"))
    # A school of county B as the scope: county B's officer asks (302); the others who may ask get
    # the form back (B1 is not among their scopes), the rest are refused their role.
    m.check("export_new", "post B1 as scope", _expect(m, {"officer_b"}, ok=302, elsewhere=200 if m.user in ASKS_NATIONAL else 403),
            page_status(m, "/exports/new/?kind=national", "post", {"scope": str(b1), "fields": ["name"],
                                                                    "purpose": "statistics", "purpose_text": "统计"}))


def check_export_detail(m):
    m.check("export_detail", "county A's export", _expect(m, SEES_EXPORT), page_status(m, f"/exports/{_export(m).pk}/"))


def check_export_file(m):
    # No code given: the requester is asked for one (403), the city sees it but may not take it
    # (403), everyone else does not see it (404).
    m.check("export_file", "without a code", _expect(m, SEES_EXPORT, ok=403),
            page_status(m, f"/exports/{_export(m).pk}/file/", "post"))


def check_api_export_list(m):
    response = api_client(m).get("/api/v1/exports/")
    m.check("api-export-list", "status", 401 if m.user is None else 200, response.status_code)
    if response.status_code == 200:
        m.check("api-export-list", "lists the export", m.user == "officer_a",
                _export(m).pk in [row["id"] for row in response.json()])


def check_api_export_detail(m):
    response = api_client(m).get(f"/api/v1/exports/{_export(m).pk}/")
    m.check("api-export-detail", "county A's export", 401 if m.user is None else (200 if m.user in SEES_EXPORT else 404),
            response.status_code)


def check_api_export_file(m):
    response = api_client(m).get(f"/api/v1/exports/{_export(m).pk}/file/")
    m.check("api-export-file", "without a code", 401 if m.user is None else (403 if m.user in SEES_EXPORT else 404),
            response.status_code)


EXPORT_ENDPOINTS = {
    "exports:export_list": check_export_list,
    "exports:export_new": check_export_new,
    "exports:export_detail": check_export_detail,
    "exports:export_file": check_export_file,
    "exports_api:api-export-list": check_api_export_list,
    "exports_api:api-export-detail": check_api_export_detail,
    "exports_api:api-export-file": check_api_export_file,
}
