"""Postmark's and SendGrid's tracking webhooks (through anymail), posted as
each service posts them (the payload shapes of their webhook documentation),
with good and bad credentials: bounces, complaints and unsubscribes reach the
delivery rows and the subscribers; a refused post changes nothing."""

import base64
import json
import time

import pytest
from django.utils import timezone

from subscriptions import verp
from subscriptions.models import Delivery

from .edition_helpers import confirmed, live_piece, started_edition

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.urls("tests.subscriptions.webhook_urls"),
    # anymail warns on every SendGrid request that it no longer supports it officially.
    pytest.mark.filterwarnings("ignore::anymail.exceptions.AnymailNotSupportedWarning"),
]
State = Delivery.State
SECRET = "anymail:test-webhook-secret"


def basic_auth(credentials=SECRET):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(credentials.encode()).decode()}


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    """Both services authenticate their webhook posts with HTTP basic auth,
    the credentials written into the webhook URL the account is given."""
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}


@pytest.fixture
def row():
    piece = live_piece()
    confirmed(piece.series, 2)
    edition = started_edition(piece)
    edition.deliveries.update(state=State.SENT, sent_at=timezone.now())
    return edition.deliveries.select_related("subscription").first()


def refreshed(row):
    row.refresh_from_db()
    row.subscription.refresh_from_db()
    return row


# Postmark: one JSON object per post, the delivery token in "Metadata".
POSTMARK = "/anymail/postmark/tracking/"


def postmark_bounce(row, **extra):
    return {
        "RecordType": "Bounce",
        "MessageStream": "outbound",
        "ID": 4323372036854775807,
        "Type": "HardBounce",
        "TypeCode": 1,
        "Name": "Hard bounce",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "Metadata": {"delivery": verp.token(row.pk)},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, "
        "mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": row.subscription.email,
        "From": "pacnet@example.org",
        "BouncedAt": "2026-12-07T13:28:10.2735393Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "PacNet #1",
        **extra,
    }


def postmark_complaint(row):
    return postmark_bounce(
        row,
        RecordType="SpamComplaint",
        Type="SpamComplaint",
        TypeCode=512,
        Name="Spam complaint",
        Description="The subscriber explicitly marked this message as spam.",
        Details="Test spam complaint details",
        CanActivate=False,
    )


def postmark_unsubscribe(row):
    return {
        "RecordType": "SubscriptionChange",
        "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
        "ServerID": 23,
        "MessageStream": "outbound",
        "ChangedAt": "2026-12-07T13:53:34.416071Z",
        "Recipient": row.subscription.email,
        "Origin": "Recipient",
        "SuppressSending": True,
        "SuppressionReason": "ManualSuppression",
        "Metadata": {"delivery": verp.token(row.pk)},
    }


def post_postmark(client, payload, **headers):
    return client.post(POSTMARK, json.dumps(payload), content_type="application/json", **headers)


def test_postmark_a_hard_bounce_bounces_the_delivery_it_names(client, row):
    assert post_postmark(client, postmark_bounce(row), **basic_auth()).status_code == 200
    row = refreshed(row)
    assert row.state == State.BOUNCED
    assert "unable to deliver" in row.last_error  # Postmark's description
    assert row.subscription.hard_bounces == 1


@pytest.mark.parametrize(
    "bounce",
    [
        {"Type": "SoftBounce", "TypeCode": 4096, "Name": "Soft bounce", "Inactive": False},
        {"Type": "Transient", "TypeCode": 2, "Name": "Message delayed", "Inactive": False},
    ],
    ids=["soft bounce", "delayed"],
)
def test_postmark_a_temporary_bounce_notes_the_delay_and_bounces_nothing(client, row, bounce):
    bounce |= {"Description": "The mailbox is full.", "Details": "smtp;452 4.2.2 Mailbox full"}
    assert post_postmark(client, postmark_bounce(row, **bounce), **basic_auth()).status_code == 200
    row = refreshed(row)
    assert row.state == State.SENT
    assert row.last_error == "delayed: The mailbox is full."
    assert row.subscription.hard_bounces == 0
    assert row.subscription.undeliverable_at is None


def test_postmark_a_soft_bounce_naming_no_delivery_counts_nothing_against_the_subscriber(
    client, row
):
    bounce = postmark_bounce(row, Type="SoftBounce", TypeCode=4096, Metadata={})
    for _ in range(5):
        assert post_postmark(client, bounce, **basic_auth()).status_code == 200
    row = refreshed(row)
    assert (row.state, row.subscription.hard_bounces) == (State.SENT, 0)
    assert row.subscription.undeliverable_at is None


def test_postmark_a_spam_complaint_makes_the_subscriber_undeliverable(client, row):
    assert post_postmark(client, postmark_complaint(row), **basic_auth()).status_code == 200
    row = refreshed(row)
    assert row.state == State.COMPLAINED
    assert row.subscription.undeliverable_at is not None


def test_postmark_an_unsubscribe_unsubscribes(client, row):
    assert post_postmark(client, postmark_unsubscribe(row), **basic_auth()).status_code == 200
    row = refreshed(row)
    assert row.subscription.status == "unsubscribed"
    assert row.state == State.SENT


@pytest.mark.parametrize(
    "headers",
    [basic_auth("anymail:wrong-password"), basic_auth("someone:" + SECRET.split(":")[1]), {}],
    ids=["wrong password", "wrong user", "no credentials"],
)
def test_postmark_a_post_without_the_right_credentials_is_refused_and_changes_nothing(
    client, row, headers
):
    for payload in (postmark_complaint(row), postmark_unsubscribe(row)):
        assert post_postmark(client, payload, **headers).status_code == 400
    row = refreshed(row)
    assert row.state == State.SENT
    assert row.subscription.status == "confirmed"
    assert row.subscription.undeliverable_at is None


@pytest.mark.parametrize(
    "body",
    ["not json", "[]", '{"RecordType": "Bounce", "Type": "HardBounce", "Metadata": 7}', "{"],
    ids=["text", "a list", "metadata not an object", "cut short"],
)
def test_postmark_an_unreadable_post_with_the_right_credentials_is_refused_not_a_500(
    client, row, body
):
    response = client.post(POSTMARK, body, content_type="application/json", **basic_auth())
    assert response.status_code == 400
    row = refreshed(row)
    assert (row.state, row.subscription.hard_bounces) == (State.SENT, 0)


# SendGrid: a JSON array of events per post; custom arguments (the delivery
# token) arrive as the event's own top-level keys.
SENDGRID = "/anymail/sendgrid/tracking/"


def sendgrid_event(row, event, **extra):
    return {
        "email": row.subscription.email,
        "timestamp": int(time.time()),
        "smtp-id": "<14c5d75ce93.dfd.64b469@ismtpd-555>",
        "event": event,
        "sg_event_id": f"sg-{event}-{row.pk}",
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        "delivery": verp.token(row.pk),
        **extra,
    }


def post_sendgrid(client, events, **headers):
    return client.post(SENDGRID, json.dumps(events), content_type="application/json", **headers)


def test_sendgrid_a_bounce_bounces_the_delivery_it_names(client, row):
    bounce = sendgrid_event(
        row,
        "bounce",
        reason="550 5.1.1 The email account that you tried to reach does not exist.",
        status="5.1.1",
        type="bounce",
    )
    assert post_sendgrid(client, [bounce], **basic_auth()).status_code == 200
    row = refreshed(row)
    assert row.state == State.BOUNCED
    assert "5.1.1" in row.last_error
    assert row.subscription.hard_bounces == 1


@pytest.mark.parametrize("body", ["not json", '{"event": "bounce"}', '[{"email": 1}]'])
def test_sendgrid_an_unreadable_post_with_the_right_credentials_is_refused_not_a_500(
    client, row, body
):
    response = client.post(SENDGRID, body, content_type="application/json", **basic_auth())
    assert response.status_code == 400
    assert refreshed(row).state == State.SENT


def test_sendgrid_a_blocked_bounce_is_temporary_and_bounces_nothing(client, row):
    blocked = sendgrid_event(
        row, "bounce", reason="421 4.7.0 Try again later", status="4.7.0", type="blocked"
    )
    assert post_sendgrid(client, [blocked], **basic_auth()).status_code == 200
    row = refreshed(row)
    assert row.state == State.SENT
    assert "4.7.0" in row.last_error
    assert row.subscription.hard_bounces == 0


def test_sendgrid_a_spam_report_and_an_unsubscribe_in_one_post_are_both_applied(client, row):
    other = Delivery.objects.exclude(pk=row.pk).select_related("subscription").get()
    events = [sendgrid_event(row, "spamreport"), sendgrid_event(other, "unsubscribe")]
    assert post_sendgrid(client, events, **basic_auth()).status_code == 200
    row, other = refreshed(row), refreshed(other)
    assert row.state == State.COMPLAINED
    assert row.subscription.undeliverable_at is not None
    assert other.subscription.status == "unsubscribed"


def test_sendgrid_a_group_unsubscribe_unsubscribes(client, row):
    event = sendgrid_event(row, "group_unsubscribe", asm_group_id=42)
    assert post_sendgrid(client, [event], **basic_auth()).status_code == 200
    assert refreshed(row).subscription.status == "unsubscribed"


@pytest.mark.parametrize(
    "headers", [basic_auth("anymail:wrong-password"), {}], ids=["wrong password", "none"]
)
def test_sendgrid_a_post_without_the_right_credentials_is_refused_and_changes_nothing(
    client, row, headers
):
    events = [sendgrid_event(row, "spamreport"), sendgrid_event(row, "unsubscribe")]
    assert post_sendgrid(client, events, **headers).status_code == 400
    row = refreshed(row)
    assert row.state == State.SENT
    assert row.subscription.status == "confirmed"
    assert row.subscription.undeliverable_at is None
