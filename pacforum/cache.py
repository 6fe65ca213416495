"""A Redis cache that degrades to "no cache" instead of failing the request.

A cache is an optimisation: when Redis is down or slow, every read is a miss
and every write is dropped (with a warning in the log), so pages are built from
the database as if nothing were cached. `/readyz` still reports the outage.
"""

import logging

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger("pacforum.cache")


def cache_is_off() -> bool:
    """CACHE_DISABLED: the default cache is Django's dummy one, which keeps
    nothing (`django.core.cache.cache` is a proxy: test the cache itself)."""
    return isinstance(caches["default"], DummyCache)


def _fail_safe(method_name, fallback):
    method = getattr(RedisCache, method_name)

    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RedisError as error:
            logger.warning(
                "cache unavailable, %s skipped",
                method_name,
                extra={"event": "cache_error", "error": type(error).__name__},
            )
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    wrapper.__name__ = method_name
    wrapper.__doc__ = method.__doc__
    return wrapper


def _default(key, default=None, version=None):
    return default


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's Redis client makes a new `redis.Redis` for every cache call,
    and each one builds its table of ~160 response callbacks: about 0.4 ms of
    a page served from the cache, which makes two calls (cProfile). A
    `redis.Redis` is safe to share between threads (each command takes a
    connection from its pool), so one per connection pool is kept."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients[pool] = self._client(connection_pool=pool)
        return client


class FailSafeRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    add = _fail_safe("add", False)
    get = _fail_safe("get", _default)
    set = _fail_safe("set", None)
    touch = _fail_safe("touch", False)
    delete = _fail_safe("delete", False)
    get_many = _fail_safe("get_many", lambda *args, **kwargs: {})
    has_key = _fail_safe("has_key", False)
    set_many = _fail_safe("set_many", lambda data, *args, **kwargs: list(data))
    delete_many = _fail_safe("delete_many", None)
    clear = _fail_safe("clear", False)

    def incr(self, key, delta=1, version=None):
        # incr() promises an error for a missing key; an outage is reported the same way.
        try:
            return super().incr(key, delta, version)
        except RedisError as error:
            logger.warning(
                "cache unavailable, incr skipped",
                extra={"event": "cache_error", "error": type(error).__name__},
            )
            raise ValueError(f"Key {key!r} not found (cache unavailable).") from error
