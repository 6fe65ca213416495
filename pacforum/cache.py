"""A Redis cache that degrades to "no cache" instead of failing the request.

A cache is an optimisation: when Redis is down or slow, every read is a miss
and every write is dropped (with a warning in the log), so pages are built from
the database as if nothing were cached. `/readyz` still reports the outage.
"""

import json
import logging

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger("pacforum.cache")
# Where a value's listing is kept (`FailSafeRedisCache.set_with_listed`).
LISTING_SUFFIX = ":listed"


# Reads a value and checks, in the same round trip, whether the keys listed
# beside it still hold the integers they held when it was stored: Redis does
# the comparing, and a reader is sent the names and values of the keys that
# changed only, not every listed value to decode. Returns false (no value),
# {value} (no listing), or {value, the changed names ("\n"-separated, "" when
# none changed), the value of each (false when gone)}. The listing is JSON
# (decoded in C by Redis' cjson, about a third of the script's time saved
# over splitting text in Lua): {"names": the names the caller used, "keys":
# the keys Redis holds them under, "held": their values when stored}.
_GET_WITH_LISTED = """
local value = redis.call('GET', KEYS[1])
if not value then return false end
local raw = redis.call('GET', KEYS[2])
if not raw then return {value} end
local ok, listing = pcall(cjson.decode, raw)
if not ok or type(listing) ~= 'table' then return {value} end
local names, keys, held = listing['names'], listing['keys'], listing['held']
if type(names) ~= 'table' or type(keys) ~= 'table' or type(held) ~= 'table'
  or #names ~= #keys or #keys ~= #held then return {value} end
if #keys == 0 then return {value, ''} end
local current = redis.call('MGET', unpack(keys))
local changed, values = {}, {}
for i = 1, #keys do
  if current[i] ~= held[i] then
    changed[#changed + 1] = names[i]
    values[#values + 1] = current[i]
  end
end
local result = {value, table.concat(changed, '\\n')}
for i = 1, #values do result[#result + 1] = values[i] end
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

    def set_with_listed(self, key, value, timeout, listed: dict[str, int]) -> None:
        """`set(key, value, timeout)`, and beside it, with the same lifetime and
        in the same transaction, the cache keys in `listed` with the integers
        they hold now, as JSON: `get_with_listed` then reads the value
        and learns which of them changed in one round trip. Integers only:
        Redis holds them as their digits, so the check runs inside Redis."""
        if not all(type(held) is int for held in listed.values()):
            raise TypeError("set_with_listed lists keys holding integers only")
        made = self.make_and_validate_key(key)
        listing = json.dumps(
            {
                "names": list(listed),
                "keys": [self.make_and_validate_key(name) for name in listed],
                "held": [str(held) for held in listed.values()],
            }
        )
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
        """(the value under `key` or None, {listed key: its value now, or None
        when it is gone} for the listed keys whose value changed since
        `set_with_listed`, empty when none did) in one round trip (a Lua
        script, run by its digest). The dict is None when the value has no
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
