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
# Where a value's listing is kept (`FailSafeRedisCache.set_with_listed`).
LISTING_SUFFIX = ":listed"


# Reads a value and, from the plain-text listing stored beside it, the values
# of the keys it lists, in one round trip. Returns false (no value), {value}
# (no listing), or {value, the listed names as given, each listed value}.
# The listing is "name\n...\n\nfull key\n...": the names the caller used,
# then the keys Redis holds them under.
_GET_WITH_LISTED = """
local value = redis.call('GET', KEYS[1])
if not value then return false end
local listing = redis.call('GET', KEYS[2])
if not listing then return {value} end
local split = string.find(listing, '\\n\\n', 1, true)
if not split then return {value} end
local result = {value, string.sub(listing, 1, split - 1)}
local keys = {}
for key in string.gmatch(string.sub(listing, split + 2), '[^\\n]+') do
  keys[#keys + 1] = key
end
if #keys > 0 then
  local values = redis.call('MGET', unpack(keys))
  for i = 1, #keys do result[#result + 1] = values[i] end
end
return result
"""


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
            _warn(method_name, error)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    wrapper.__name__ = method_name
    wrapper.__doc__ = method.__doc__
    return wrapper


def _warn(method_name, error):
    logger.warning(
        "cache unavailable, %s skipped",
        method_name,
        extra={"event": "cache_error", "error": type(error).__name__},
    )


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
        self._scripts = {}

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

    def set_with_listed(self, key, value, timeout, listed) -> None:
        """`set(key, value, timeout)`, and beside it, with the same lifetime and
        in the same transaction, the list of cache keys `listed` as plain text:
        `get_with_listed` then reads the value and theirs in one round trip."""
        made = self.make_and_validate_key(key)
        listing = "\n".join(listed) + "\n\n" + "\n".join(map(self.make_and_validate_key, listed))
        timeout = self.get_backend_timeout(timeout)
        try:
            if timeout == 0:
                self._cache.delete_many([made, self.make_and_validate_key(key + LISTING_SUFFIX)])
                return
            client = self._cache.get_client(made, write=True)
            with client.pipeline(transaction=True) as pipeline:
                pipeline.set(made, self._cache._serializer.dumps(value), ex=timeout)
                pipeline.set(self.make_and_validate_key(key + LISTING_SUFFIX), listing, ex=timeout)
                pipeline.execute()
        except RedisError as error:
            _warn("set_with_listed", error)

    def get_with_listed(self, key) -> tuple[object | None, dict | None]:
        """(the value under `key` or None, {listed key: its value or None}) in
        one round trip (a Lua script, run by its digest), the listing being the
        one `set_with_listed` stored. The dict is None when the value has no
        listing (stored by `set`, or the listing was evicted): read the keys
        yourself. An unreachable cache reads as a miss."""
        made = self.make_and_validate_key(key)
        try:
            client = self._cache.get_client(made)
            script = self._scripts.get(client)
            if script is None:
                script = self._scripts[client] = client.register_script(_GET_WITH_LISTED)
            reply = script(keys=[made, self.make_and_validate_key(key + LISTING_SUFFIX)])
        except RedisError as error:
            _warn("get_with_listed", error)
            return None, None
        if not reply:
            return None, None
        loads = self._cache._serializer.loads
        value = loads(reply[0])
        if len(reply) < 2:
            return value, None
        names = reply[1].decode().split("\n") if reply[1] else []
        if len(names) != len(reply) - 2:
            return value, None
        return value, {
            name: None if raw is None else loads(raw)
            for name, raw in zip(names, reply[2:], strict=True)
        }

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
