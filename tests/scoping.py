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
