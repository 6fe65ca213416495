"""Sending an edition through Django's SMTP backend to a real aiosmtpd server."""

import smtplib
import subprocess
import time
from unittest import mock

import dkim
import pytest
from django.utils import timezone

from subscriptions import delivery, verp
from subscriptions.models import Delivery, Edition
from tests.smtp import SMTPServer

from .edition_helpers import confirmed, live_piece, started_edition

pytestmark = pytest.mark.django_db
State = Delivery.State


@pytest.fixture
def smtp(settings):
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "subscriptions.mail.SMTPBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_TIMEOUT = 5
        settings.NEWSLETTER_BOUNCE_ADDRESS = "bounces@news.example.org"
        settings.DEFAULT_FROM_EMAIL = "Pacific Forum <pacnet@example.org>"
        settings.SITE_URL = "https://forum.example.org"
        yield server


@pytest.fixture
def edition(settings, django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    piece = live_piece()
    readers = confirmed(piece.series, 3)
    edition = started_edition(piece)
    edition.readers = readers
    return edition


def run(edition):
    return delivery.send_batch(edition_id=edition.pk)


def states(edition):
    return {
        d.subscription.email: d.state for d in edition.deliveries.select_related("subscription")
    }


def test_each_subscriber_gets_one_personal_message_with_list_headers(smtp, edition):
    result = run(edition)

    assert result["sent"] == 3
    assert sorted(smtp.handler.recipients()) == sorted(r.email for r in edition.readers)
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    assert set(states(edition).values()) == {State.SENT}
    message_ids, unsubscribe_links = set(), set()
    for received in smtp.received:
        message = received.message
        row = Delivery.objects.get(subscription__email=received.rcpt_tos[0])
        # VERP: the envelope sender names this very delivery.
        assert received.mail_from.startswith("bounces+d")
        assert verp.delivery_from_address(received.mail_from) == row.pk
        assert message["From"] == "Pacific Forum <pacnet@example.org>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert message["List-Id"] == "PacNet <pacnet.example.org>"
        assert (
            message["List-Unsubscribe"]
            .strip()
            .startswith("<https://forum.example.org/unsubscribe/")
        )
        message_ids.add(message["Message-ID"])
        unsubscribe_links.add(message["List-Unsubscribe"])
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert "PacNet #" in message["Subject"]
        assert "Kim Saeme (kim@example.org) is a fellow at the Forum." in text
        assert "represent the views of the respective authors" in text
        assert "https://forum.example.org/subscribe/manage/" in html
        assert "%%" not in html and "%%" not in text
    assert len(message_ids) == 3
    assert len(unsubscribe_links) == 3


def test_one_click_unsubscribe_from_a_received_message_stops_the_rest(client, smtp, edition):
    run(edition)
    link = smtp.received[0].message["List-Unsubscribe"].strip().strip("<>")
    path = link.removeprefix("https://forum.example.org")
    response = client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    row = Delivery.objects.get(subscription__email=smtp.received[0].rcpt_tos[0])
    assert row.subscription.status == "unsubscribed"


def test_a_subscriber_who_unsubscribes_while_queued_is_skipped(smtp, edition):
    leaver = edition.readers[0]
    leaver.status = "unsubscribed"
    leaver.unsubscribed_at = timezone.now()
    leaver.save()

    run(edition)

    assert leaver.email not in smtp.handler.recipients()
    assert states(edition)[leaver.email] == State.SKIPPED
    assert len(smtp.received) == 2


def test_451_defers_with_backoff_then_the_retry_is_accepted(smtp, edition):
    smtp.script.data_replies = ["451 4.3.0 try again later"]
    run(edition)

    deferred = edition.deliveries.get(state=State.DEFERRED)
    assert deferred.attempts == 1
    assert deferred.last_error.startswith("451")
    assert deferred.next_attempt_at > timezone.now() + delivery.retry_delay(1) * 0.9
    assert len(smtp.received) == 2
    # Not due yet: a batch now sends nothing.
    assert run(edition)["sent"] == 0

    Delivery.objects.filter(pk=deferred.pk).update(next_attempt_at=timezone.now())
    run(edition)
    deferred.refresh_from_db()
    assert deferred.state == State.SENT
    assert deferred.attempts == 2
    assert len(smtp.received) == 3
    assert len(set(smtp.handler.recipients())) == 3


def test_550_is_recorded_as_failed_and_never_retried(smtp, edition):
    refused = edition.readers[1].email
    smtp.script.refuse[refused] = f"550 5.1.1 <{refused}>: Recipient address rejected"
    run(edition)

    row = edition.deliveries.get(subscription__email=refused)
    assert row.state == State.FAILED
    assert row.last_error.startswith("550")
    # The stored error never holds the address itself.
    assert refused not in row.last_error
    Delivery.objects.filter(pk=row.pk).update(next_attempt_at=timezone.now())
    run(edition)
    assert refused not in smtp.handler.recipients()
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT


def test_a_connection_dropped_before_the_data_is_retried_and_nobody_gets_two(smtp, edition):
    smtp.script.drop_at_rcpt = {2}
    first = run(edition)
    assert first["sent"] == 1
    assert first["deferred"] == 1
    assert first["paused"] is True

    Delivery.objects.filter(state=State.DEFERRED).update(next_attempt_at=timezone.now())
    run(edition)
    assert sorted(smtp.handler.recipients()) == sorted(r.email for r in edition.readers)
    assert set(states(edition).values()) == {State.SENT}


def test_a_connection_dropped_after_the_data_leaves_that_one_unknown(smtp, edition):
    smtp.script.drop_after_data = {2}
    run(edition)
    Delivery.objects.filter(state=State.DEFERRED).update(next_attempt_at=timezone.now())
    run(edition)

    counts = sorted(states(edition).values())
    assert counts == [State.SENT, State.SENT, State.UNKNOWN]
    # The server did take the unknown one; it is not sent again.
    assert len(smtp.handler.recipients()) == 3
    assert len(set(smtp.handler.recipients())) == 3
    unknown = edition.deliveries.get(state=State.UNKNOWN)
    assert "no reply" in unknown.last_error


def test_a_server_that_refuses_connections_defers_and_pauses(settings, edition):
    from tests.smtp import free_port

    settings.EMAIL_BACKEND = "subscriptions.mail.SMTPBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()
    result = run(edition)
    assert result["paused"] is True
    assert result["deferred"] == 1
    assert edition.deliveries.filter(state=State.QUEUED).count() == 2


def test_cancelling_stops_what_is_still_queued(smtp, edition):
    from subscriptions.sending import edition_cancel

    assert edition_cancel(edition=edition) == 3
    run(edition)
    assert smtp.received == []
    assert set(states(edition).values()) == {State.CANCELLED}


def test_rows_left_sending_by_a_dead_worker_become_unknown_and_are_not_resent(
    smtp, edition, settings
):
    from datetime import timedelta

    run(edition)
    row = edition.deliveries.first()
    Delivery.objects.filter(pk=row.pk).update(
        state=State.SENDING, updated_at=timezone.now() - timedelta(hours=1)
    )
    assert delivery.sweep_stale() == 1
    row.refresh_from_db()
    assert row.state == State.UNKNOWN
    Edition.objects.filter(pk=edition.pk).update(status=Edition.Status.SENDING)
    run(edition)
    assert len(smtp.received) == 3


def test_resend_is_the_editors_choice_and_covers_failed_and_unknown(smtp, edition):
    from subscriptions.sending import edition_resend

    refused = edition.readers[0].email
    smtp.script.refuse[refused] = "550 5.7.1 blocked"
    smtp.script.drop_after_data = {2}
    run(edition)
    assert sorted(states(edition).values()) == [State.FAILED, State.SENT, State.UNKNOWN]

    smtp.script.refuse.clear()
    assert edition_resend(edition=edition) == 2
    run(edition)
    assert set(states(edition).values()) == {State.SENT}


def test_the_rate_limit_spaces_messages(smtp, edition, settings):
    import time

    settings.NEWSLETTER_RATE = 10
    started = time.monotonic()
    run(edition)
    # Three messages at ten a second: at least two gaps of 0.1 s.
    assert time.monotonic() - started >= 0.2


def test_dkim_signature_verifies_with_dkimpy(smtp, edition, settings, tmp_path):
    key = tmp_path / "dkim.pem"
    # A throwaway key made by the openssl command line for this test only.
    subprocess.run(  # noqa: S603
        ["openssl", "genrsa", "-traditional", "-out", str(key), "2048"],  # noqa: S607
        check=True,
        capture_output=True,
    )
    public = subprocess.run(  # noqa: S603
        ["openssl", "rsa", "-in", str(key), "-pubout", "-outform", "DER"],  # noqa: S607
        check=True,
        capture_output=True,
    ).stdout
    settings.DKIM_DOMAIN = "example.org"
    settings.DKIM_SELECTOR = "news"
    settings.DKIM_PRIVATE_KEY_FILE = str(tmp_path / "dkim.pem")

    run(edition)

    import base64

    record = b"v=DKIM1; k=rsa; p=" + base64.b64encode(public)

    def dns(name, timeout=5):
        assert name == b"news._domainkey.example.org."
        return record

    for received in smtp.received:
        assert received.data.startswith(b"DKIM-Signature:")
        assert dkim.verify(received.data, dnsfunc=dns)
        tampered = received.data.replace(b"PacNet", b"PacNot", 1)
        assert not dkim.verify(tampered, dnsfunc=dns)


def test_errors_are_classified_as_the_guarantee_needs():
    from subscriptions.mail import UncertainDelivery

    assert delivery.classify(UncertainDelivery("x")).state == State.UNKNOWN
    assert delivery.classify(smtplib.SMTPDataError(451, b"later")).state == State.DEFERRED
    assert delivery.classify(smtplib.SMTPDataError(554, b"no")).state == State.FAILED
    assert delivery.classify(ConnectionRefusedError()).state == State.DEFERRED
    assert delivery.classify(ValueError("who knows")).state == State.UNKNOWN


def test_the_fast_copy_of_the_template_equals_the_message_built_in_full(edition, settings):
    import email
    import email.policy

    settings.NEWSLETTER_BOUNCE_ADDRESS = "bounces@news.example.org"
    row = edition.deliveries.select_related("subscription").first()
    template = delivery.MessageTemplate(edition)
    assert template.usable
    # Both builds sign the reader's links with the same clock second, as one
    # build would: on a loaded machine the two could straddle a second.
    now = time.time()
    with mock.patch("django.core.signing.time.time", return_value=now):
        fast = delivery.make_message(
            template=template, edition=edition, delivery_id=row.pk, subscription=row.subscription
        )
        full = delivery.build_message(
            edition=edition, delivery_id=row.pk, subscription=row.subscription
        )
    assert fast.envelope_sender == full.envelope_sender
    parsed = [
        email.message_from_bytes(m.message().as_bytes(linesep="\r\n"), policy=email.policy.default)
        for m in (fast, full)
    ]
    for header in ("From", "To", "Subject", "List-Id", "List-Unsubscribe", "Precedence"):
        assert str(parsed[0][header]).strip() == str(parsed[1][header]).strip(), header
    assert parsed[0]["Message-ID"].split(".")[0] == parsed[1]["Message-ID"].split(".")[0]
    for kind in ("plain", "html"):
        assert (
            parsed[0].get_body((kind,)).get_content() == parsed[1].get_body((kind,)).get_content()
        )


def test_a_piece_with_a_very_long_line_is_built_in_full_and_still_personal(smtp, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    piece = live_piece(body="<p>" + "word " * 400 + "</p>")
    confirmed(piece.series, 1)
    edition = started_edition(piece)
    edition.text = "x" * 1200 + "\n" + edition.text  # Django quoted-printables this part
    edition.save()
    assert not delivery.MessageTemplate(edition).usable
    run(edition)
    text = smtp.received[0].message.get_body(("plain",)).get_content()
    assert "https://forum.example.org/subscribe/manage/" in text
