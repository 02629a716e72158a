"""The scoping matrix: named users of two counties × every page and API endpoint × objects of the
own school, another school and another county. Every cell is asserted.

And the fields: what each user sees of a pupil's record (tests/scoping.py, FIELD_RULES, the policy of
xueji/pupils/visibility.py). a1 and a1_other carry private details found nowhere else; the pupil's
page, API answer, card, roster and application form show each group as the policy says (in full,
masked or not at all), and no response of any check (page, API answer, PDF, workbook) holds an ID
number, an address, a household registration or a phone its user may not see
(check_fields_everywhere).

A new URL must join ENDPOINTS: test_every_url_is_in_the_matrix fails until it does. Every 404 a
user gets is a refusal, and must be in the audit log (Matrix.check; the exceptions: UNAUDITED_404).
"""

import io

import pytest
from django.core.files.base import ContentFile
from django.db.models import Max
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from PIL import Image

from tests.archives.scoping_checks import ARCHIVE_ENDPOINTS
from tests.cancellation.scoping_checks import CANCELLATION_ENDPOINTS, add_cancellation
from tests.changes.scoping_checks import CHANGE_ENDPOINTS, add_change
from tests.conftest import api_token, login_with_code
from tests.dropouts.scoping_checks import DROPOUT_ENDPOINTS, add_dropout
from tests.enrollment.scoping_checks import ENROLMENT_ENDPOINTS, ENROLMENT_LAST, add_enrolment
from tests.factories import PASSWORD
from tests.otp import totp_code
from tests.reports.scoping_checks import REPORT_ENDPOINTS, REPORT_LAST
from tests.schoolyear.scoping_checks import SCHOOLYEAR_ENDPOINTS, SCHOOLYEAR_LAST
from tests.scoping import (
    PRIVATE_PUPILS,
    ResponseLog,
    api_client,
    api_field_states,
    check_field_states,
    check_fields_everywhere,
    make_private,
    page_status,
    text_field_states,
    text_of,
)
from tests.special_education.scoping_checks import SPECIAL_EDUCATION_ENDPOINTS, add_grade_down
from tests.suspensions.scoping_checks import SEES_SUSPENSION, SUSPENSION_ENDPOINTS, add_suspension
from tests.transfers.left_scoping_checks import LEFT_ENDPOINTS, add_left
from tests.transfers.scoping_checks import TRANSFER_PAPER_ENDPOINTS
from tests.xueji.accounts.admin_checks import ADMIN_ENDPOINTS, ADMIN_USERS, admin_matrix_checks
from tests.xueji.approvals.scoping_checks import TRACKING_ENDPOINTS
from tests.xueji.documents.scoping_checks import DOCUMENT_ENDPOINTS, DOCUMENT_LAST
from tests.xueji.exports.scoping_checks import EXPORT_ENDPOINTS, add_export
from tests.xueji.photos.scoping_checks import PHOTO_ENDPOINTS, PHOTO_LAST
from xueji.accounts.models import AuditEntry

PUPILS = ["a1", "a1_other", "a2", "a3", "b1"]
ALL = set(PUPILS)
# Which of the world's pupils each user may see (see xueji/accounts/scoping.py).
VISIBLE = {
    "registrar_a1": {"a1", "a1_other"},
    "headmaster_a1": {"a1", "a1_other"},
    "teacher_a1": {"a1"},  # only the class they head
    "registrar_a2": {"a2"},
    "headmaster_a2": {"a2"},
    "central_a3": {"a3"},
    "officer_a": {"a1", "a1_other", "a2", "a3"},
    "officer_b": {"b1"},
    "registrar_b1": {"b1"},
    "headmaster_b1": {"b1"},
    "city_officer": ALL,
    # The three admins (三员分立) see no pupil: they have their own matrix (test_admin_matrix), in
    # which every page outside their area answers 403.
    None: set(),  # not logged in
}
# Who sees ID numbers in full on the pupils they may see.
FULL_RECORD = {"registrar_a1", "headmaster_a1", "registrar_a2", "headmaster_a2", "central_a3", "officer_a",
               "officer_b", "registrar_b1", "headmaster_b1"}
READS_AUDIT_LOG = {"auditor"}  # the audit admin's alone (三员分立): not the bureaus
# The requests of the photos fixture: R1 a transfer of a1 into B1 (waiting for headmaster_b1),
# R2 a transfer of a3 into A1 (waiting for headmaster_a1); who sees each (the parties' people and
# the bureaus and central schools above them; head teachers are not in requests).
SEES_REQUEST = {
    "r1": {"registrar_b1", "headmaster_b1", "registrar_a1", "headmaster_a1", "officer_a", "officer_b", "city_officer"},
    "r2": {"registrar_a1", "headmaster_a1", "central_a3", "officer_a", "city_officer"},
}
DECIDES = {"r1": "headmaster_b1", "r2": "headmaster_a1"}
REGISTRARS = {"registrar_a1", "registrar_a2", "registrar_b1"}
# The archive hand-over of the fixture goes from A2 to B1.
SEES_HANDOVER = {"registrar_a2", "headmaster_a2", "registrar_b1", "headmaster_b1", "officer_a", "officer_b", "city_officer"}
USERS = list(VISIBLE)


# Refusals recorded in the audit log: a scoped lookup refused (NotInScope) and a hidden NotAllowed.
REFUSALS = ("lookup.denied", "permission.denied")
# Every 404 cell is a refusal and must be in the audit log, except for these users, who see the
# object: to them the 404 says the thing asked of it does not exist (a request of another kind
# on a kind's endpoint, an upload without errors to mark), which is no refusal.
UNAUDITED_404 = {
    ("suspension_request_form", "r1 (a transfer)"): SEES_REQUEST["r1"],
    ("education_proof_pdf", "r1"): SEES_REQUEST["r1"],
    ("enrolment_import_annotated", "A1's upload"): {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"},
    ("api-resumption-withdraw", "another kind's request"): SEES_SUSPENSION,
    ("api-deferral-withdraw", "another kind's request"): SEES_SUSPENSION,
    **{(f"api-{kind}-{what}", "A1's suspension"): SEES_SUSPENSION
       for kind in ("resumption", "deferral") for what in ("detail", "form-pdf")},
    # Role checks answered 404 without an object (accounts/views.py, enrollment/intake/api.py):
    # not lookups, and not audited yet.
    ("audit_list", "page"): set(USERS),
    ("export_new", "unknown kind"): set(USERS) | set(ADMIN_USERS),
    ("api-enrolment-template", "download"): set(USERS),
}


def last_audit_id() -> int:
    return AuditEntry.objects.aggregate(last=Max("id"))["last"] or 0


class Matrix:
    def __init__(self, client: Client, world, user: str | None):
        self.client, self.world, self.user = client, world, user
        self.failures: list[str] = []
        self.cells = 0
        self.audit_mark = last_audit_id()

    def check(self, endpoint: str, cell: str, expected, actual) -> None:
        """One cell. A 404 expected and given is a refusal: it must have been audited (as denied,
        for this user) since the previous cell."""
        self.cells += 1
        if expected != actual:
            self.failures.append(f"{self.user} · {endpoint} · {cell}: expected {expected!r}, got {actual!r}")
        elif expected == 404 and self.user not in UNAUDITED_404.get((endpoint, cell), ()) and not self.refusal_audited():
            self.failures.append(f"{self.user} · {endpoint} · {cell}: a 404 not in the audit log")
        self.audit_mark = last_audit_id()

    def refusal_audited(self) -> bool:
        return AuditEntry.objects.filter(
            pk__gt=self.audit_mark, action__in=REFUSALS, result=AuditEntry.Result.DENIED, username=self.user or "",
        ).exists()

    def pupil(self, key: str):
        return self.world.pupils[key]


def logged_in(matrix: Matrix, ok=200):
    return ok if matrix.user else "login"


# One function per URL name: it requests the endpoint for the matrix's user and checks each cell.
def check_home(m):
    m.check("home", "page", logged_in(m), page_status(m, "/"))


def check_healthz(m):
    # Everyone, anonymous too (a balancer has no session): it names no one.
    response = m.client.get("/healthz/")
    m.check("healthz", "answers", (200, "正常"), (response.status_code, response.content.decode()))


def check_login(m):
    # A signed-in user is sent on to the home page.
    m.check("login", "page", 302 if m.user else 200, m.client.get("/login/").status_code)


def check_logout(m):
    m.check("logout", "GET is refused", 405 if m.user else 405, m.client.get("/logout/").status_code)


def check_switch_role(m):
    expected = 302 if m.user else "login"
    m.check("switch_role", "post", expected, page_status(m, "/role/", "post", {"membership": "999999"}))


def check_password_change(m):
    m.check("password_change", "page", logged_in(m), page_status(m, "/password/"))


def check_password_change_done(m):
    m.check("password_change_done", "page", logged_in(m), page_status(m, "/password/done/"))


def check_login_otp(m):
    # Every matrix user has passed the code already: sent on; anonymous: to the login page.
    m.check("login_otp", "page", logged_in(m, 302), page_status(m, "/login/otp/"))
    m.check("login_otp", "post", logged_in(m, 302), page_status(m, "/login/otp/", "post", {"code": "000000"}))


def check_otp_enrol(m):
    # Enrolment is for a user without a device: every matrix user has one.
    m.check("otp_enrol", "page", logged_in(m, 302), page_status(m, "/account/otp/enrol/"))
    m.check("otp_enrol", "post", logged_in(m, 302), page_status(m, "/account/otp/enrol/", "post", {"code": "1"}))


def check_recovery_codes(m):
    # Shown once, right after enrolment, from the session: nothing to show here.
    m.check("recovery_codes", "page", logged_in(m, 302), page_status(m, "/account/otp/recovery-codes/"))


def _fresh_token_client(m) -> Client:
    """A client with a token of its own (logging out must not end the matrix's shared one)."""
    client = Client()
    if m.user:
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {api_token(m.world.user(m.user).username)}"
    return client


def check_api_logout(m):
    client = _fresh_token_client(m)
    m.check("api-logout", "revokes the token used", 401 if m.user is None else 204,
            client.post("/api/v1/auth/logout/").status_code)
    if m.user:
        m.check("api-logout", "token gone", 401, client.get("/api/v1/auth/logout/").status_code)


def check_api_logout_all(m):
    client = _fresh_token_client(m)
    m.check("api-logout-all", "revokes every token", 401 if m.user is None else 204,
            client.post("/api/v1/auth/logout-all/").status_code)
    m.api_token = None  # the matrix's shared token went too


def check_pupil_list(m):
    response = m.client.get("/pupils/")
    if m.user is None:
        m.check("pupil_list", "anonymous", "login", page_status(m, "/pupils/"))
        return
    body = response.content.decode()
    for key in PUPILS:
        m.check("pupil_list", f"lists {key}", key in VISIBLE[m.user], m.pupil(key).name in body)
    if "a1" in VISIBLE[m.user]:
        text = text_of(response.content, response["Content-Type"])
        check_field_states(m, "pupil_list", "a1", text_field_states(text, m.pupil("a1")), shows={"id_number"})
    # Filtering by another school's id shows nothing of that school.
    other = m.world.units["b1"].pk
    body = m.client.get(f"/pupils/?school={other}").content.decode()
    m.check("pupil_list", "filter by foreign school", "b1" in VISIBLE[m.user], m.pupil("b1").name in body)


def check_pupil_detail(m):
    for key in PUPILS:
        pupil = m.pupil(key)
        response = m.client.get(f"/pupils/{pupil.pk}/")
        expected = "login" if m.user is None else (200 if key in VISIBLE[m.user] else 404)
        actual = "login" if response.status_code == 302 else response.status_code
        m.check("pupil_detail", key, expected, actual)
        if actual == 200:
            full = m.user in FULL_RECORD
            m.check("pupil_detail", f"{key} ID number in full", full, pupil.id_number in response.content.decode())
            if key in PRIVATE_PUPILS:
                text = text_of(response.content, response["Content-Type"])
                check_field_states(m, "pupil_detail", key, text_field_states(text, pupil))


def check_pupil_photo(m):
    for key in PUPILS:
        expected = "login" if m.user is None else (200 if key in VISIBLE[m.user] else 404)
        m.check("pupil_photo", key, expected, page_status(m, f"/pupils/{m.pupil(key).pk}/photo/"))


def check_audit_list(m):
    expected = "login" if m.user is None else (200 if m.user in READS_AUDIT_LOG else 404)
    m.check("audit_list", "page", expected, page_status(m, "/audit/"))


def check_admin(m):
    response = m.client.get("/admin/")
    expected = 200 if m.user == "admin" else 302
    m.check("admin", "index", expected, response.status_code)
    response = m.client.get("/admin/xueji/pupil/")  # pupils are deliberately not in the admin
    m.check("admin", "no pupil admin", 404 if m.user == "admin" else 302, response.status_code)


def check_admin_login(m):
    response = m.client.get("/admin/login/")
    m.check("admin/login/", "redirects to the login page", True, response["Location"].startswith("/login/"))


def check_api_token(m):
    user = m.world.user(m.user or "registrar_a1")
    credentials = {"username": user.username, "password": PASSWORD, "otp": totp_code(user)}
    response = Client().post("/api/v1/auth/token/", credentials)
    m.check("api-token", "issues a token", 200, response.status_code)


def check_api_pupil_list(m):
    client = api_client(m)
    response = client.get("/api/v1/pupils/?page_size=1000")
    if m.user is None:
        m.check("api-pupil-list", "anonymous", 401, response.status_code)
        return
    ids = {row["id"] for row in response.json()["results"]}
    for key in PUPILS:
        m.check("api-pupil-list", f"lists {key}", key in VISIBLE[m.user], m.pupil(key).pk in ids)
    if "a1" in VISIBLE[m.user]:
        text = text_of(response.content, response["Content-Type"])
        check_field_states(m, "api-pupil-list", "a1", text_field_states(text, m.pupil("a1")), shows={"id_number"})
    response = client.get(f"/api/v1/pupils/?school={m.world.units['b1'].pk}")
    names = {row["name"] for row in response.json()["results"]}
    m.check("api-pupil-list", "filter by foreign school", "b1" in VISIBLE[m.user], m.pupil("b1").name in names)


def check_api_pupil_detail(m):
    client = api_client(m)
    for key in PUPILS:
        pupil = m.pupil(key)
        response = client.get(f"/api/v1/pupils/{pupil.pk}/")
        expected = 401 if m.user is None else (200 if key in VISIBLE[m.user] else 404)
        m.check("api-pupil-detail", key, expected, response.status_code)
        if response.status_code == 200:
            m.check("api-pupil-detail", f"{key} ID number in full", m.user in FULL_RECORD,
                    response.json()["id_number"] == pupil.id_number)
            if key in PRIVATE_PUPILS:
                check_field_states(m, "api-pupil-detail", key, api_field_states(response.json(), pupil))


def check_api_schema(m):
    m.check("api-schema", "schema", 200 if m.user else 401, api_client(m).get("/api/schema/").status_code)


def check_api_docs(m):
    m.check("api-docs", "docs page", 200 if m.user else 401, api_client(m).get("/api/docs/").status_code)


def visible(m, expected_set) -> int | str:
    return "login" if m.user is None else (200 if m.user in expected_set else 404)


def check_inbox(m):
    body = m.client.get("/inbox/")
    if m.user is None:
        m.check("inbox", "anonymous", "login", page_status(m, "/inbox/"))
        return
    text = body.content.decode()
    for key in ("r1", "r2"):
        m.check("inbox", f"lists {key}", DECIDES[key] == m.user, f"/requests/{m.world.requests[key].pk}/" in text)


def check_inbox_sign(m):
    # Signing a request one may not see is refused, never applied. The first POST only shows the
    # confirmation (200), naming only requests the user may see; confirm=1 signs (302).
    r2 = m.world.requests["r2"]
    response = m.client.post("/inbox/sign/", {"request": [r2.pk]})
    expected = "login" if m.user is None else 200
    m.check("inbox_sign", "confirmation", expected, "login" if response.status_code == 302 and response["Location"].startswith("/login/") else response.status_code)
    if m.user:
        m.check("inbox_sign", "confirmation offers r2", DECIDES["r2"] == m.user,
                f'name="request" value="{r2.pk}"' in response.content.decode())
        r2.refresh_from_db()
        m.check("inbox_sign", "confirmation applies nothing", 0, r2.current_position)
    response = m.client.post("/inbox/sign/", {"request": [r2.pk], "confirm": "1"})
    expected = "login" if m.user is None else 302
    m.check("inbox_sign", "post", expected, "login" if response.status_code == 302 and response["Location"].startswith("/login/") else response.status_code)
    if m.user and m.user != DECIDES["r2"]:
        m.world.requests["r2"].refresh_from_db()
        m.check("inbox_sign", "not applied", 0, m.world.requests["r2"].current_position)


def check_request_list(m):
    if m.user is None:
        m.check("request_list", "anonymous", "login", page_status(m, "/requests/"))
        return
    text = m.client.get("/requests/").content.decode()
    for key in ("r1", "r2"):
        m.check("request_list", f"lists {key}", m.user in SEES_REQUEST[key], f"/requests/{m.world.requests[key].pk}/" in text)


def check_request_detail(m):
    for key in ("r1", "r2"):
        m.check("request_detail", key, visible(m, SEES_REQUEST[key]), page_status(m, f"/requests/{m.world.requests[key].pk}/"))


def check_request_decide(m):
    for key in ("r1", "r2"):
        # No decision chosen: the page again with the reason (200) where visible, 404 elsewhere.
        expected = "login" if m.user is None else (200 if m.user in SEES_REQUEST[key] else 404)
        status = page_status(m, f"/requests/{m.world.requests[key].pk}/decide/", "post", {"decision": ""})
        m.check("request_decide", key, expected, status)


def check_request_withdraw(m):
    key = "r2"  # started by registrar_a1, who may withdraw it: this check comes last
    expected = "login" if m.user is None else (302 if m.user in SEES_REQUEST[key] else 404)
    m.check("request_withdraw", key, expected, page_status(m, f"/requests/{m.world.requests[key].pk}/withdraw/", "post"))


def check_attachment(m):
    attachment = m.world.requests["r1"].attachments.get()
    m.check("attachment_download", "r1", visible(m, SEES_REQUEST["r1"]), page_status(m, f"/attachments/{attachment.pk}/"))


def check_transfer_list(m):
    if m.user is None:
        m.check("transfer_list", "anonymous", "login", page_status(m, "/transfers/"))
        return
    text = m.client.get("/transfers/").content.decode()
    m.check("transfer_list", "lists r1", m.user in SEES_REQUEST["r1"], f"/requests/{m.world.requests['r1'].pk}/" in text)


def check_transfer_start(m):
    m.check("transfer_start", "page", visible(m, REGISTRARS), page_status(m, "/transfers/new/"))


def check_transfer_arrive(m):
    m.check("transfer_arrive", "r1", visible(m, {"registrar_b1"}), page_status(m, f"/transfers/{m.world.requests['r1'].pk}/arrive/"))


def check_pupil_request_start(m):
    for key in PUPILS:
        own_registrar = {"a1": "registrar_a1", "a1_other": "registrar_a1", "a2": "registrar_a2", "b1": "registrar_b1"}.get(key)
        m.check("pupil_request_start", key, visible(m, {own_registrar}),
                page_status(m, f"/pupils/{m.pupil(key).pk}/requests/transfer_out/new/"))


def check_sanction_add(m):
    for key in PUPILS:
        expected = "login" if m.user is None else (302 if key in VISIBLE[m.user] else 404)
        m.check("pupil_sanction_add", key, expected, page_status(m, f"/pupils/{m.pupil(key).pk}/sanctions/", "post"))


def check_handover_list(m):
    if m.user is None:
        m.check("handover_list", "anonymous", "login", page_status(m, "/archives/handovers/"))
        return
    text = m.client.get("/archives/handovers/").content.decode()
    m.check("handover_list", "lists the hand-over", m.user in SEES_HANDOVER, m.pupil("a2").name in text)


def check_handover_action(m):
    # The receiving school without the receiver's name: its form again, with the reason.
    receiving = {"registrar_b1", "headmaster_b1"}
    expected = "login" if m.user is None else (200 if m.user in receiving else 302 if m.user in SEES_HANDOVER else 404)
    m.check("handover_action", "received", expected,
            page_status(m, f"/archives/handovers/{m.world.handover.pk}/received/", "post"))


def check_handover_detail(m):
    expected = "login" if m.user is None else (200 if m.user in SEES_HANDOVER else 404)
    m.check("handover_detail", "A2 → B1", expected, page_status(m, f"/archives/handovers/{m.world.handover.pk}/"))


def check_api_inbox(m):
    response = api_client(m).get("/api/v1/inbox/")
    if m.user is None:
        m.check("api-inbox", "anonymous", 401, response.status_code)
        return
    ids = {row["request"]["id"] for row in response.json()["results"]}
    for key in ("r1", "r2"):
        m.check("api-inbox", f"lists {key}", DECIDES[key] == m.user, m.world.requests[key].pk in ids)


def check_api_request_list(m):
    response = api_client(m).get("/api/v1/requests/")
    if m.user is None:
        m.check("api-request-list", "anonymous", 401, response.status_code)
        return
    ids = {row["id"] for row in response.json()["results"]}
    for key in ("r1", "r2"):
        m.check("api-request-list", f"lists {key}", m.user in SEES_REQUEST[key], m.world.requests[key].pk in ids)


def check_api_request_detail(m):
    client = api_client(m)
    for key in ("r1", "r2"):
        response = client.get(f"/api/v1/requests/{m.world.requests[key].pk}/")
        expected = 401 if m.user is None else (200 if m.user in SEES_REQUEST[key] else 404)
        m.check("api-request-detail", key, expected, response.status_code)
        if response.status_code == 200:
            pupil_key = {"r1": "a1", "r2": "a3"}[key]
            full = m.user in FULL_RECORD and pupil_key in VISIBLE[m.user]
            m.check("api-request-detail", f"{key} ID number only with the full record", full,
                    m.pupil(pupil_key).id_number in response.content.decode())


def check_api_request_decide(m):
    client = api_client(m)
    for key in ("r1", "r2"):
        response = client.post(f"/api/v1/requests/{m.world.requests[key].pk}/decide/", {}, format="json")
        expected = 401 if m.user is None else (400 if m.user in SEES_REQUEST[key] else 404)
        m.check("api-request-decide", key, expected, response.status_code)


def check_request_reverse(m):
    # r1 is still pending: whoever sees it is sent back to its page with the refusal; nothing starts.
    for key in ("r1", "r2"):
        expected = "login" if m.user is None else (302 if m.user in SEES_REQUEST[key] else 404)
        m.check("request_reverse", key, expected,
                page_status(m, f"/requests/{m.world.requests[key].pk}/reverse/", "post", {"reason": "核对"}))


def check_api_request_reverse(m):
    client = api_client(m)
    for key in ("r1", "r2"):
        response = client.post(f"/api/v1/requests/{m.world.requests[key].pk}/reverse/", {"reason": "核对"}, format="json")
        expected = 401 if m.user is None else (400 if m.user in SEES_REQUEST[key] else 404)
        m.check("api-request-reverse", key, expected, response.status_code)


def check_api_transfer_list(m):
    response = api_client(m).get("/api/v1/transfers/")
    if m.user is None:
        m.check("api-transfer-list", "anonymous", 401, response.status_code)
        return
    ids = {row["id"] for row in response.json()["results"]}
    m.check("api-transfer-list", "lists r1", m.user in SEES_REQUEST["r1"], m.world.requests["r1"].pk in ids)


def check_api_transfer_detail(m):
    response = api_client(m).get(f"/api/v1/transfers/{m.world.requests['r1'].pk}/")
    m.check("api-transfer-detail", "r1", 401 if m.user is None else (200 if m.user in SEES_REQUEST["r1"] else 404), response.status_code)


def check_api_transfer_withdraw(m):
    # Someone else's request: refused (400) where visible, 404 elsewhere. (registrar_b1 started
    # r1 and would withdraw it: that user is checked against r2, which it cannot see.)
    key = "r2" if m.user == "registrar_b1" else "r1"
    response = api_client(m).post(f"/api/v1/transfers/{m.world.requests[key].pk}/withdraw/")
    expected = 401 if m.user is None else (400 if m.user in SEES_REQUEST[key] else 404)
    m.check("api-transfer-withdraw", key, expected, response.status_code)


def check_api_request_withdraw(m):
    # The engine's withdrawal, for every kind: as the transfers' own (above).
    key = "r2" if m.user == "registrar_b1" else "r1"
    response = api_client(m).post(f"/api/v1/requests/{m.world.requests[key].pk}/withdraw/")
    expected = 401 if m.user is None else (400 if m.user in SEES_REQUEST[key] else 404)
    m.check("api-request-withdraw", key, expected, response.status_code)


ENDPOINTS = {
    "web:home": check_home,
    "web:healthz": check_healthz,
    "accounts:login": check_login,
    "accounts:logout": check_logout,
    "accounts:switch_role": check_switch_role,
    "accounts:password_change": check_password_change,
    "accounts:password_change_done": check_password_change_done,
    "accounts:login_otp": check_login_otp,
    "accounts:otp_enrol": check_otp_enrol,
    "accounts:recovery_codes": check_recovery_codes,
    "accounts_api:api-logout": check_api_logout,
    "pupils:pupil_list": check_pupil_list,
    "pupils:pupil_detail": check_pupil_detail,
    "photos:pupil_photo": check_pupil_photo,
    "accounts:audit_list": check_audit_list,
    "admin": check_admin,
    "admin/login/": check_admin_login,
    "accounts_api:api-token": check_api_token,
    "pupils_api:api-pupil-list": check_api_pupil_list,
    "pupils_api:api-pupil-detail": check_api_pupil_detail,
    "api-schema": check_api_schema,
    "api-docs": check_api_docs,
    "approvals:inbox": check_inbox,
    "approvals:request_list": check_request_list,
    "approvals:request_detail": check_request_detail,
    "approvals:attachment_download": check_attachment,
    "transfers:transfer_list": check_transfer_list,
    "transfers:transfer_start": check_transfer_start,
    "transfers:transfer_arrive": check_transfer_arrive,
    "transfers:pupil_request_start": check_pupil_request_start,
    "archives:handover_list": check_handover_list,
    "archives:handover_action": check_handover_action,
    "archives:handover_detail": check_handover_detail,
    "approvals_api:api-inbox": check_api_inbox,
    "approvals_api:api-request-list": check_api_request_list,
    "approvals_api:api-request-detail": check_api_request_detail,
    "approvals_api:api-request-decide": check_api_request_decide,
    "approvals:request_reverse": check_request_reverse,
    "approvals_api:api-request-reverse": check_api_request_reverse,
    "transfers_api:api-transfer-list": check_api_transfer_list,
    "transfers_api:api-transfer-detail": check_api_transfer_detail,
    "transfers_api:api-transfer-withdraw": check_api_transfer_withdraw,
    "approvals_api:api-request-withdraw": check_api_request_withdraw,
    **TRANSFER_PAPER_ENDPOINTS,
    **ADMIN_ENDPOINTS,
    **ENROLMENT_ENDPOINTS,
    **SUSPENSION_ENDPOINTS,
    **DROPOUT_ENDPOINTS,
    **CANCELLATION_ENDPOINTS,
    **ARCHIVE_ENDPOINTS,
    **CHANGE_ENDPOINTS,
    **REPORT_ENDPOINTS,
    **SCHOOLYEAR_ENDPOINTS,
    **SPECIAL_EDUCATION_ENDPOINTS,
    **PHOTO_ENDPOINTS,
    **DOCUMENT_ENDPOINTS,
    **EXPORT_ENDPOINTS,
    **TRACKING_ENDPOINTS,
    **LEFT_ENDPOINTS,
    # These change state; they come last.
    "approvals:inbox_sign": check_inbox_sign,
    "pupils:pupil_sanction_add": check_sanction_add,
    "approvals:request_decide": check_request_decide,
    "approvals:request_withdraw": check_request_withdraw,
    **ENROLMENT_LAST,
    **REPORT_LAST,
    **SCHOOLYEAR_LAST,
    **PHOTO_LAST,
    **DOCUMENT_LAST,
    "accounts_api:api-logout-all": check_api_logout_all,
}


def url_names(resolver=None, namespace=None) -> set[str]:
    """Every URL of the site by its namespaced name (the admin counts as one)."""
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                names.add("admin")
            else:
                names |= url_names(pattern, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or str(pattern.pattern)
            names.add(f"{namespace}:{name}" if namespace and pattern.name else name)
    return names


def test_every_url_is_in_the_matrix():
    missing = url_names() - set(ENDPOINTS)
    assert not missing, f"add these to the scoping matrix: {sorted(missing)}"


@pytest.fixture
def photos(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    buffer = io.BytesIO()
    Image.new("RGB", (35, 49), (40, 90, 200)).save(buffer, "PNG")
    for pupil in world.pupils.values():
        pupil.photo.save("photo.png", ContentFile(buffer.getvalue()), save=True)
    for key in PRIVATE_PUPILS:
        make_private(world, key)
    add_requests(world)
    return world


def add_requests(world):
    """R1: a1 into B1 (with a proof); R2: a3 into A1; an archive hand-over from A2 to B1."""
    from archives.handover.services import handover_open
    from tests.transfers.conftest import proof, start
    from xueji.approvals.models import ChangeRequest
    from xueji.files.proof import check_uploads

    world.requests = {
        "r1": start(world, "a1", to="b1", to_class="b1_3_1", grounds="job", files=check_uploads([proof()])),
        "r2": start(world, "a3", to="a1", to_class="a1_3_2", grounds="job"),
    }
    done = ChangeRequest.objects.create(
        kind="transfer", pupil=world.pupils["a2"], status="approved", started_by=world.user("registrar_b1"),
        started_unit=world.units["b1"], payload={},
    )
    world.handover = handover_open(pupil=world.pupils["a2"], from_school=world.units["a2"], to_school=world.units["b1"],
                                   change_request=done, start=done.started_at.date())
    add_left(world)
    add_enrolment(world)
    add_suspension(world)
    add_dropout(world)
    add_cancellation(world)
    add_grade_down(world)
    add_change(world)
    add_export(world)


@pytest.mark.parametrize("user", USERS, ids=[u or "anonymous" for u in USERS])
def test_scoping_matrix(user, photos, client, monkeypatch):
    world = photos
    log = ResponseLog().install(monkeypatch)
    if user:
        login_with_code(client, world.user(user))
    matrix = Matrix(client, world, user)
    for check in ENDPOINTS.values():
        check(matrix)
    check_fields_everywhere(matrix, log)
    assert matrix.cells >= 50
    assert not matrix.failures, "\n".join(matrix.failures)


@pytest.mark.parametrize("user", ADMIN_USERS)
def test_admin_matrix(user, world, client):
    """The three admins: the pages of their area, each with its answers, and every other URL of the
    site refused (tests/xueji/accounts/admin_checks.py)."""
    login_with_code(client, world.user(user))
    matrix = Matrix(client, world, user)
    for check in admin_matrix_checks(ENDPOINTS):
        check(matrix)
    assert matrix.cells >= 200
    assert not matrix.failures, "\n".join(matrix.failures)
