"""Import a WordPress export into commentaries, one post per transaction.

Series, authors and topics are looked up once and kept in memory for the run,
so a post costs a handful of queries whatever the size of the archive. What a
post creates in those caches is forgotten again if its transaction fails.
"""

import hashlib
import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.redirects.models import Redirect
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.utils.text import Truncator, slugify

from authors.models import Author
from commentaries.models import Byline, Commentary, Series, TaggedCommentary, Topic
from commentaries.services import next_response_suffix, unique_slug

from .cleaning import (
    ClosingAuthor,
    clean_body,
    make_summary,
    rewrite_uploads,
    split_closing_paragraphs,
)
from .models import ImportedPost
from .rules import Rules
from .wxr import WxrAuthor, WxrItem, read_wxr

STATUS_MAP = {
    "publish": Commentary.Status.PUBLISHED,
    "future": Commentary.Status.PUBLISHED,
    "draft": Commentary.Status.DRAFT,
    "pending": Commentary.Status.DRAFT,
    "private": Commentary.Status.DRAFT,
}
REDIRECT_PATH_MAX = Redirect._meta.get_field("old_path").max_length
MAX_LISTED = 200  # warnings and broken posts listed in full; the rest are counted


class SkipPost(Exception):
    """This post is not imported; the message says why."""


@dataclass
class ImportReport:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: Counter = field(default_factory=Counter)
    broken: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    missing_files: set[str] = field(default_factory=set)
    copied_files: int = 0
    redirects: int = 0
    responses_linked: int = 0
    seconds: float = 0.0

    def warn(self, message):
        self.warning_count += 1
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append(message)

    def skip(self, reason, item=None):
        self.skipped[reason] += 1
        if item is not None and len(self.broken) < MAX_LISTED:
            self.broken.append(f"{item} (line {item.line}): {reason}")

    @property
    def processed(self):
        return self.created + self.updated + self.unchanged + sum(self.skipped.values())


@dataclass
class Prepared:
    """Everything a post becomes, worked out before the transaction opens."""

    series: Series
    title: str
    slug: str
    status: str
    published_at: datetime | None
    year: int
    number: int | None
    suffix: str
    body: str
    summary: str
    authors: list[tuple[Author, str, str]]  # (author, bio, email)
    topics: list[Topic]
    old_paths: list[str]


def old_path(url: str) -> str:
    """A WordPress URL as the path Django will see: `request.get_full_path()`."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https", ""):
        return ""
    path = escape_uri_path(unquote(parts.path or "/"))
    return f"{path}?{parts.query}" if parts.query else path


class Journal:
    """In-memory lookups that must forget what a rolled-back post added."""

    def __init__(self):
        self.undo = []

    def remember(self, mapping, key, value):
        if key not in mapping:
            mapping[key] = value
            self.undo.append((mapping, key))

    def commit(self):
        self.undo.clear()

    def rollback(self):
        for mapping, key in reversed(self.undo):
            mapping.pop(key, None)
        self.undo.clear()


class WxrImporter:
    def __init__(
        self,
        *,
        rules: Rules,
        default_series: Series | None = None,
        uploads: Path | None = None,
        dry_run: bool = False,
        progress: Callable[[ImportReport], None] | None = None,
    ):
        self.rules = rules
        self.default_series = default_series
        self.uploads = uploads.resolve() if uploads else None
        self.dry_run = dry_run
        self.progress = progress or (lambda report: None)
        self.report = ImportReport()
        self.journal = Journal()
        self.wp_authors: dict[str, WxrAuthor] = {}
        self.site_id = settings.SITE_ID
        self.fingerprint_base = json.dumps(
            [rules.fingerprint, default_series.slug if default_series else "", bool(uploads)]
        )

    # -- running -------------------------------------------------------------

    def check(self, path) -> int:
        """Read the whole file once without writing: a truncated or malformed
        export fails here, before anything is changed. Returns the post count."""
        return sum(1 for entry in read_wxr(path) if isinstance(entry, WxrItem))

    def run(self, path) -> ImportReport:
        started = time.monotonic()
        self.report.total = self.check(path)
        self._load_caches()
        if self.dry_run:
            with transaction.atomic():
                self._import_all(path)
                transaction.set_rollback(True)
        else:
            self._import_all(path)
        self.report.seconds = time.monotonic() - started
        return self.report

    def _import_all(self, path):
        for entry in read_wxr(path):
            if isinstance(entry, WxrAuthor):
                self.wp_authors[entry.login] = entry
                continue
            self._import_item(entry)
            self.progress(self.report)
        self._link_responses()

    def _load_caches(self):
        self.imported_by_id, self.imported_by_guid = {}, {}
        for row in ImportedPost.objects.all():
            if row.wp_post_id is not None:
                self.imported_by_id[row.wp_post_id] = row
            elif row.guid:
                self.imported_by_guid[row.guid] = row
        self.series = {s.slug: s for s in Series.objects.all()}
        self.series_by_name = {s.name.lower(): s for s in self.series.values()}
        self.authors_by_email = {}
        self.authors_by_name = {}
        self.author_slugs = {}
        for author in Author.objects.order_by("pk"):
            if author.email:
                self.authors_by_email.setdefault(author.email.lower(), author)
            self.authors_by_name.setdefault(author.name.lower(), author)
            self.author_slugs[author.slug] = author
        self.topics_by_slug = {}
        self.topics_by_name = {}
        for topic in Topic.objects.all():
            self.topics_by_slug[topic.slug] = topic
            self.topics_by_name[topic.name.lower()] = topic

    def _import_item(self, item: WxrItem):
        report = self.report
        existing = None
        if item.post_id is not None:
            existing = self.imported_by_id.get(item.post_id)
        elif item.guid:
            existing = self.imported_by_guid.get(item.guid)
        try:
            self._check_selected(item)
            source_hash = self._fingerprint(item)
            if existing is not None and existing.source_hash == source_hash:
                report.unchanged += 1
                return
            with transaction.atomic():
                prepared = self._prepare(item)
                imported = self._save(item, prepared, existing, source_hash)
        except SkipPost as exc:
            self.journal.rollback()
            report.skip(str(exc))
            return
        except (ValidationError, DatabaseError, ValueError, OSError) as exc:
            self.journal.rollback()
            report.skip(_describe(exc), item)
            return
        self.journal.commit()
        if existing is None:
            report.created += 1
            if imported.wp_post_id is not None:
                self.imported_by_id[imported.wp_post_id] = imported
            else:
                self.imported_by_guid[imported.guid] = imported
        else:
            report.updated += 1

    def _check_selected(self, item):
        if item.post_type not in self.rules.post_types:
            raise SkipPost(f"post type “{item.post_type}” is not imported")
        if item.status not in STATUS_MAP:
            raise SkipPost(f"WordPress status “{item.status or 'none'}” is not imported")
        if item.post_id is None and not item.guid:
            raise SkipPost("no wp:post_id and no guid")

    def _fingerprint(self, item):
        author = self.wp_authors.get(item.creator)
        payload = [self.fingerprint_base, item.fingerprint_fields(), author and vars(author)]
        return hashlib.sha256(json.dumps(payload, default=str).encode()).hexdigest()

    # -- working out a post --------------------------------------------------

    def _prepare(self, item: WxrItem) -> Prepared:
        match = self.rules.match_title(item.title)
        term_slugs = {_term_slug(t.nicename, t.name) for t in item.terms}
        series_slug = match.series_slug or self.rules.series_for_category(term_slugs)
        series = self._series(series_slug) if series_slug else self.default_series
        if series is None:
            raise SkipPost(
                "no title pattern or category names a series (pass --default-series SLUG)"
            )
        title = match.title
        if len(title) > 255:
            self.report.warn(f"{item}: title shortened to 255 characters")
            title = Truncator(title).chars(255)

        status = STATUS_MAP[item.status]
        if status == Commentary.Status.PUBLISHED and item.password:
            self.report.warn(f"{item}: password-protected in WordPress; imported as a draft")
            status = Commentary.Status.DRAFT
        when = self._publish_time(item)
        year = timezone.localtime(when).year
        published_at = when if status == Commentary.Status.PUBLISHED else None

        body = clean_body(item.content, self.rules)
        body, closing = split_closing_paragraphs(body, self.rules)
        body = rewrite_uploads(body, lambda path: self._copy_upload(path, item))
        slug = (
            slugify(title)[:200].strip("-")
            or slugify(unquote(item.post_name))[:200].strip("-")
            or f"post-{item.post_id or hashlib.sha1(item.guid.encode()).hexdigest()[:10]}"  # noqa: S324
        )
        paths = []
        for url in (item.link, item.guid, f"/?p={item.post_id}" if item.post_id else ""):
            path = old_path(url) if url else ""
            if not path or path == "/" or path in paths:
                continue
            if len(path) > REDIRECT_PATH_MAX:
                self.report.warn(f"{item}: old address longer than {REDIRECT_PATH_MAX} characters")
                continue
            paths.append(path)
        return Prepared(
            series=series,
            title=title,
            slug=slug,
            status=status,
            published_at=published_at,
            year=year,
            number=match.number,
            suffix=match.suffix if match.number is not None else "",
            body=body,
            summary=make_summary(item.excerpt, body),
            authors=self._bylines(item, closing),
            topics=self._topics(item),
            old_paths=paths,
        )

    def _publish_time(self, item):
        if item.post_date_gmt is not None:
            return item.post_date_gmt.replace(tzinfo=UTC)
        if item.post_date is not None:
            return timezone.make_aware(item.post_date)
        return timezone.now()

    def _series(self, slug):
        series = self.series.get(slug)
        if series is not None:
            return series
        rule = self.rules.rule_for(slug)
        if rule is None:
            raise SkipPost(f"series “{slug}” does not exist")
        series = self.series_by_name.get(rule.name.lower())
        if series is None:
            series = Series(
                slug=rule.slug,
                name=rule.name,
                short_label=rule.short_label,
                numbering=rule.numbering,
            )
            series.full_clean()
            series.save()
            self.report.warn(f"created the series “{series.name}” (/{series.slug}/)")
        self.journal.remember(self.series, slug, series)
        return series

    def _bylines(self, item, closing: list[ClosingAuthor]):
        bylines, seen = [], set()
        if closing:
            for entry in closing:
                author = self._author(entry.name, entry.email, bio=entry.bio, public=True)
                if author.pk in seen:
                    self.report.warn(f"{item}: {author.name} closes the piece twice")
                    continue
                seen.add(author.pk)
                bylines.append((author, entry.bio[:2000], entry.email))
            return bylines
        wp_author = self.wp_authors.get(item.creator)
        if wp_author is None and item.creator:
            wp_author = WxrAuthor(login=item.creator)
        if wp_author is None:
            self.report.warn(f"{item}: no author")
            return []
        # A WordPress account's email is private: match on it, never print it.
        author = self._author(wp_author.name, wp_author.email, bio="", public=False)
        return [(author, author.short_bio, "")]

    def _author(self, name, email, *, bio, public):
        email = email.strip()
        author = (email and self.authors_by_email.get(email.lower())) or self.authors_by_name.get(
            name.lower()
        )
        if author is not None:
            if email and not author.email and email.lower() not in self.authors_by_email:
                author.email = email
                author.show_email = author.show_email or public
                author.save(update_fields=["email", "show_email", "updated_at"])
                self.journal.remember(self.authors_by_email, email.lower(), author)
            return author
        base = slugify(name)[:190] or "author"
        slug, n = base, 1
        while slug in self.author_slugs:
            n += 1
            slug = f"{base}-{n}"
        author = Author(
            name=name[:200],
            slug=slug,
            email=email,
            show_email=public and bool(email),
            short_bio=Truncator(bio).chars(300),
        )
        author.full_clean()
        author.save()
        self.journal.remember(self.authors_by_name, name.lower(), author)
        if email:
            self.journal.remember(self.authors_by_email, email.lower(), author)
        self.journal.remember(self.author_slugs, slug, author)
        return author

    def _topics(self, item):
        series_categories = self.rules.series_categories()
        topics = []
        for term in item.terms:
            if term.domain not in ("category", "post_tag"):
                continue
            slug = _term_slug(term.nicename, term.name)
            if not slug or slug in self.rules.ignore_terms:
                continue
            if term.domain == "category" and slug in series_categories:
                continue
            name = (term.name or slug)[:100]
            topic = self.topics_by_slug.get(slug) or self.topics_by_name.get(name.lower())
            if topic is None:
                topic = Topic(name=name, slug=slug)
                topic.full_clean()
                topic.save()
                self.journal.remember(self.topics_by_slug, slug, topic)
                self.journal.remember(self.topics_by_name, name.lower(), topic)
            if topic not in topics:
                topics.append(topic)
        return topics

    def _copy_upload(self, path, item):
        path = unquote(path).lstrip("/")
        if self.uploads is None:
            self.report.missing_files.add(f"{path} (no --uploads directory given)")
            return None
        source = (self.uploads / path).resolve()
        if not source.is_relative_to(self.uploads) or not source.is_file():
            self.report.missing_files.add(path)
            return None
        name = f"wordpress/{path}"
        if not self.dry_run and not default_storage.exists(name):
            with source.open("rb") as handle:
                name = default_storage.save(name, File(handle))
            self.report.copied_files += 1
        return default_storage.url(name)

    # -- writing -------------------------------------------------------------

    def _save(self, item, prepared: Prepared, existing, source_hash):
        if existing is not None:
            commentary = Commentary.objects.select_for_update().get(pk=existing.commentary_id)
        else:
            commentary = Commentary()
        commentary.series = prepared.series
        commentary.title = prepared.title
        commentary.status = prepared.status
        commentary.published_at = prepared.published_at
        commentary.year = prepared.year
        commentary.number = prepared.number
        commentary.suffix = prepared.suffix
        commentary.body = prepared.body
        commentary.summary = prepared.summary
        self._number(item, commentary)
        if existing is None or commentary.slug != prepared.slug:
            commentary.slug = prepared.slug
            commentary.slug = unique_slug(commentary=commentary)
        commentary.full_clean()
        commentary.save()

        bylines = []
        for position, (author, bio, email) in enumerate(prepared.authors):
            byline = Byline(
                commentary=commentary, author=author, position=position, bio=bio, email=email
            )
            # Both sides are known to exist: skip the per-row foreign key queries.
            byline.full_clean(exclude=["commentary", "author"], validate_unique=False)
            bylines.append(byline)
        if existing is not None:
            commentary.bylines.all().delete()
            commentary.topics.set(prepared.topics)
        elif prepared.topics:
            # taggit's add() runs a get_or_create per tag; a new piece has none yet.
            TaggedCommentary.objects.bulk_create(
                TaggedCommentary(content_object=commentary, tag=topic) for topic in prepared.topics
            )
        Byline.objects.bulk_create(bylines)

        imported = existing or ImportedPost(commentary=commentary)
        imported.wp_post_id = item.post_id
        imported.guid = item.guid[:500]
        imported.post_type = item.post_type[:40]
        imported.link = item.link[:500]
        self._redirect(prepared.old_paths, commentary.get_absolute_url())
        imported.source_hash = source_hash
        imported.save()
        return imported

    def _number(self, item, commentary):
        """Keep the number from the title unless another piece already has it."""
        if commentary.number is None:
            return
        if commentary.suffix:
            original = self._original(commentary)
            if original is not None:
                commentary.responds_to = original
                commentary.year = original.year
        taken = (
            Commentary.objects.filter(
                series=commentary.series,
                year=commentary.year,
                number=commentary.number,
                suffix=commentary.suffix,
            )
            .exclude(pk=commentary.pk)
            .first()
        )
        if taken is None:
            return
        if commentary.suffix and commentary.responds_to is not None:
            commentary.suffix = next_response_suffix(original=commentary.responds_to)
            self.report.warn(
                f"{item}: {taken.label} ({taken.year}) exists; numbered {commentary.label}"
            )
            return
        self.report.warn(
            f"{item}: {taken.label} ({taken.year}) is already “{taken.title}”; "
            "imported without a number"
        )
        commentary.number = None
        commentary.suffix = ""

    def _original(self, response):
        candidates = Commentary.objects.filter(
            series=response.series,
            number=response.number,
            suffix="",
            year__in=[response.year, response.year - 1],
        ).order_by("-year")
        return candidates.first()

    def _redirect(self, paths, new_path):
        if not paths:
            return
        existing = {
            r.old_path: r for r in Redirect.objects.filter(site_id=self.site_id, old_path__in=paths)
        }
        changed = [r for r in existing.values() if r.new_path != new_path]
        for redirect in changed:
            redirect.new_path = new_path
        if changed:
            Redirect.objects.bulk_update(changed, ["new_path"])
        Redirect.objects.bulk_create(
            Redirect(site_id=self.site_id, old_path=path, new_path=new_path)
            for path in paths
            if path not in existing
        )
        self.report.redirects += len(changed) + len(paths) - len(existing)

    def _link_responses(self):
        """A response read before the piece it answers is linked at the end."""
        waiting = Commentary.objects.filter(
            wordpress_import__isnull=False,
            responds_to__isnull=True,
            number__isnull=False,
        ).exclude(suffix="")
        for response in waiting.select_related("series"):
            original = self._original(response)
            if original is None:
                continue
            response.responds_to = original
            response.save(update_fields=["responds_to", "updated_at"])
            self.report.responses_linked += 1


def _term_slug(nicename, name):
    """An ASCII slug (topic addresses are ASCII), made up when the name has none."""
    slug = slugify(unquote(nicename or "")) or slugify(name or "")
    if not slug and (name or nicename):
        digest = hashlib.sha1((name or nicename).encode()).hexdigest()[:8]  # noqa: S324
        slug = f"topic-{digest}"
    return slug


def _describe(exc):
    if isinstance(exc, ValidationError):
        messages = []
        for field_name, errors in getattr(exc, "message_dict", {"": exc.messages}).items():
            prefix = f"{field_name}: " if field_name and field_name != "__all__" else ""
            messages.extend(prefix + message for message in errors)
        return "; ".join(messages) or str(exc)
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def use_fast_commits():
    """Each post is its own transaction; on PostgreSQL, let commits return
    before the WAL reaches the disk. A crash can lose the last few posts but
    never corrupts anything, and re-running the import puts them back."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
