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


# --- one canonical address ----------------------------------------------------


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ('"victim"@example.org', "without quotation marks"),
        ('"victim@example.org"@example.org', "without quotation marks"),
        ("victim@[127.0.0.1]", "not an IP address"),
        ("victim@[IPv6:::1]", "not an IP address"),
    ],
)
def test_quoted_local_parts_and_address_literals_are_refused(subscribe, pacnet, address, message):
    response = subscribe(series=[pacnet.pk], email=address)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not SubscriptionRequest.objects.exists()
    assert not mail.outbox


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Victim@Example.ORG", "victim@example.org"),
        ("victim@ｅｘａｍｐｌｅ.org", "victim@example.org"),  # full-width letters
        ("ana@BÜCHER.example", "ana@xn--bcher-kva.example"),
        ("ana@bücher.example", "ana@xn--bcher-kva.example"),
        ("ana@xn--bcher-kva.example", "ana@xn--bcher-kva.example"),
        ("ana@münchen.DE", "ana@xn--mnchen-3ya.de"),
    ],
)
def test_every_spelling_of_an_address_is_stored_in_one_canonical_form(
    subscribe, pacnet, typed, stored
):
    assert subscribe(series=[pacnet.pk], email=typed).status_code == 302
    assert SubscriptionRequest.objects.get().email == stored
    assert mail.outbox[0].to == [stored]


def test_spellings_of_one_address_share_one_row_and_one_limit(subscribe, pacnet, settings):
    settings.SUBSCRIPTIONS_RATE_LIMITS = {"email": (2, 3600)}
    assert subscribe(series=[pacnet.pk], email="victim@example.org").status_code == 302
    assert subscribe(series=[pacnet.pk], email="VICTIM@ｅxample.org").status_code == 302
    assert subscribe(series=[pacnet.pk], email=" Victim@EXAMPLE.org ").status_code == 429
    assert SubscriptionRequest.objects.count() == 1


# --- confirmation needs a person's click ---------------------------------------


def test_opening_the_confirmation_link_changes_nothing_and_shows_one_button(
    client, subscribe, pacnet
):
    from tests.subscriptions.conftest import link_from

    subscribe(series=[pacnet.pk])
    link = link_from(mail.outbox[0], "confirm")
    for _scanner_visit in range(3):
        page = client.get(link)
        assert page.status_code == 200
        assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.PENDING
    html = page.content.decode()
    assert html.count('method="post"') == 1
    assert "Confirm my subscription</button>" in html
    assert "no-store" in page["Cache-Control"]
    assert client.head(link).status_code == 200
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.PENDING
    done = client.post(link)
    assert "Subscription confirmed" in done.content.decode()
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.CONFIRMED


def test_the_confirmation_button_needs_the_csrf_token(subscribe, pacnet):
    from django.test import Client

    from tests.subscriptions.conftest import link_from

    subscribe(series=[pacnet.pk])
    link = link_from(mail.outbox[0], "confirm")
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(link).status_code == 403
    page = browser.get(link)
    token = page.cookies["csrftoken"].value
    assert browser.post(link, {"csrfmiddlewaretoken": token}).status_code == 200
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.CONFIRMED


def test_one_click_unsubscribe_still_works_with_a_bare_post(subscribe, pacnet):
    from django.test import Client

    from tests.subscriptions.conftest import link_from

    subscribe(series=[pacnet.pk])
    one_click = link_from(mail.outbox[0], "unsubscribe") + "one-click/"
    response = Client(enforce_csrf_checks=True).post(one_click, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.UNSUBSCRIBED
