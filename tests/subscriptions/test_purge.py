from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from subscriptions.models import SubscriptionRequest
from tests.factories import SubscriptionRequestFactory

pytestmark = pytest.mark.django_db


def ago(days):
    return timezone.now() - timedelta(days=days)


@pytest.fixture
def requests():
    return {
        "old pending": SubscriptionRequestFactory(last_requested_at=ago(31)),
        "fresh pending": SubscriptionRequestFactory(last_requested_at=ago(29)),
        "old confirmed": SubscriptionRequestFactory(
            status="confirmed", confirmed_at=ago(40), last_requested_at=ago(40)
        ),
        "old unsubscribed": SubscriptionRequestFactory(
            status="unsubscribed", unsubscribed_at=ago(35), last_requested_at=ago(40)
        ),
    }


def purge(*args):
    out = StringIO()
    call_command("purge_subscriptions", *args, stdout=out)
    return out.getvalue()


def test_purge_deletes_only_old_requests_that_were_never_confirmed(requests):
    output = purge("--older-than", "30d")
    assert "Deleted 1 unconfirmed request(s)" in output
    remaining = set(SubscriptionRequest.objects.values_list("pk", flat=True))
    assert requests["old pending"].pk not in remaining
    assert {requests[k].pk for k in ["fresh pending", "old confirmed", "old unsubscribed"]} == (
        remaining
    )


def test_purge_dry_run_reports_without_deleting(requests):
    output = purge("--older-than", "30d", "--dry-run")
    assert "Dry run: 1 unconfirmed request(s)" in output
    assert SubscriptionRequest.objects.count() == 4


def test_purge_counts_from_the_latest_request_not_the_first(requests):
    renewed = SubscriptionRequestFactory(last_requested_at=ago(2))
    SubscriptionRequest.objects.filter(pk=renewed.pk).update(created_at=ago(90))
    purge("--older-than", "30d")
    assert SubscriptionRequest.objects.filter(pk=renewed.pk).exists()


@pytest.mark.parametrize("age", ["30", "thirty days", "-3d", "3y", ""])
def test_purge_explains_an_unreadable_age(age):
    with pytest.raises(CommandError, match="must look like"):
        call_command("purge_subscriptions", f"--older-than={age}")
