"""The scoping checks of 注销学籍 (tests/archives/scoping_checks.py) run for every named user here,
until they join the project's matrix; and every URL of the app has a check."""

import pytest
from django.urls import URLPattern, URLResolver

from archives import cancellation_api_urls, cancellation_urls
from tests.archives.scoping_checks import CANCELLATION_ENDPOINTS
from tests.factories import PASSWORD
from tests.xueji.test_scoping_matrix import USERS, Matrix

pytestmark = pytest.mark.urls("archives.cancellation_test_urls")


def _names(patterns) -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= _names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_cancellation_url_has_a_scoping_check():
    names = _names(cancellation_urls.urlpatterns) | _names(cancellation_api_urls.urlpatterns)
    assert names == set(CANCELLATION_ENDPOINTS)


@pytest.mark.parametrize("user", USERS)
def test_cancellation_scoping(world, client, user):
    if user:
        assert client.post("/login/", {"username": user, "password": PASSWORD}).status_code == 302
    matrix = Matrix(client, world, user)
    for check in CANCELLATION_ENDPOINTS.values():
        check(matrix)
    assert matrix.cells >= 10
    assert not matrix.failures, "\n".join(matrix.failures)
