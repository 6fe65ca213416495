"""Fixed-window counters for the subscription form.

Counted in Django's cache (local memory, or Redis when REDIS_URL is set).
When the cache cannot keep a counter (Redis unreachable, `CACHE_DISABLED=true`)
the limits still apply: the attempt is counted in the database instead, and a
warning says so in the log. A limit never fails open.
"""

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .models import RateLimitWindow

logger = logging.getLogger(__name__)

# (attempts, seconds) per visitor IP address and per email address.
DEFAULT_LIMITS = {"ip": (20, 3600), "email": (3, 3600)}


def limits():
    return {**DEFAULT_LIMITS, **getattr(settings, "SUBSCRIPTIONS_RATE_LIMITS", {})}


def _key(kind, value):
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()
    return f"subscriptions:rate:{kind}:{digest}"


def _count_in_cache(key, window):
    """This attempt's number in the window, or None when the cache cannot count."""
    if cache.add(key, 1, timeout=window):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:
            # Expired between add() and incr() (a fresh window), or the cache is down.
            if not cache.add(key, 1, timeout=window):
                return None
            count = 1
    # A cache that does not keep what it is given (a dummy cache, or Redis
    # dropping writes while it is down) cannot count.
    if cache.get(key) is None:
        return None
    return count


@transaction.atomic
def _count_in_database(key, window):
    now = timezone.now()
    longest = max(seconds for _attempts, seconds in limits().values())
    RateLimitWindow.objects.filter(started_at__lt=now - timedelta(seconds=longest)).delete()
    row, _created = RateLimitWindow.objects.select_for_update().get_or_create(
        key=key, defaults={"started_at": now}
    )
    if row.started_at <= now - timedelta(seconds=window):
        row.started_at, row.attempts = now, 0
    row.attempts += 1
    row.save()
    return row.attempts


def over_limit(kind, value):
    """Count one attempt for `value`; True once it exceeds the limit for `kind`."""
    attempts, window = limits()[kind]
    key = _key(kind, value)
    count = _count_in_cache(key, window)
    if count is None:
        logger.warning(
            "subscription rate limit counted in the database: the cache cannot keep counters",
            extra={"event": "rate_limit_fallback", "kind": kind},
        )
        count = _count_in_database(key, window)
    return count > attempts
