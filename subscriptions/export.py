"""Streamed CSV of subscribers, safe to open in a spreadsheet."""

import csv

from django.http import StreamingHttpResponse
from django.utils import timezone

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HEADER = ["name", "email", "organization", "series", "confirmed at"]


def neutralise(value):
    """Stop spreadsheets from reading a cell as a formula (OWASP CSV injection)."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


class _Echo:
    def write(self, value):
        return value


def subscriber_rows(subscriptions):
    yield HEADER
    for subscription in subscriptions:
        yield [
            neutralise(subscription.name),
            neutralise(subscription.email),
            neutralise(subscription.organization),
            neutralise("; ".join(series.name for series in subscription.series.all())),
            subscription.confirmed_at.isoformat() if subscription.confirmed_at else "",
        ]


def subscribers_csv_response(subscriptions, *, label="subscribers"):
    writer = csv.writer(_Echo())
    stamp = timezone.now().strftime("%Y-%m-%d")
    return StreamingHttpResponse(
        (writer.writerow(row) for row in subscriber_rows(subscriptions)),
        content_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{label}-{stamp}.csv"'},
    )
