"""The API's throttle: one class (REST_FRAMEWORK's DEFAULT_THROTTLE_CLASSES) for every view.

Each request falls in one scope, whose rate is ``settings.API_THROTTLE_RATES[scope]`` ("120/min"),
read at each request (DRF's SimpleRateThrottle binds its rates at import, which settings
overrides in tests would not reach):

- ``login``: the token endpoint, counted per client address (the view says ``throttle_scope``);
- ``download`` (PDFs, files) and ``export`` (spreadsheets): the views say so, with
  ``throttle_scope = "…"`` for the whole view or ``throttle_scopes = {"action": "…"}`` for the
  extra actions of a ViewSet;
- otherwise from the action: ``retrieve`` → ``detail``; ``list`` with a search or filter
  parameter (anything but ``page``, ``page_size`` and ``format``) → ``search``; everything else
  ``default`` (writes, plain lists and their pages, a job's progress).

Other scopes are counted per user. The counts live in the cache (Redis, shared by every web
process): per scope, user and window of the rate's period, one counter incremented atomically.
A window's counter alone would let twice the rate through across a window's boundary (all of it at
the end of one minute, all again at the start of the next): the previous window's count is taken
in proportion of what of it is still within one period (a sliding window), so that a scraper
reading 200 records in 6 s is stopped wherever the minute turns. A refused request is not counted,
so a client that waits ``Retry-After`` seconds gets through. If the cache cannot be reached, the
request goes through (logged): Redis being away must not stop a registrar's work.
"""

import logging
import math
import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from redis.exceptions import RedisError
from rest_framework.mixins import ListModelMixin, RetrieveModelMixin
from rest_framework.throttling import BaseThrottle

# Imported by DRF while it defines APIView (DEFAULT_THROTTLE_CLASSES): nothing here may import
# rest_framework.views or .generics, nor the models (client_ip is imported where it is used).

logger = logging.getLogger(__name__)

SCOPES = ("login", "search", "detail", "download", "export", "default")
# Query parameters that do not narrow a list: its page, and the format of the answer.
NOT_SEARCH = frozenset({"page", "page_size", "format"})
PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60,
           "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """"120/min" → (120, 60): how many requests per how many seconds."""
    number, _, period = rate.strip().partition("/")
    if not (number.isascii() and number.isdigit() and int(number) > 0 and period in PERIODS):
        raise ImproperlyConfigured(f"A throttle rate is a number of requests per s, min, hour or day (120/min), not {rate!r}.")
    return int(number), PERIODS[period]


def scope_for(request, view) -> str:
    """The scope of a request: what the view declares, else what its action does."""
    action = getattr(view, "action", None)
    scope = (getattr(view, "throttle_scopes", None) or {}).get(action) or getattr(view, "throttle_scope", None)
    if scope is None:
        if action is None and not hasattr(view, "action_map") and request.method in ("GET", "HEAD"):
            # A generic view, not a ViewSet: a ListAPIView lists, a RetrieveAPIView reads one.
            action = "list" if isinstance(view, ListModelMixin) else "retrieve" if isinstance(view, RetrieveModelMixin) else None
        if action == "retrieve":
            scope = "detail"
        elif action == "list" and set(request.query_params) - NOT_SEARCH:
            scope = "search"
        else:
            scope = "default"
    if scope not in SCOPES:
        raise ImproperlyConfigured(f"{type(view).__name__} names the throttle scope {scope!r}; the scopes are {SCOPES}.")
    return scope


def rate_for(scope: str) -> tuple[int, int]:
    rates = settings.API_THROTTLE_RATES
    if scope not in rates:
        raise ImproperlyConfigured(f"settings.API_THROTTLE_RATES has no rate for the scope {scope!r}.")
    return parse_rate(rates[scope])


def seconds_until_room(limit: int, period: int, elapsed: float, previous: int, current: int) -> float:
    """How long until one more request fits, given the counts of the previous window and of this
    one (``elapsed`` seconds into it): the estimate only falls while nobody asks."""
    if current + 1 <= limit:
        # The previous window's share must fade: previous × (1 − t/period) + current + 1 ≤ limit.
        return max(period * (1 - (limit - current - 1) / previous) - elapsed, 0) if previous else 0
    # This window is full: in the next one its count is the previous window's share.
    return period - elapsed + max(period * (1 - (limit - 1) / current), 0)


def throttled_message(wait: float | None) -> str:
    if wait:
        return f"请求过于频繁，请 {math.ceil(wait)} 秒后再试。"
    return "请求过于频繁，请稍后再试。"


class ScopedThrottle(BaseThrottle):
    """The scope's rate per user (per client address for ``login``, and for the anonymous)."""

    def allow_request(self, request, view) -> bool:
        from xueji.accounts.audit import client_ip

        self.seconds = None
        scope = scope_for(request, view)
        limit, period = rate_for(scope)
        user = getattr(request, "user", None)
        if scope == "login" or not getattr(user, "is_authenticated", False):
            ident = f"address:{client_ip(request) or 'unknown'}"
        else:
            ident = f"user:{user.pk}"
        window, elapsed = divmod(time.time(), period)
        key = f"throttle:{scope}:{ident}:{int(window)}"
        try:
            # Kept for two periods: read as the previous window during the next one.
            cache.add(key, 0, timeout=2 * period)
            current = cache.incr(key)
            previous = cache.get(f"throttle:{scope}:{ident}:{int(window) - 1}", 0)
            if previous * (1 - elapsed / period) + current <= limit:
                return True
            cache.decr(key)  # a refused request is not counted
            if cache.add(f"throttle-logged:{scope}:{ident}:{int(window)}", 1, timeout=period):
                logger.warning("API throttled: %s in scope %s (%s)", ident, scope, settings.API_THROTTLE_RATES[scope])
        except (RedisError, OSError, ValueError):
            # ValueError: the counter was evicted between add and incr.
            logger.warning("API throttle: the cache cannot be reached; request let through", exc_info=True)
            return True
        self.seconds = max(seconds_until_room(limit, period, elapsed, previous, current - 1), 1)
        return False

    def wait(self) -> float | None:
        return self.seconds
