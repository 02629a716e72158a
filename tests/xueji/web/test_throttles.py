"""The API's throttle (xueji/web/throttles.py): every API view is throttled, in a scope that
depends on what it does, at rates read from settings; beyond a rate a 429 in Chinese with a
Retry-After. Time is moved with time-machine where a test needs it: nothing here measures speed."""

import re
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, URLResolver, get_resolver
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from tests.fixtures_cache import _fresh_cache  # noqa: F401  (autouse; also registered by tests/conftest.py)
from xueji.web import throttles
from xueji.web.throttles import ScopedThrottle, parse_rate, scope_for

MESSAGE = re.compile(r"^请求过于频繁，请 (\d+) 秒后再试。$")
CHINA = timezone(timedelta(hours=8))


def rates(settings, **changed):
    settings.API_THROTTLE_RATES = {**settings.API_THROTTLE_RATES, **changed}


def assert_throttled(response) -> int:
    """A 429 with the Chinese message and a Retry-After of the seconds it names; returns them."""
    assert response.status_code == 429, response.content[:300]
    body = response.json()
    match = MESSAGE.match(body["detail"])
    assert match, body
    assert body["code"] == "throttled"
    assert response["Retry-After"] == match.group(1)
    return int(match.group(1))


# --- Through the API ----------------------------------------------------------------------------


def test_detail_reads_beyond_the_rate_answer_429_in_chinese_with_retry_after(world, api_as, settings):
    rates(settings, detail="3/min")
    client = api_as("registrar_a1")
    url = f"/api/v1/pupils/{world.pupils['a1'].pk}/"
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 200]
    wait = assert_throttled(client.get(url))
    assert 1 <= wait <= 120
    # The count is the user's, not the token's: signing in again does not start afresh.
    assert_throttled(api_as("registrar_a1").get(url))
    # Another scope of the same user is not spent.
    assert client.get("/api/v1/pupils/").status_code == 200


def test_a_second_user_is_not_throttled_by_the_first_users_reads(world, api_as, settings):
    rates(settings, detail="2/min")
    first, second = api_as("registrar_a1"), api_as("headmaster_a1")
    url = f"/api/v1/pupils/{world.pupils['a1'].pk}/"
    assert [first.get(url).status_code for _ in range(2)] == [200, 200]
    assert_throttled(first.get(url))
    assert [second.get(url).status_code for _ in range(2)] == [200, 200]


def test_lists_with_search_or_filter_parameters_count_in_the_search_scope(world, api_as, settings):
    rates(settings, search="2/min")
    client = api_as("officer_a")
    assert client.get("/api/v1/pupils/", {"search": "张"}).status_code == 200
    assert client.get("/api/v1/pupils/", {"grade": "3"}).status_code == 200
    assert_throttled(client.get("/api/v1/pupils/", {"search": "李"}))
    assert_throttled(client.get("/api/v1/requests/", {"status": "pending"}))  # any list's filters
    # The plain list and its pages, and a record, are not searches.
    assert client.get("/api/v1/pupils/").status_code == 200
    assert client.get("/api/v1/pupils/", {"page": 1}).status_code == 200
    assert client.get(f"/api/v1/pupils/{world.pupils['a1'].pk}/").status_code == 200


def test_downloads_count_in_the_download_scope(world, api_as, settings):
    rates(settings, download="1/min")
    client = api_as("registrar_a1")
    assert client.get(f"/api/v1/pupils/{world.pupils['a1'].pk}/card.pdf").status_code == 200
    assert_throttled(client.get(f"/api/v1/pupils/{world.pupils['a1_other'].pk}/card.pdf"))
    assert_throttled(client.get(f"/api/v1/classes/{world.classes['a1_3_1'].pk}/cards.pdf"))
    assert client.get(f"/api/v1/pupils/{world.pupils['a1'].pk}/").status_code == 200
    assert client.get("/api/v1/statistics/export.xlsx").status_code == 202  # an export (its job), not a download


def test_exports_count_in_the_export_scope(world, api_as, settings):
    rates(settings, export="1/min")
    client = api_as("registrar_a1")
    assert client.get("/api/v1/statistics/export.xlsx").status_code == 202  # its job
    assert_throttled(client.get("/api/v1/statistics/export.xlsx"))
    assert client.get("/api/v1/statistics/").status_code == 200


def test_the_token_endpoint_counts_per_client_address(db, settings):
    rates(settings, login="3/min")
    client = APIClient()

    def attempt(address):
        return client.post("/api/v1/auth/token/", {"username": "nobody", "password": "wrong-password-1"},
                           format="json", REMOTE_ADDR=address)

    assert [attempt("10.1.2.3").status_code for _ in range(3)] == [400, 400, 400]
    assert_throttled(attempt("10.1.2.3"))
    assert attempt("10.1.2.4").status_code == 400


def test_rates_are_read_from_settings_at_each_request(world, api_as, settings):
    client = api_as("registrar_a1")
    url = f"/api/v1/pupils/{world.pupils['a1'].pk}/"
    rates(settings, detail="1/min")
    assert client.get(url).status_code == 200
    assert_throttled(client.get(url))
    rates(settings, detail="5/min")
    assert client.get(url).status_code == 200


# --- Which scope: every API view is throttled ---------------------------------------------------


def api_views() -> dict[str, object]:
    """Every DRF view of the URLconf by its namespaced name: name → the as_view() callback."""
    found = {}

    def walk(resolver, namespace=None):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and issubclass(getattr(pattern.callback, "cls", object), APIView):
                found[f"{namespace}:{pattern.name}" if namespace else pattern.name] = pattern.callback

    walk(get_resolver())
    return found


def view_scope(callback, method: str = "get", query: dict | None = None) -> str:
    """The scope of a request to the view, as DRF would set the view up for it."""
    view = callback.cls(**callback.initkwargs)
    actions = getattr(callback, "actions", None)
    if actions is not None:  # a ViewSet: the route's action
        view.action = actions.get(method)
    request = Request(getattr(APIRequestFactory(), method)("/", query or {}))
    return scope_for(request, view)


API_VIEWS = api_views()


@pytest.mark.parametrize("name", sorted(API_VIEWS))
def test_every_api_view_is_throttled_in_a_known_scope(name):
    callback = API_VIEWS[name]
    view = callback.cls(**callback.initkwargs)
    assert any(isinstance(throttle, ScopedThrottle) for throttle in view.get_throttles()), name
    for action in getattr(callback.cls, "throttle_scopes", {}):
        assert callable(getattr(callback.cls, action, None)), f"{name}: throttle_scopes names no action {action!r}"
    for method in (getattr(callback, "actions", None) or {"get": None, "post": None}):
        assert view_scope(callback, method) in throttles.SCOPES


@pytest.mark.parametrize("name, method, query, scope", [
    ("accounts_api:api-token", "post", None, "login"),
    ("pupils_api:api-pupil-detail", "get", None, "detail"),
    ("pupils_api:api-pupil-list", "get", {"search": "张"}, "search"),
    ("pupils_api:api-pupil-list", "get", {"page": "2"}, "default"),
    ("pupils_api:api-pupil-list", "get", None, "default"),
    ("approvals_api:api-inbox", "get", {"kind": "transfer"}, "search"),  # a ListAPIView, no ViewSet
    ("approvals_api:api-request-decide", "post", None, "default"),
    ("documents_api:api-pupil-card", "get", None, "download"),
    ("documents_api:api-class-cards", "get", None, "download"),
    ("enrollment_api:api-enrolment-template", "get", None, "download"),
    ("cancellation_api:api-cancellation-form-pdf", "get", None, "download"),
    ("suspensions_api:api-suspension-form-pdf", "get", None, "download"),
    ("suspensions_api:api-resumption-form-pdf", "get", None, "download"),
    ("suspensions_api:api-deferral-form-pdf", "get", None, "download"),
    ("transfers_api:api-transfer-application-pdf", "get", None, "download"),
    ("transfers_api:api-transfer-letter-pdf", "get", None, "download"),
    ("transfers_api:api-transfer-lookup", "post", None, "search"),
    ("reports_api:api-monthly-report-pdf", "get", None, "download"),
    ("reports_api:api-monthly-report-xlsx", "get", None, "export"),
    ("reports_api:api-monthly-report-detail", "get", None, "detail"),
    ("reports_api:api-statistics-xlsx", "get", None, "export"),
    ("enrollment_api:api-national-export", "get", None, "export"),
    ("exports_api:api-export-file", "get", None, "download"),
    ("exports_api:api-export-detail", "get", None, "detail"),
])
def test_each_endpoint_falls_in_its_scope(name, method, query, scope):
    assert view_scope(API_VIEWS[name], method, query) == scope


# --- The counting, with the clock moved ---------------------------------------------------------


class Record(APIView):
    """Stands for a record's page: anonymous, so counted per client address."""

    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_scope = "detail"

    def get(self, request):
        return Response({})


def read(address="10.9.9.9"):
    return Record.as_view()(APIRequestFactory().get("/", REMOTE_ADDR=address))


@pytest.mark.parametrize("second", [0, 30, 57])
def test_a_scraper_reading_200_records_in_6_s_is_stopped_wherever_the_minute_turns(settings, second):
    """At the configured rate; 57 puts the minute's turn in the middle of the 6 s."""
    limit, period = parse_rate(settings.API_THROTTLE_RATES["detail"])
    assert period == 60 and limit < 200
    statuses = []
    with time_machine.travel(datetime(2026, 3, 2, 8, 0, second, tzinfo=CHINA), tick=False) as clock:
        for _ in range(200):
            statuses.append(read().status_code)
            clock.shift(0.03)
    assert statuses.count(200) <= limit + 10, statuses.count(200)
    assert statuses.count(429) >= 200 - limit - 10


def test_a_registrar_reading_a_record_every_second_for_minutes_is_never_throttled(settings):
    """At the configured rate: 100 records a minute for 3 minutes, faster than anyone reads them."""
    with time_machine.travel(datetime(2026, 3, 2, 8, 0, 40, tzinfo=CHINA), tick=False) as clock:
        for _ in range(300):
            assert read().status_code == 200
            clock.shift(0.6)


def test_retry_after_is_when_the_next_request_gets_through(settings):
    rates(settings, detail="3/min")
    with time_machine.travel(datetime(2026, 3, 2, 8, 0, 10, tzinfo=CHINA), tick=False) as clock:
        assert [read().status_code for _ in range(3)] == [200, 200, 200]
        response = read()
        assert response.status_code == 429
        wait = int(response["Retry-After"])
        clock.shift(wait / 2)
        assert read().status_code == 429  # a refused request is not counted, but the time is not up
        assert read("10.9.9.8").status_code == 200  # another address
        clock.shift(wait / 2 + 0.01)
        assert read().status_code == 200


def test_the_request_goes_through_when_the_cache_is_away(settings, monkeypatch):
    class Away:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                raise RedisConnectionError("Redis is away")
            return fail

    rates(settings, detail="1/min")
    monkeypatch.setattr(throttles, "cache", Away())
    assert [read().status_code for _ in range(3)] == [200, 200, 200]


# --- Settings -----------------------------------------------------------------------------------


def test_the_counts_are_in_the_redis_every_web_process_shares(settings):
    assert isinstance(caches["default"], RedisCache)
    assert settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL


def test_rates_come_from_the_environment(monkeypatch, settings):
    from xueji.settings import env_rate

    monkeypatch.setenv("XUEJI_THROTTLE_TEST", "5/hour")
    assert env_rate("XUEJI_THROTTLE_TEST", "1/min") == "5/hour"
    monkeypatch.delenv("XUEJI_THROTTLE_TEST")
    assert env_rate("XUEJI_THROTTLE_TEST", "1/min") == "1/min"
    for wrong in ("lots", "0/min", "10/week", "-1/s", "10"):
        monkeypatch.setenv("XUEJI_THROTTLE_TEST", wrong)
        with pytest.raises(ImproperlyConfigured):
            env_rate("XUEJI_THROTTLE_TEST", "1/min")
        with pytest.raises(ImproperlyConfigured):
            parse_rate(wrong)
    # Every scope has a rate the throttle reads.
    assert set(settings.API_THROTTLE_RATES) == set(throttles.SCOPES)
    assert parse_rate("5/hour") == (5, 3600)
