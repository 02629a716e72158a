"""What every scoping-matrix check uses (tests/test_scoping_matrix.py and the apps'
tests/*/scoping_checks.py): a page's status as the matrix's user sees it, an API client signed in
as that user, and the expected answer for a set of users allowed."""

import json

from django.test import Client

from tests.factories import PASSWORD


def page_status(matrix, url: str, method: str = "get", data=None) -> int | str:
    """The status code, or "login" when an anonymous user is sent to the login page."""
    response = getattr(matrix.client, method)(url, data or {})
    if response.status_code == 302 and response["Location"].startswith("/login/"):
        return "login"
    return response.status_code


def api_client(matrix) -> Client:
    client = Client()
    if matrix.user:
        token = client.post("/api/v1/auth/token/", {"username": matrix.user, "password": PASSWORD}).json()["token"]
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {token}"
    return client


def post_json(matrix, url: str, data: dict):
    return api_client(matrix).post(url, json.dumps(data), content_type="application/json")


def expected(matrix, allowed: set, ok=200, elsewhere=403):
    """A page's answer: "login" for the anonymous, ``ok`` for the allowed, ``elsewhere`` for the rest."""
    return "login" if matrix.user is None else (ok if matrix.user in allowed else elsewhere)


def check_withdraw(m, name: str, url: str, sees: set, starter: str) -> None:
    """POST …/withdraw/ of a request: refused (400) for those who see it but did not start it, 404
    for the rest, 401 for the anonymous. Its starter is not asked: that would withdraw it."""
    if m.user == starter:
        return
    response = api_client(m).post(url)
    expected = 401 if m.user is None else (400 if m.user in sees else 404)
    m.check(name, "another's request", expected, response.status_code)


def check_withdraw_of_another_kind(m, name: str, url: str) -> None:
    """POST …/withdraw/ of a request of another kind on a kind's endpoint: there is no such one."""
    response = api_client(m).post(url)
    m.check(name, "another kind's request", 401 if m.user is None else 404, response.status_code)
