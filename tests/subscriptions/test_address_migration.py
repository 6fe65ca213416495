"""The data migration that canonicalises stored addresses merges rows that
become one address, run on a database that holds such pairs."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = ("subscriptions", "0003_rate_limit_windows")
AFTER = ("subscriptions", "0004_canonical_emails")


def at(day, hour=12):
    return datetime(2026, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def old_schema(transactional_db):
    """The database as it was before the migration; migrated forward again after."""
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    executor.loader.build_graph()
    yield executor.loader.project_state([BEFORE]).apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def migrate_forward():
    executor = MigrationExecutor(connection)
    executor.migrate([AFTER])
    return executor.loader.project_state([AFTER]).apps


def test_rows_that_become_one_address_are_merged_keeping_series_consent_and_confirmation(
    old_schema,
):
    Series = old_schema.get_model("commentaries", "Series")
    Request = old_schema.get_model("subscriptions", "SubscriptionRequest")
    pacnet = Series.objects.create(name="PacNet", slug="pacnet", short_label="PacNet")
    briefs = Series.objects.create(name="Briefs", slug="briefs", short_label="Briefs")

    def row(email, *, created, series, **fields):
        request = Request.objects.create(
            email=email,
            name=fields.pop("name", "Reader"),
            consent_text=fields.pop("consent_text", f"consent of {email}"),
            consent_version=fields.pop("consent_version", "2026-01"),
            last_requested_at=fields.pop("last_requested_at", created),
            **fields,
        )
        Request.objects.filter(pk=request.pk).update(created_at=created)
        request.series.set(series)
        return request

    # A confirmed address and its quoted twin, which asked for another series later.
    first = row(
        "victim@example.org",
        created=at(1),
        series=[pacnet],
        status="confirmed",
        confirmed_at=at(2),
        consent_version="2026-01",
    )
    row(
        '"Victim"@Example.org',
        created=at(5),
        series=[briefs],
        status="confirmed",
        confirmed_at=at(6),
        name="Victim Later",
        consent_version="2026-03",
    )
    # An address typed with a Unicode domain and its ASCII twin; unsubscribed last.
    ana = row("Ana@BÜCHER.example", created=at(3), series=[pacnet], status="pending")
    row(
        "ana@xn--bcher-kva.example",
        created=at(4),
        series=[briefs],
        status="unsubscribed",
        confirmed_at=at(4, 13),
        unsubscribed_at=at(7),
    )
    # Nothing to merge: stored as typed, canonicalised in place.
    solo = row("Solo@Example.NET", created=at(8), series=[briefs])
    # No canonical form: left alone.
    literal = row("someone@[127.0.0.1]", created=at(9), series=[pacnet])

    apps = migrate_forward()
    Request = apps.get_model("subscriptions", "SubscriptionRequest")
    assert Request.objects.count() == 4

    victim = Request.objects.get(email="victim@example.org")
    assert victim.pk == first.pk
    assert victim.consent_version == "2026-01"  # the earliest consent
    assert victim.consent_text == "consent of victim@example.org"
    assert victim.created_at == at(1)
    assert (victim.status, victim.confirmed_at) == ("confirmed", at(6))  # the latest
    assert victim.name == "Victim Later"
    assert set(victim.series.values_list("slug", flat=True)) == {"pacnet", "briefs"}

    merged = Request.objects.get(email="ana@xn--bcher-kva.example")
    assert merged.pk == ana.pk
    assert (merged.status, merged.unsubscribed_at) == ("unsubscribed", at(7))
    assert merged.confirmed_at == at(4, 13)
    assert set(merged.series.values_list("slug", flat=True)) == {"pacnet", "briefs"}

    assert Request.objects.get(pk=solo.pk).email == "solo@example.net"
    assert Request.objects.get(pk=literal.pk).email == "someone@[127.0.0.1]"
