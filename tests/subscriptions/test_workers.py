"""The "never twice" guarantee with real `db_worker` processes and a real SMTP server.

These tests commit for real (the workers are other processes) and need
PostgreSQL, which the whole suite runs on in CI.
"""

import os
import signal
from collections import Counter

import pytest
from django.db import connection

from commentaries.tasks import go_live_tick
from subscriptions.models import Delivery, Edition
from subscriptions.tasks import queue_delivery
from tests.smtp import SMTPServer

from .edition_helpers import confirmed, live_piece, started_edition
from .workers import start_worker, stop, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="worker processes share the test database: PostgreSQL only",
    ),
]
State = Delivery.State
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def db_tasks(settings):
    settings.TASKS = DATABASE_TASKS


def edition_done(edition):
    def check():
        return Edition.objects.get(pk=edition.pk).status == Edition.Status.SENT

    return check


def test_a_worker_killed_during_data_leaves_that_message_unknown_and_a_restart_finishes(
    db_tasks, django_capture_on_commit_callbacks
):
    assert connection.vendor == "postgresql"
    piece = live_piece()
    readers = confirmed(piece.series, 6)
    with SMTPServer() as smtp:
        smtp.script.hold_data = {3}
        with django_capture_on_commit_callbacks(execute=True):
            edition = started_edition(piece)
        worker = start_worker(smtp.port)
        try:
            assert smtp.handler.holding.wait(timeout=60), "the worker never reached message 3"
            in_flight = Delivery.objects.get(state=State.SENDING)
            os.kill(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)
        finally:
            stop(worker)
        smtp.handler.release.set()

        # A restarted worker, with a short lease so that the dead worker's row is
        # labelled at once, and a tick to resume the edition the kill cut off.
        # The first tick may come before the lease runs out; the next one,
        # a second later instead of a minute, labels the row.
        go_live_tick.enqueue()
        restarted = start_worker(
            smtp.port, NEWSLETTER_SENDING_LEASE_SECONDS=1, GO_LIVE_TICK_SECONDS=1
        )
        try:
            assert wait_until(edition_done(edition), timeout=90), restarted.stderr
        finally:
            stop(restarted)

    received = Counter(smtp.handler.recipients())
    assert max(received.values()) == 1, "someone got the edition twice"
    # Everyone but the one in flight got it; that one may or may not have.
    others = {r.email for r in readers} - {in_flight.subscription.email}
    assert others <= set(received)
    in_flight.refresh_from_db()
    assert in_flight.state == State.UNKNOWN
    assert Counter(edition.deliveries.values_list("state", flat=True)) == {
        State.SENT: 5,
        State.UNKNOWN: 1,
    }


def test_two_workers_at_once_send_each_message_once(db_tasks, django_capture_on_commit_callbacks):
    piece = live_piece()
    readers = confirmed(piece.series, 40)
    with SMTPServer() as smtp:
        with django_capture_on_commit_callbacks(execute=True):
            edition = started_edition(piece)
        # A double click, and a second task besides: two chains for one edition.
        from subscriptions.tasks import deliver_edition

        deliver_edition.enqueue(edition_id=edition.pk)
        queue_delivery(edition_id=edition.pk)
        workers = [start_worker(smtp.port), start_worker(smtp.port)]
        try:
            assert wait_until(edition_done(edition), timeout=90)
        finally:
            for worker in workers:
                stop(worker)

    received = Counter(smtp.handler.recipients())
    assert max(received.values()) == 1
    assert set(received) == {r.email for r in readers}
    assert set(edition.deliveries.values_list("state", flat=True)) == {State.SENT}
