"""Bring an existing list (Mailchimp, a WordPress plugin) in from CSV.

Columns are found by their usual names (Mailchimp's "Email Address",
"CONFIRM_TIME"…) or mapped by hand. A record that carries a consent time keeps
it and its source and is imported confirmed, with no new opt-in; a record
without one is skipped (or, if asked, imported pending, to confirm by email).
Duplicates and invalid addresses are skipped, and every skip is reported by
line number and reason.
"""

import csv
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from commentaries.models import Series

from .addresses import canonical_email
from .models import SubscriptionRequest

FIELDS = (
    "email",
    "name",
    "first_name",
    "last_name",
    "organization",
    "series",
    "consent_time",
    "source",
)
ALIASES = {
    "email": ["email", "email address", "e-mail", "e-mail address", "user_email", "mail"],
    "name": ["name", "full name", "display name", "display_name"],
    "first_name": ["first name", "first_name", "fname", "firstname"],
    "last_name": ["last name", "last_name", "lname", "lastname"],
    "organization": ["organization", "organisation", "company", "affiliation", "org"],
    "series": ["series", "lists", "list", "tags", "groups", "interests"],
    "consent_time": [
        "consent time",
        "consent_time",
        "consented at",
        "confirm_time",
        "optin_time",
        "subscribed",
        "date subscribed",
        "subscribed_at",
        "created",
    ],
    "source": ["source", "origin", "signup source"],
}
DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d", "%d/%m/%Y %H:%M", "%m/%d/%Y")


class ImportError_(ValueError):
    """The file as a whole cannot be imported (no email column, unknown default series)."""


@dataclass
class ImportReport:
    imported: int = 0
    pending: int = 0
    skipped: list = field(default_factory=list)  # (line, reason)

    def skip(self, line, reason):
        self.skipped.append((line, reason))


def find_columns(header: list[str], overrides: dict[str, str]) -> dict[str, str]:
    lowered = {column.strip().lower(): column for column in header}
    columns = {}
    for name in FIELDS:
        if name in overrides:
            wanted = overrides[name].strip().lower()
            if wanted not in lowered:
                raise ImportError_(f"No column “{overrides[name]}” in the file.")
            columns[name] = lowered[wanted]
            continue
        for alias in ALIASES[name]:
            if alias in lowered:
                columns[name] = lowered[alias]
                break
    if "email" not in columns:
        raise ImportError_("No email column: name it with --map email=<column>.")
    return columns


def parse_time(value: str):
    value = (value or "").strip()
    if not value:
        return None
    moment = parse_datetime(value.replace("Z", "+00:00"))
    if moment is None:
        for pattern in DATE_FORMATS:
            try:
                moment = datetime.strptime(value, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        raise ValueError(f"unreadable consent time “{value[:40]}”")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    if moment > timezone.now():
        raise ValueError("consent time in the future")
    return moment


def resolve_series(value: str, *, default: list, known: dict) -> list:
    names = [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
    if not names:
        return default
    found = []
    for name in names:
        series = known.get(name.lower())
        if series is None:
            raise ValueError(f"unknown series “{name[:60]}”")
        found.append(series)
    return found


def import_subscribers(
    lines,
    *,
    overrides: dict[str, str] | None = None,
    default_series: list | None = None,
    source: str = "import",
    without_consent: str = "skip",
    dry_run: bool = False,
) -> ImportReport:
    reader = csv.DictReader(lines)
    columns = find_columns(reader.fieldnames or [], overrides or {})
    known = {}
    for series in Series.objects.filter(subscribable=True):
        known[series.slug.lower()] = series
        known[series.name.lower()] = series
    default_series = default_series or []
    report = ImportReport()
    seen = set()

    def cell(row, name):
        column = columns.get(name)
        return (row.get(column) or "").strip() if column else ""

    with transaction.atomic():
        for line, row in enumerate(reader, start=2):
            try:
                # Stored in the one canonical form the form uses (addresses.py).
                email = canonical_email(cell(row, "email"))
            except ValidationError:
                report.skip(line, "invalid email address")
                continue
            key = email
            if key in seen:
                report.skip(line, "duplicate of an earlier line")
                continue
            seen.add(key)
            if SubscriptionRequest.objects.filter(Q(email__iexact=email)).exists():
                report.skip(line, "already on the list")
                continue
            try:
                series = resolve_series(cell(row, "series"), default=default_series, known=known)
                consent = parse_time(cell(row, "consent_time"))
            except ValueError as error:
                report.skip(line, str(error))
                continue
            if not series:
                report.skip(line, "no series (give --series)")
                continue
            if consent is None and without_consent == "skip":
                report.skip(line, "no consent time: not imported (see --without-consent)")
                continue
            name = cell(row, "name") or " ".join(
                part for part in (cell(row, "first_name"), cell(row, "last_name")) if part
            )
            origin = (cell(row, "source") or source)[:100]
            subscription = SubscriptionRequest(
                name=name[:200],
                email=email,
                organization=cell(row, "organization")[:200],
                source=origin,
                consent_version="import",
                consent_text=(
                    f"Consent given at {consent.isoformat()}, recorded by {origin}; imported "
                    f"{timezone.now():%Y-%m-%d}."
                    if consent
                    else f"Imported from {origin} without a consent record; awaiting confirmation."
                ),
            )
            if consent:
                subscription.status = SubscriptionRequest.Status.CONFIRMED
                subscription.confirmed_at = consent
                subscription.last_requested_at = consent
                report.imported += 1
            else:
                report.pending += 1
            subscription.full_clean(exclude=["name"], validate_constraints=False)
            subscription.save()
            subscription.series.set(series)
        if dry_run:
            transaction.set_rollback(True)
    return report
