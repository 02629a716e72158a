"""The transfer's papers in the scoping matrix (tests/test_scoping_matrix.py): the 转学申请表 and the
转学联系函 of the matrix's transfer r1 (a1 into B1), on the pages and the API. The request's parties
and the bureaus above them print them, each seeing the pupil as the policy says; everyone else gets
the 404 of a request they cannot see (audited)."""

from tests.scoping import api_client, check_field_states, text_field_states, text_of
from tests.scoping import page_status as _status

# As SEES_REQUEST["r1"] in the matrix: B1's and A1's people, the two counties and the city.
SEES_R1 = {"registrar_b1", "headmaster_b1", "registrar_a1", "headmaster_a1", "officer_a", "officer_b", "city_officer"}
# What each paper prints of the pupil: the application the family's contacts, the letter the numbers.
SHOWS = {"application": {"id_number", "address", "guardian_phone"}, "letter": {"id_number"}}


def _check_page(m, name: str, which: str):
    r1 = m.world.requests["r1"]
    url = f"/transfers/{r1.pk}/{which}.pdf"
    expected = "login" if m.user is None else (200 if m.user in SEES_R1 else 404)
    m.check(name, "r1", expected, _status(m, url))
    if m.user in SEES_R1:
        response = m.client.get(url)
        states = text_field_states(text_of(response.content, response["Content-Type"]), m.pupil("a1"))
        check_field_states(m, name, "a1", states, shows=SHOWS[which])


def _check_api(m, name: str, which: str):
    response = api_client(m).get(f"/api/v1/transfers/{m.world.requests['r1'].pk}/{which}.pdf")
    expected = 401 if m.user is None else (200 if m.user in SEES_R1 else 404)
    m.check(name, "r1", expected, response.status_code)
    if response.status_code == 200:
        m.check(name, "content type", "application/pdf", response["Content-Type"])


# The transfer's first step through the API, for B1's pupil 刘思远: a registrar of another school
# finds the pupil (A1 and A2 may take him in); B1's own registrar is told he is already there; no
# one else looks pupils up for a transfer in.
LOOKUP_ANSWERS = {"registrar_a1": 200, "registrar_a2": 200, "registrar_b1": 400, None: 401}


def check_api_transfer_lookup(m):
    pupil = m.pupil("b1")
    response = api_client(m).post("/api/v1/transfers/lookup/", {"number": pupil.student_number, "name": pupil.name})
    m.check("api-transfer-lookup", "b1's pupil", LOOKUP_ANSWERS.get(m.user, 403), response.status_code)


TRANSFER_PAPER_ENDPOINTS = {
    "transfers_api:api-transfer-lookup": check_api_transfer_lookup,
    "transfers:transfer_application_pdf": lambda m: _check_page(m, "transfer_application_pdf", "application"),
    "transfers:transfer_letter_pdf": lambda m: _check_page(m, "transfer_letter_pdf", "letter"),
    "transfers_api:api-transfer-application-pdf": lambda m: _check_api(m, "api-transfer-application-pdf", "application"),
    "transfers_api:api-transfer-letter-pdf": lambda m: _check_api(m, "api-transfer-letter-pdf", "letter"),
}
