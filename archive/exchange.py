"""Export and import the whole archive as JSON Lines (docs/archive-format.md).

One JSON object per line, so both directions stream: export walks each table
with `.iterator()`, import reads one line at a time. Records refer to each
other by natural keys (series and author slugs, organization names, topic
slugs) except commentaries, which carry an archive-local `id` that replies
(`responds_to`) point at. Database ids are never relied on, so an archive
loads into any empty database, PostgreSQL or SQLite.
"""

import copy
import json
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_date, parse_datetime

from authors.models import Affiliation, Author, Organization
from commentaries import surroundings
from commentaries.models import Byline, Commentary, Series, TaggedCommentary, Topic
from pacforum import pagecache
from subscriptions.models import SubscriptionRequest

FORMAT = "pacforum-archive"
VERSION = 1
CHUNK = 500

SERIES_FIELDS = [
    "name",
    "slug",
    "short_label",
    "description",
    "disclaimer",
    "numbering",
    "subscribable",
    "feed_full_text",
    "position",
    "image",
    "image_alt",
    "created_at",
    "updated_at",
]
TOPIC_FIELDS = ["name", "slug", "description", "featured"]
ORGANIZATION_FIELDS = ["name", "url"]
AUTHOR_FIELDS = [
    "name",
    "sort_name",
    "slug",
    "email",
    "show_email",
    "photo",
    "short_bio",
    "long_bio",
    "created_at",
    "updated_at",
]
AFFILIATION_FIELDS = ["role", "start_date", "end_date", "is_current"]
COMMENTARY_FIELDS = [
    "title",
    "slug",
    "summary",
    "body",
    "status",
    "published_at",
    "year",
    "number",
    "suffix",
    "number_origin",
    "withdrawal_note",
    "withdrawn_at",
    "corrections",
    "pdf",
    "image",
    "image_alt",
    "original_publication",
    "original_url",
    "created_at",
    "updated_at",
]
BYLINE_FIELDS = ["position", "bio", "email"]
SUBSCRIPTION_FIELDS = [
    "name",
    "email",
    "organization",
    "status",
    "consent_text",
    "consent_version",
    "created_at",
    "updated_at",
    "confirmed_at",
    "unsubscribed_at",
    "last_requested_at",
    "confirmation_sent_at",
]
DATETIME_FIELDS = {
    "created_at",
    "withdrawn_at",
    "updated_at",
    "published_at",
    "confirmed_at",
    "unsubscribed_at",
    "last_requested_at",
    "confirmation_sent_at",
}
DATE_FIELDS = {"start_date", "end_date"}
FILE_FIELDS = {"photo", "pdf", "image"}
# Fields added after the format's first version, and their value when an
# older archive lacks them.
LATER_FIELDS = {
    "feed_full_text": None,
    "image": "",
    "image_alt": "",
    # A piece never withdrawn or corrected, its number as publishing assigned it.
    "number_origin": "assigned",
    "withdrawal_note": "",
    "withdrawn_at": None,
    "corrections": [],
}
TIMESTAMP_FIELDS = ("created_at", "updated_at")


class ArchiveError(Exception):
    """The archive cannot be loaded; the message says where and why."""


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def _values(obj, fields):
    return {
        field: (getattr(obj, field).name or "")
        if field in FILE_FIELDS
        else _plain(getattr(obj, field))
        for field in fields
    }


# --- export ----------------------------------------------------------------


def export_records(*, include_subscriptions: bool = False) -> Iterator[dict]:
    """Every record of the archive, in the order import needs them."""
    yield {
        "type": "archive",
        "format": FORMAT,
        "version": VERSION,
        "subscriptions": include_subscriptions,
    }
    for series in Series.objects.order_by("pk").iterator(chunk_size=CHUNK):
        yield {"type": "series", **_values(series, SERIES_FIELDS)}
    for topic in Topic.objects.order_by("pk").iterator(chunk_size=CHUNK):
        yield {"type": "topic", **_values(topic, TOPIC_FIELDS)}
    for organization in Organization.objects.order_by("pk").iterator(chunk_size=CHUNK):
        yield {"type": "organization", **_values(organization, ORGANIZATION_FIELDS)}
    authors = Author.objects.order_by("pk").prefetch_related("affiliations__organization")
    for author in authors.iterator(chunk_size=CHUNK):
        yield {
            "type": "author",
            **_values(author, AUTHOR_FIELDS),
            "affiliations": [
                {"organization": a.organization.name, **_values(a, AFFILIATION_FIELDS)}
                for a in author.affiliations.all()
            ],
        }
    commentaries = (
        Commentary.objects.order_by("pk")
        .select_related("series")
        .prefetch_related("bylines__author", "topics")
    )
    for commentary in commentaries.iterator(chunk_size=CHUNK):
        yield {
            "type": "commentary",
            "id": commentary.pk,
            "series": commentary.series.slug,
            "responds_to": commentary.responds_to_id,
            **_values(commentary, COMMENTARY_FIELDS),
            "topics": sorted(topic.slug for topic in commentary.topics.all()),
            "bylines": [
                {"author": byline.author.slug, **_values(byline, BYLINE_FIELDS)}
                for byline in commentary.bylines.all()
            ],
        }
    if include_subscriptions:
        requests = SubscriptionRequest.objects.order_by("pk").prefetch_related("series")
        for request in requests.iterator(chunk_size=CHUNK):
            yield {
                "type": "subscription_request",
                **_values(request, SUBSCRIPTION_FIELDS),
                "series": sorted(series.slug for series in request.series.all()),
            }


def write_archive(stream, *, include_subscriptions: bool = False) -> dict[str, int]:
    counts: dict[str, int] = {}
    for record in export_records(include_subscriptions=include_subscriptions):
        stream.write(json.dumps(record, ensure_ascii=False, sort_keys=True))
        stream.write("\n")
        counts[record["type"]] = counts.get(record["type"], 0) + 1
    counts.pop("archive")
    return counts


# --- import ----------------------------------------------------------------


def _parse(fields, record):
    values = {}
    for field in fields:
        if field not in record and field not in LATER_FIELDS:
            raise ArchiveError(f"missing field “{field}”")
        value = record[field] if field in record else copy.copy(LATER_FIELDS.get(field))
        if field in DATETIME_FIELDS and value is not None:
            parsed = parse_datetime(value)
            if parsed is None:
                raise ArchiveError(f"“{field}” is not a date and time: {value!r}")
            value = parsed
        elif field in DATE_FIELDS and value is not None:
            parsed = parse_date(value)
            if parsed is None:
                raise ArchiveError(f"“{field}” is not a date: {value!r}")
            value = parsed
        values[field] = value
    return values


def _lookup(mapping, key, what):
    try:
        return mapping[key]
    except KeyError:
        raise ArchiveError(f"refers to unknown {what} “{key}”") from None


def _save(obj, *, exclude=()):
    """Validate like a form would, save, then restore the archived timestamps."""
    stamps = {f: getattr(obj, f) for f in TIMESTAMP_FIELDS if hasattr(obj, f)}
    # Files are named, not carried: they were checked when first uploaded, and
    # re-reading every one from storage here would fail on a closed handle.
    exclude = [*exclude, *(f for f in FILE_FIELDS if hasattr(obj, f))]
    obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    obj.save()
    if stamps:
        type(obj).objects.filter(pk=obj.pk).update(**stamps)
    return obj


class _Importer:
    def __init__(self):
        self.series: dict[str, Series] = {}
        self.topics: dict[str, Topic] = {}
        self.organizations: dict[str, Organization] = {}
        self.authors: dict[str, Author] = {}
        self.commentaries: dict[int, int] = {}
        self.replies: list[tuple[int, int]] = []
        self.counts: dict[str, int] = {}

    def load(self, record):
        kind = record.get("type")
        handler = getattr(self, f"load_{kind}", None) if isinstance(kind, str) else None
        if handler is None:
            raise ArchiveError(f"unknown record type {kind!r}")
        handler(record)
        self.counts[kind] = self.counts.get(kind, 0) + 1

    def load_series(self, record):
        series = _save(Series(**_parse(SERIES_FIELDS, record)))
        self.series[series.slug] = series

    def load_topic(self, record):
        topic = Topic(**_parse(TOPIC_FIELDS, record))
        topic.save()
        self.topics[topic.slug] = topic

    def load_organization(self, record):
        organization = _save(Organization(**_parse(ORGANIZATION_FIELDS, record)))
        self.organizations[organization.name] = organization

    def load_author(self, record):
        author = _save(Author(**_parse(AUTHOR_FIELDS, record)))
        self.authors[author.slug] = author
        for item in record.get("affiliations", []):
            organization = _lookup(self.organizations, item.get("organization"), "organization")
            _save(
                Affiliation(
                    author=author, organization=organization, **_parse(AFFILIATION_FIELDS, item)
                )
            )

    def load_commentary(self, record):
        series = _lookup(self.series, record.get("series"), "series")
        commentary = _save(
            Commentary(series=series, **_parse(COMMENTARY_FIELDS, record)),
            exclude=["responds_to"],
        )
        self.commentaries[record.get("id")] = commentary.pk
        if record.get("responds_to") is not None:
            self.replies.append((commentary.pk, record["responds_to"]))
        # Bylines and topic links are stored as archived: Byline.save() would
        # refill an intentionally empty bio or email from today's profile.
        Byline.objects.bulk_create(
            Byline(
                commentary=commentary,
                author=_lookup(self.authors, item.get("author"), "author"),
                **_parse(BYLINE_FIELDS, item),
            )
            for item in record.get("bylines", [])
        )
        TaggedCommentary.objects.bulk_create(
            TaggedCommentary(content_object=commentary, tag=_lookup(self.topics, slug, "topic"))
            for slug in record.get("topics", [])
        )

    def load_subscription_request(self, record):
        request = _save(SubscriptionRequest(**_parse(SUBSCRIPTION_FIELDS, record)))
        request.series.set(
            [_lookup(self.series, slug, "series") for slug in record.get("series", [])]
        )

    def finish(self):
        for pk, archive_id in self.replies:
            original = self.commentaries.get(archive_id)
            if original is None:
                raise ArchiveError(f"a commentary responds to unknown commentary id {archive_id}")
            Commentary.objects.filter(pk=pk).update(responds_to_id=original)


def database_is_empty() -> bool:
    models = (Series, Topic, Organization, Author, Commentary, SubscriptionRequest)
    return not any(model.objects.exists() for model in models)


@transaction.atomic
def read_archive(lines: Iterable[str]) -> dict[str, int]:
    """Load an archive into an empty database; all or nothing.

    Every cached page is made stale once, at the end (`pagecache.held`):
    bylines and topic links are bulk-inserted (no signals), and working out
    the keys of each saved row would cost queries for nothing. For the same
    reason the derived data (neighbours and related pieces, credits, series
    menus) is worked out once, at the end (`surroundings.deferred`), not
    after each piece saved."""
    with pagecache.held(), surroundings.deferred():
        return _read(lines)


def _read(lines):
    if not database_is_empty():
        raise ArchiveError(
            "the database already has content; import_archive only loads into an empty "
            "database (run migrate on a new database first)"
        )
    importer = _Importer()
    header_seen = False
    number = 0
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ArchiveError("each line must be a JSON object")
            if not header_seen:
                if record.get("format") != FORMAT or record.get("type") != "archive":
                    raise ArchiveError("this is not a pacforum archive (no header line)")
                if record.get("version") != VERSION:
                    raise ArchiveError(
                        f"archive version {record.get('version')!r} is not supported "
                        f"(this pacforum reads version {VERSION})"
                    )
                header_seen = True
                continue
            importer.load(record)
        except json.JSONDecodeError as error:
            raise ArchiveError(f"line {number}: not valid JSON ({error.msg})") from None
        except ValidationError as error:
            raise ArchiveError(f"line {number}: {_messages(error)}") from None
        except IntegrityError as error:
            raise ArchiveError(
                f"line {number}: conflicts with an earlier record ({error})"
            ) from None
        except (ArchiveError, TypeError, ValueError) as error:
            raise ArchiveError(f"line {number}: {error}") from None
    if not header_seen:
        raise ArchiveError("the archive is empty")
    importer.finish()
    return importer.counts


def _messages(error):
    if hasattr(error, "message_dict"):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in error.message_dict.items())
    return " ".join(error.messages)
