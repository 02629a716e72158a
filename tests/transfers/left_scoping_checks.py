"""The sending school's copies of pupils who left (transfers/left/) in the scoping matrix
(tests/test_scoping_matrix.py: LEFT_ENDPOINTS).

The data: the matrix's finished transfer of a2 (王大伟) from A2 to B1 (the hand-over's request)
gets A2's copy, as its approval writes it. Only A2's registrar and headmaster and the bureaus above
A2 see it; B1, the receiving school, does not (it has the living record)."""

from tests.scoping import api_client, page_status

SEES_A2_COPY = {"registrar_a2", "headmaster_a2", "officer_a", "city_officer"}


def add_left(world):
    """A2's copy of a2, kept for the hand-over's finished transfer (made once per world)."""
    from transfers.left.services import left_copy_keep

    if getattr(world, "left_copy", None) is None:
        world.left_copy = left_copy_keep(world.handover.change_request, destination=world.units["b1"].name)
    return world.left_copy


def check_left_list(m):
    if m.user is None:
        m.check("left_list", "anonymous", "login", page_status(m, "/pupils/left/"))
        return
    response = m.client.get("/pupils/left/")
    m.check("left_list", "page", 200, response.status_code)
    m.check("left_list", "lists A2's copy", m.user in SEES_A2_COPY, m.pupil("a2").name in response.content.decode())


def check_left_detail(m):
    url = f"/pupils/left/{m.world.left_copy.pk}/"
    expected = "login" if m.user is None else (200 if m.user in SEES_A2_COPY else 404)
    m.check("left_detail", "A2's copy", expected, page_status(m, url))


def check_api_left_list(m):
    response = api_client(m).get("/api/v1/pupils/left/")
    if m.user is None:
        m.check("api-left-pupil-list", "anonymous", 401, response.status_code)
        return
    ids = {row["id"] for row in response.json()["results"]}
    m.check("api-left-pupil-list", "lists A2's copy", m.user in SEES_A2_COPY, m.world.left_copy.pk in ids)


def check_api_left_detail(m):
    response = api_client(m).get(f"/api/v1/pupils/left/{m.world.left_copy.pk}/")
    expected = 401 if m.user is None else (200 if m.user in SEES_A2_COPY else 404)
    m.check("api-left-pupil-detail", "A2's copy", expected, response.status_code)


LEFT_ENDPOINTS = {
    "transfers:left_list": check_left_list,
    "transfers:left_detail": check_left_detail,
    "transfers_api:api-left-pupil-list": check_api_left_list,
    "transfers_api:api-left-pupil-detail": check_api_left_detail,
}
