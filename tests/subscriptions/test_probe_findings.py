"""Subscription findings of the outside probe: rate limits that fail closed,
one canonical address, and confirmation that needs a person's click."""

import logging
import socket

import pytest
from django.core import mail

from subscriptions.models import SubscriptionRequest

pytestmark = pytest.mark.django_db


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


UNREACHABLE_REDIS = {
    "default": {
        "BACKEND": "pacforum.cache.FailSafeRedisCache",
        "LOCATION": "redis://127.0.0.1:{port}/6",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}
DISABLED_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}


@pytest.fixture(params=["redis-unreachable", "cache-disabled"])
def broken_cache(request, settings):
    if request.param == "redis-unreachable":
        caches = {"default": dict(UNREACHABLE_REDIS["default"])}
        caches["default"]["LOCATION"] = caches["default"]["LOCATION"].format(port=closed_port())
    else:
        caches = DISABLED_CACHE
    settings.CACHES = caches
    return request.param


def test_the_per_address_limit_holds_when_the_cache_cannot_count(
    broken_cache, subscribe, pacnet, settings, caplog
):
    settings.SUBSCRIPTIONS_RATE_LIMITS = {"email": (2, 3600)}
    with caplog.at_level(logging.WARNING, logger="subscriptions.ratelimit"):
        assert subscribe(series=[pacnet.pk]).status_code == 302
        assert subscribe(series=[pacnet.pk]).status_code == 302
        assert subscribe(series=[pacnet.pk]).status_code == 429
    assert len(mail.outbox) == 2
    assert any("counted in the database" in record.getMessage() for record in caplog.records), (
        "the fallback is not said in the log"
    )


def test_the_per_visitor_limit_holds_when_the_cache_cannot_count(
    broken_cache, subscribe, pacnet, settings
):
    settings.SUBSCRIPTIONS_RATE_LIMITS = {"ip": (3, 3600)}
    for number in range(3):
        assert subscribe(series=[pacnet.pk], email=f"r{number}@example.com").status_code == 302
    assert subscribe(series=[pacnet.pk], email="r9@example.com").status_code == 429
    assert SubscriptionRequest.objects.count() == 3
