"""The cache is Redis and outlives a test (the API's throttle counts there): each test starts with
none of our keys. Registered for every test by tests/conftest.py (``pytest_plugins``)."""

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError as RedisConnectionError


def cache_clear() -> None:
    """Delete the keys under the cache's prefix only: the Celery queue shares the Redis database,
    and cache.clear() would FLUSHDB it. Nothing to delete when Redis cannot be reached."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        cache.clear()
        return
    client = cache._cache.get_client(write=True)
    prefix = cache.key_prefix.replace("\\", "\\\\").replace("*", "\\*").replace("?", "\\?").replace("[", "\\[")
    try:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    except RedisConnectionError:
        pass


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache_clear()
    yield
    cache_clear()
