"""Importing an existing list, and what we hold about one address."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from subscriptions.models import Delivery, Edition, SubscriptionRequest
from subscriptions.privacy import subscriber_erase, subscriber_export
from tests.factories import SeriesFactory

from .edition_helpers import confirmed, live_piece, started_edition

pytestmark = pytest.mark.django_db

MAILCHIMP = """Email Address,First Name,Last Name,Company,TAGS,CONFIRM_TIME,SOURCE
ana@example.com,Ana,Reader,Harbor Institute,PacNet,2023-04-05 10:22:11,mailchimp-signup-form
ben@example.com,Ben,Lee,,"PacNet, YL Brief",2024-01-02 08:00:00,
not-an-address,Bad,Row,,PacNet,2024-01-02 08:00:00,
ANA@example.com,Ana,Again,,PacNet,2024-01-02 08:00:00,
cy@example.com,Cy,Nope,,PacNet,,
dee@example.com,Dee,Where,,Unknown Series,2024-01-02 08:00:00,
eve@example.com,Eve,Late,,PacNet,2999-01-01 00:00:00,
"""


@pytest.fixture
def series():
    return (
        SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet"),
        SeriesFactory(name="YL Brief", slug="young-leaders", short_label="YL Brief"),
    )


@pytest.fixture
def mailchimp_csv(tmp_path):
    path = tmp_path / "members.csv"
    path.write_text(MAILCHIMP, encoding="utf-8")
    return str(path)


def run(*args):
    from io import StringIO

    out = StringIO()
    call_command("import_subscribers", *args, stdout=out)
    return out.getvalue()


def test_a_mailchimp_export_comes_in_confirmed_with_its_consent_time_and_source(
    series, mailchimp_csv
):
    output = run(mailchimp_csv, "--source", "mailchimp")

    assert "Imported 2 confirmed, 0 pending; skipped 5." in output
    ana = SubscriptionRequest.objects.get(email="ana@example.com")
    assert ana.status == "confirmed"
    assert ana.confirmed_at.isoformat().startswith("2023-04-05T10:22:11")
    assert ana.source == "mailchimp-signup-form"
    assert ana.name == "Ana Reader"
    assert ana.organization == "Harbor Institute"
    assert "2023-04-05" in ana.consent_text
    ben = SubscriptionRequest.objects.get(email="ben@example.com")
    assert ben.source == "mailchimp"
    assert sorted(s.slug for s in ben.series.all()) == ["pacnet", "young-leaders"]
    # Every skip is reported, by line, with its reason, and no address is printed.
    assert "line 4: skipped, invalid email address" in output
    assert "line 5: skipped, duplicate of an earlier line" in output
    assert "line 6: skipped, no consent time" in output
    assert "line 7: skipped, unknown series" in output
    assert "line 8: skipped, consent time in the future" in output
    assert "cy@example.com" not in output


def test_imported_subscribers_receive_the_next_edition_without_a_new_opt_in(series, mailchimp_csv):
    run(mailchimp_csv)
    edition = started_edition(live_piece(series=series[0]))
    assert edition.deliveries.count() == 2


def test_a_dry_run_changes_nothing(series, mailchimp_csv):
    output = run(mailchimp_csv, "--dry-run")
    assert "Dry run, nothing saved: would import 2 confirmed" in output
    assert not SubscriptionRequest.objects.exists()


def test_records_without_consent_can_come_in_pending(series, mailchimp_csv):
    output = run(mailchimp_csv, "--without-consent", "pending")
    assert "Imported 2 confirmed, 1 pending" in output
    assert SubscriptionRequest.objects.get(email="cy@example.com").status == "pending"


def test_an_existing_subscriber_is_skipped_not_changed(series, mailchimp_csv):
    existing = confirmed(series[0], 1, email="ana@example.com", name="Ana Original")[0]
    output = run(mailchimp_csv)
    assert "line 2: skipped, already on the list" in output
    existing.refresh_from_db()
    assert existing.name == "Ana Original"


def test_columns_can_be_mapped_and_a_default_series_given(series, tmp_path):
    path = tmp_path / "wp.csv"
    path.write_text("user_mail,who,when\nzed@example.com,Zed,2022-02-02T09:00:00Z\n")
    output = run(
        str(path),
        "--map",
        "email=user_mail",
        "--map",
        "name=who",
        "--map",
        "consent_time=when",
        "--series",
        "pacnet",
    )
    assert "Imported 1 confirmed" in output
    assert SubscriptionRequest.objects.get(email="zed@example.com").series.get().slug == "pacnet"


def test_a_file_without_an_email_column_is_refused_clearly(series, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("who,when\nZed,2022-02-02\n")
    with pytest.raises(CommandError, match="No email column"):
        run(str(path))


def test_export_holds_everything_about_one_address(series):
    piece = live_piece(series=series[0])
    reader = confirmed(series[0], 1, organization="Harbor")[0]
    started_edition(piece)
    data = subscriber_export(subscription=reader)
    assert data["email"] == reader.email
    assert data["organization"] == "Harbor"
    assert data["series"] == ["PacNet"]
    assert data["deliveries"][0]["edition"] == piece.display_title
    assert data["deliveries"][0]["state"] == "queued"


def test_erasure_keeps_only_an_anonymous_count(series):
    piece = live_piece(series=series[0])
    readers = confirmed(series[0], 2)
    edition = started_edition(piece)
    edition.deliveries.update(state=Delivery.State.FAILED, last_error="550 <x> rejected")

    assert subscriber_erase(subscription=readers[0]) == 1

    assert not SubscriptionRequest.objects.filter(email=readers[0].email).exists()
    assert Edition.objects.get(pk=edition.pk).deliveries.count() == 2
    anonymous = Delivery.objects.get(subscription__isnull=True)
    assert anonymous.last_error == ""
    assert anonymous.state == Delivery.State.FAILED


def test_delivery_rows_older_than_the_retention_are_purged(series, settings):
    settings.NEWSLETTER_RETENTION = timedelta(days=396)
    confirmed(series[0], 2)
    edition = started_edition(live_piece(series=series[0]))
    old = edition.deliveries.first()
    Delivery.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=400))
    from io import StringIO

    out = StringIO()
    call_command("purge_deliveries", stdout=out)
    assert "Deleted 1 delivery records older than 396 days." in out.getvalue()
    assert list(edition.deliveries.values_list("pk", flat=True)) != [old.pk]
    assert edition.deliveries.count() == 1
