"""Fixed-window counters in Django's cache (local memory, or Redis when REDIS_URL is set)."""

import hashlib

from django.conf import settings
from django.core.cache import cache

# (attempts, seconds) per visitor IP address and per email address.
DEFAULT_LIMITS = {"ip": (20, 3600), "email": (3, 3600)}


def limits():
    return {**DEFAULT_LIMITS, **getattr(settings, "SUBSCRIPTIONS_RATE_LIMITS", {})}


def _key(kind, value):
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"subscriptions:rate:{kind}:{digest}"


def over_limit(kind, value):
    """Count one attempt for `value`; True once it exceeds the limit for `kind`."""
    attempts, window = limits()[kind]
    key = _key(kind, value)
    if cache.add(key, 1, timeout=window):
        return attempts < 1
    try:
        return cache.incr(key) > attempts
    except ValueError:
        # The key expired between add() and incr(): this is a fresh window.
        cache.add(key, 1, timeout=window)
        return attempts < 1
