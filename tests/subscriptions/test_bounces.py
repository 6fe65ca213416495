"""Bounce reports and complaints from a Maildir, attributed through VERP."""

import mailbox
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from subscriptions import verp
from subscriptions.bounces import COMPLAINT, HARD, SOFT, UnreadableReport, parse_report
from subscriptions.models import Delivery

from .edition_helpers import confirmed, live_piece, started_edition

pytestmark = pytest.mark.django_db
REPORTS = Path(__file__).parent / "reports"
State = Delivery.State


@pytest.fixture
def sent(settings):
    """Three deliveries of one edition, already accepted by the server."""
    settings.NEWSLETTER_BOUNCE_ADDRESS = "bounces@news.example.org"
    settings.NEWSLETTER_HARD_BOUNCE_LIMIT = 2
    piece = live_piece()
    confirmed(piece.series, 3)
    edition = started_edition(piece)
    edition.deliveries.update(state=State.SENT, sent_at=timezone.now())
    return list(edition.deliveries.select_related("subscription"))


def report(name, delivery):
    template = (REPORTS / name).read_text()
    message_id = f"<{verp.token(delivery.pk)}.1764583200@example.org>"
    return template.format(verp=verp.return_path(delivery.pk), message_id=message_id).encode()


def maildir_with(tmp_path, *messages):
    box = mailbox.Maildir(tmp_path / "bounces", create=True)
    for message in messages:
        box.add(mailbox.MaildirMessage(message))
    return str(tmp_path / "bounces")


@pytest.mark.parametrize(
    "name",
    ["postfix_dsn.eml", "exim_text.eml", "microsoft365_ndr.eml", "gmail_dsn.eml"],
)
def test_hard_bounces_in_each_servers_shape_are_attributed(sent, name):
    parsed = parse_report(report(name, sent[1]))
    assert parsed.kind == HARD
    assert parsed.delivery_id == sent[1].pk
    assert "5.1.1" in parsed.detail or "5.1.10" in parsed.detail


def test_a_delay_notice_is_soft_and_a_complaint_is_a_complaint(sent):
    assert parse_report(report("gmail_delayed.eml", sent[0])).kind == SOFT
    complaint = parse_report(report("arf_complaint.eml", sent[2]))
    assert complaint.kind == COMPLAINT
    assert complaint.delivery_id == sent[2].pk


def test_process_bounces_marks_rows_and_makes_repeat_bouncers_undeliverable(
    sent, tmp_path, settings
):
    first, second, third = sent
    # A second edition, so that the first subscriber can bounce twice.
    later = started_edition(live_piece(series=first.edition.series))
    later.deliveries.update(state=State.SENT, sent_at=timezone.now())
    again = later.deliveries.get(subscription=first.subscription)
    path = maildir_with(
        tmp_path,
        report("postfix_dsn.eml", first),
        report("gmail_dsn.eml", again),
        report("gmail_delayed.eml", second),
        report("arf_complaint.eml", third),
    )

    call_command("process_bounces", path)

    first.refresh_from_db()
    first.subscription.refresh_from_db()
    assert first.state == State.BOUNCED
    assert first.subscription.hard_bounces == 2
    assert first.subscription.undeliverable_at is not None
    second.refresh_from_db()
    assert second.state == State.SENT
    assert second.last_error.startswith("delayed")
    third.refresh_from_db()
    third.subscription.refresh_from_db()
    assert third.state == State.COMPLAINED
    assert third.subscription.undeliverable_at is not None
    assert "spam" in third.subscription.undeliverable_reason
    # Processed messages are marked seen; a second run finds nothing new.
    box = mailbox.Maildir(path, create=False)
    assert {box.get_message(key).get_subdir() for key in box.iterkeys()} == {"cur"}


def test_one_hard_bounce_under_the_limit_keeps_the_subscriber(sent, tmp_path):
    call_command("process_bounces", maildir_with(tmp_path, report("exim_text.eml", sent[0])))
    sent[0].subscription.refresh_from_db()
    assert sent[0].subscription.hard_bounces == 1
    assert sent[0].subscription.undeliverable_at is None


def test_an_undeliverable_subscriber_is_skipped_by_the_next_edition(sent, tmp_path, settings):
    settings.NEWSLETTER_HARD_BOUNCE_LIMIT = 1
    call_command("process_bounces", maildir_with(tmp_path, report("postfix_dsn.eml", sent[0])))
    later = started_edition(live_piece(series=sent[0].edition.series))
    assert later.deliveries.count() == 2
    assert not later.deliveries.filter(subscription=sent[0].subscription).exists()


GARBAGE = {
    "random bytes": bytes(range(256)) * 20,
    "empty": b"",
    "plain email": b"From: someone@example.com\r\nSubject: hello\r\n\r\nJust a note.\r\n",
    "report without parts": (
        b"Content-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x--\r\n"
    ),
    "broken boundaries": (
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="\r\n\r\n'
        b"--\r\nContent-Type: message/delivery-status\r\n\r\nAction: failed\r\n"
    ),
    "forged token": (REPORTS / "postfix_dsn.eml")
    .read_text()
    .replace("{verp}", "bounces+d1-000000000000@news.example.org")
    .replace("{message_id}", "<d1-000000000000.1@example.org>")
    .encode(),
    "huge": b"Subject: x\r\n\r\n" + b"A" * 3_000_000,
    "header bomb": b"X-Failed-Recipients: " + b"a@b," * 100_000 + b"\r\n\r\n550 5.1.1",
}


@pytest.mark.parametrize("name", GARBAGE)
def test_malformed_or_hostile_reports_are_refused_cleanly(name):
    with pytest.raises(UnreadableReport):
        parse_report(GARBAGE[name])


def test_garbage_in_the_maildir_is_logged_and_skipped_never_a_crash(sent, tmp_path, caplog):
    path = maildir_with(tmp_path, *GARBAGE.values(), report("postfix_dsn.eml", sent[0]))
    call_command("process_bounces", path)
    sent[0].refresh_from_db()
    assert sent[0].state == State.BOUNCED
    assert "Skipped report" in caplog.text
    # No subscriber address reaches the log.
    for row in sent:
        assert row.subscription.email not in caplog.text
    assert "@example.net" not in caplog.text


def test_a_report_for_a_delivery_since_purged_is_skipped(sent, tmp_path):
    gone = sent[0]
    data = report("postfix_dsn.eml", gone)
    Delivery.objects.filter(pk=gone.pk).delete()
    call_command("process_bounces", maildir_with(tmp_path, data))
