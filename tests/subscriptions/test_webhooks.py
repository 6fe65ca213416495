"""Email services' webhooks (anymail) with a good and a bad signature."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from django.utils import timezone

from subscriptions import verp
from subscriptions.models import Delivery

from .edition_helpers import confirmed, live_piece, started_edition

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.subscriptions.webhook_urls")]
URL = "/anymail/mailgun/tracking/"
AUTH = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"anymail:test-webhook-secret").decode()}


@pytest.fixture(autouse=True)
def mailgun_account(settings):
    """anymail's settings as a Mailgun account gives them (test keys only)."""
    settings.ANYMAIL = {
        "MAILGUN_WEBHOOK_SIGNING_KEY": "test-signing-key",
        "WEBHOOK_SECRET": "anymail:test-webhook-secret",
    }


@pytest.fixture
def row():
    piece = live_piece()
    confirmed(piece.series, 2)
    edition = started_edition(piece)
    edition.deliveries.update(state=Delivery.State.SENT, sent_at=timezone.now())
    return edition.deliveries.select_related("subscription").first()


def mailgun_event(event, *, recipient, key="test-signing-key", delivery=None, **extra):
    timestamp, token = str(int(time.time())), "a" * 50
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    data = {
        "event": event,
        "timestamp": time.time(),
        "recipient": recipient,
        "user-variables": {"delivery": verp.token(delivery.pk)} if delivery else {},
        "message": {"headers": {"message-id": "abc@mg.example.org"}},
        **extra,
    }
    return json.dumps(
        {
            "signature": {"timestamp": timestamp, "token": token, "signature": signature},
            "event-data": data,
        }
    )


def post(client, body, **headers):
    return client.post(URL, body, content_type="application/json", **{**AUTH, **headers})


def test_a_signed_permanent_failure_bounces_the_delivery(client, row):
    body = mailgun_event(
        "failed",
        recipient=row.subscription.email,
        delivery=row,
        severity="permanent",
        reason="bounce",
        **{"delivery-status": {"code": 550, "description": "No such user", "message": "5.1.1"}},
    )
    assert post(client, body).status_code == 200
    row.refresh_from_db()
    assert row.state == Delivery.State.BOUNCED
    row.subscription.refresh_from_db()
    assert row.subscription.hard_bounces == 1


def test_a_complaint_makes_the_subscriber_undeliverable(client, row):
    assert (
        post(
            client, mailgun_event("complained", recipient=row.subscription.email, delivery=row)
        ).status_code
        == 200
    )
    row.refresh_from_db()
    row.subscription.refresh_from_db()
    assert row.state == Delivery.State.COMPLAINED
    assert row.subscription.undeliverable_at is not None


def test_an_unsubscribe_event_unsubscribes(client, row):
    assert (
        post(client, mailgun_event("unsubscribed", recipient=row.subscription.email)).status_code
        == 200
    )
    row.subscription.refresh_from_db()
    assert row.subscription.status == "unsubscribed"


def test_a_bad_signature_is_refused_and_changes_nothing(client, row):
    body = mailgun_event("complained", recipient=row.subscription.email, delivery=row, key="wrong")
    assert post(client, body).status_code == 400
    row.refresh_from_db()
    assert row.state == Delivery.State.SENT
    row.subscription.refresh_from_db()
    assert row.subscription.undeliverable_at is None


def test_a_missing_shared_secret_is_refused(client, row):
    body = mailgun_event("complained", recipient=row.subscription.email, delivery=row)
    response = client.post(URL, body, content_type="application/json")
    assert response.status_code in (400, 401, 403)
    row.refresh_from_db()
    assert row.state == Delivery.State.SENT


def test_only_the_configured_services_webhook_is_routed():
    from pacforum.urls import email_service_webhooks

    assert email_service_webhooks("subscriptions.mail.SMTPBackend") == []
    assert email_service_webhooks("django.core.mail.backends.smtp.EmailBackend") == []
    (mailgun,) = email_service_webhooks("anymail.backends.mailgun.EmailBackend")
    assert [str(p.pattern) for p in mailgun.url_patterns] == ["mailgun/tracking/"]
    (ses,) = email_service_webhooks("anymail.backends.amazon_ses.EmailBackend")
    assert [str(p.pattern) for p in ses.url_patterns] == ["amazon_ses/tracking/"]
