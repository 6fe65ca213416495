import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from subscriptions.models import SubscriptionRequest
from subscriptions.tasks import retry_delay

pytestmark = pytest.mark.django_db

# db_worker closes connections that are inside a transaction, as a real worker
# should; tests that run it therefore commit for real.
with_worker = pytest.mark.django_db(transaction=True)

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def mail_server_down(settings, free_port):
    """SMTP pointed at a local port where nothing listens: connections are refused."""
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_TIMEOUT = 2


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")


@with_worker
def test_the_form_only_queues_the_email_and_a_worker_sends_it(subscribe, pacnet, settings):
    settings.TASKS = DATABASE_TASKS
    response = subscribe(series=[pacnet.pk])
    assert response.status_code == 302
    assert mail.outbox == []
    assert DBTaskResult.objects.count() == 1
    run_worker()
    assert len(mail.outbox) == 1
    assert SubscriptionRequest.objects.get().confirmation_sent_at is not None


@with_worker
def test_mail_server_failure_keeps_the_request_and_retries_later(
    subscribe, pacnet, settings, mail_server_down
):
    settings.TASKS = DATABASE_TASKS
    response = subscribe(series=[pacnet.pk])
    assert response.status_code == 302
    run_worker()

    request = SubscriptionRequest.objects.get()
    assert request.status == SubscriptionRequest.Status.PENDING
    assert request.confirmation_sent_at is None
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > timezone.now() + retry_delay(1) * 0.9

    # The server comes back; once the delay has passed, the worker delivers.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.com"]
    assert SubscriptionRequest.objects.get().confirmation_sent_at is not None


def test_visitor_sees_the_normal_page_even_when_sending_fails_at_once(
    subscribe, pacnet, client, mail_server_down
):
    response = subscribe(series=[pacnet.pk])
    assert response.status_code == 302
    assert "Check your inbox" in client.get(response["Location"]).content.decode()
    assert SubscriptionRequest.objects.count() == 1


def test_retry_delays_grow_and_stay_bounded():
    delays = [retry_delay(attempt) for attempt in range(1, 9)]
    assert delays == sorted(delays)
    assert delays[0].total_seconds() == 60
    assert max(delays).total_seconds() == 4 * 3600


@with_worker
def test_sending_gives_up_after_the_last_attempt(pacnet, settings, mail_server_down):
    from subscriptions.tasks import MAX_ATTEMPTS, send_confirmation
    from tests.factories import SubscriptionRequestFactory

    settings.TASKS = DATABASE_TASKS
    request = SubscriptionRequestFactory()
    send_confirmation.enqueue(
        request_id=request.pk, series_ids=[pacnet.pk], site_url="http://x/", attempt=MAX_ATTEMPTS
    )
    run_worker()
    assert DBTaskResult.objects.get().status == "FAILED"
    assert SubscriptionRequest.objects.filter(pk=request.pk).exists()
