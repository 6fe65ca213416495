"""Import a WordPress export into commentaries.

Every post goes in whole or not at all. New posts are written in batches of
multi-row INSERTs; a batch that fails is rolled back and its posts imported
again one transaction each, so a broken post is reported and skipped on its
own. Updated posts always get a transaction each.

Series, authors, topics, numbers, slugs and redirects are read once and kept
in memory for the run, so a post costs no lookup queries whatever the size of
the archive. What a rolled-back transaction added to them is undone (Journal).
"""

import copy
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
from django.core.validators import validate_email
from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.utils.text import Truncator, slugify

from authors.models import Author
from commentaries.models import Byline, Commentary, Series, TaggedCommentary, Topic
from pacforum.sanitizer import sanitize_html

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
SLUG_MAX = 100
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


@dataclass
class Entry:
    """A commentary's number or slug in the run's index: saved (pk) or about
    to be saved in the current batch (commentary)."""

    pk: int | None
    title: str = ""
    year: int | None = None
    commentary: Commentary | None = None

    def is_for(self, commentary):
        return self.pk is not None and self.pk == commentary.pk


class Journal:
    """Undo for the in-memory lookups when a transaction rolls back."""

    def __init__(self):
        self.undo = []

    def remember(self, mapping, key, value):
        if key not in mapping:
            mapping[key] = value
            self.undo.append(lambda: mapping.pop(key, None))

    def forget(self, mapping, key):
        if key in mapping:
            old = mapping.pop(key)
            self.undo.append(lambda: mapping.__setitem__(key, old))

    def commit(self):
        self.undo.clear()

    def rollback(self):
        for undo in reversed(self.undo):
            undo()
        self.undo.clear()


@dataclass
class Pending:
    """A new post, worked out and waiting for its batch to be written."""

    item: WxrItem
    prepared: Prepared
    commentary: Commentary
    source_hash: str
    original: Entry | None = None


class WxrImporter:
    """New posts are written in batches (a few multi-row INSERTs per batch);
    if a batch fails, its posts are imported again one transaction each, so
    the broken one is reported and skipped and the others still go in. Posts
    that changed since the last run are updated one transaction each."""

    batch_size = 200

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
        self.batch: list[tuple[WxrItem, str]] = []
        self.batch_keys: set = set()

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
        self._flush()
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
        # Numbers and slugs already taken, so that numbering a post needs no
        # query; the database constraints remain the final guard.
        self.numbers: dict[tuple, Entry] = {}
        self.slugs: dict[tuple, Entry] = {}
        rows = Commentary.objects.values_list(
            "pk", "series_id", "year", "number", "suffix", "slug", "title"
        )
        for pk, series_id, year, number, suffix, slug, title in rows.iterator(chunk_size=5000):
            entry = Entry(pk=pk, title=title, year=year)
            if number is not None:
                self.numbers[(series_id, year, number, suffix)] = entry
            if year is not None:
                self.slugs[(series_id, year, slug)] = entry
        self.redirects = {
            r.old_path: r
            for r in Redirect.objects.filter(site_id=self.site_id).only(
                "pk", "site_id", "old_path", "new_path"
            )
        }

    def _import_item(self, item: WxrItem):
        existing = self._existing(item)
        try:
            self._check_selected(item)
        except SkipPost as exc:
            self.report.skip(str(exc))
            return
        source_hash = self._fingerprint(item)
        if existing is not None and existing.source_hash == source_hash:
            self.report.unchanged += 1
            return
        key = item.post_id if item.post_id is not None else item.guid
        if existing is not None or key in self.batch_keys:
            self._flush()
            self._import_one(item, source_hash)
            return
        self.batch.append((item, source_hash))
        self.batch_keys.add(key)
        if len(self.batch) >= self.batch_size:
            self._flush()

    def _existing(self, item):
        if item.post_id is not None:
            return self.imported_by_id.get(item.post_id)
        return self.imported_by_guid.get(item.guid) if item.guid else None

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

    def _import_one(self, item, source_hash):
        """One post, one transaction: updates, and posts of a failed batch."""
        existing = self._existing(item)
        try:
            with transaction.atomic():
                prepared = self._prepare(item)
                imported = self._save(item, prepared, existing, source_hash)
        except SkipPost as exc:
            self.journal.rollback()
            self.report.skip(str(exc))
            return
        except (ValidationError, DatabaseError, ValueError, OSError) as exc:
            self.journal.rollback()
            self.report.skip(_describe(exc), item)
            return
        self.journal.commit()
        if existing is None:
            self.report.created += 1
            self._remember_imported(imported)
        else:
            self.report.updated += 1

    def _remember_imported(self, imported):
        if imported.wp_post_id is not None:
            self.imported_by_id[imported.wp_post_id] = imported
        else:
            self.imported_by_guid[imported.guid] = imported

    def _flush(self):
        batch, self.batch = self.batch, []
        self.batch_keys = set()
        if not batch:
            return
        snapshot = copy.deepcopy(self.report)
        try:
            with transaction.atomic():
                done = self._create_batch(batch)
        except (ValidationError, DatabaseError, ValueError, OSError):
            self.journal.rollback()
            self.report = snapshot
            for item, source_hash in batch:
                self._import_one(item, source_hash)
            return
        self.journal.commit()
        for imported in done:
            self._remember_imported(imported)
        self.report.created += len(done)

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
            _short_slug(title)
            or _short_slug(unquote(item.post_name))
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
                email = entry.email
                if email and not _is_email(email):
                    self.report.warn(f"{item}: “{email}” is not an email address; left out")
                    email = ""
                author = self._author(entry.name, email, bio=entry.bio, public=True)
                if author.pk in seen:
                    self.report.warn(f"{item}: {author.name} closes the piece twice")
                    continue
                seen.add(author.pk)
                bylines.append((author, entry.bio[:2000], email))
            return bylines
        wp_author = self.wp_authors.get(item.creator)
        if wp_author is None and item.creator:
            wp_author = WxrAuthor(login=item.creator)
        if wp_author is None:
            self.report.warn(f"{item}: no author")
            return []
        # A WordPress account's email is private: match on it, never print it.
        email = wp_author.email if _is_email(wp_author.email) else ""
        author = self._author(wp_author.name, email, bio="", public=False)
        return [(author, author.short_bio, "")]

    def _author(self, name, email, *, bio, public):
        email = email.strip()
        author = (email and self.authors_by_email.get(email.lower())) or self.authors_by_name.get(
            name.lower()
        )
        if author is not None:
            if email and not author.email and email.lower() not in self.authors_by_email:
                shown = author.show_email
                self.journal.undo.append(
                    lambda: (setattr(author, "email", ""), setattr(author, "show_email", shown))
                )
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
        series_categories = self.rules.series_categories
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
    def _apply(self, commentary: Commentary, prepared: Prepared, item) -> Entry | None:
        """Fill a commentary from a prepared post, numbered and slugged against
        the in-memory index. Returns the original's entry for a response."""
        if commentary.pk is not None:
            self._unindex(commentary)
        commentary.series = prepared.series
        commentary.title = prepared.title
        commentary.status = prepared.status
        commentary.published_at = prepared.published_at
        commentary.year = prepared.year
        commentary.number = prepared.number
        commentary.suffix = prepared.suffix
        commentary.body = prepared.body
        commentary.summary = prepared.summary
        original = self._number(item, commentary)
        if commentary.pk is None or commentary.slug != prepared.slug:
            commentary.slug = self._free_slug(commentary, prepared.slug)
        # Foreign keys point at rows this run just read or wrote, and numbers
        # and slugs were checked against the index above: skip the per-row
        # queries and leave the last word to the database constraints.
        commentary.full_clean(
            exclude=["series", "responds_to"], validate_unique=False, validate_constraints=False
        )
        self._index(commentary)
        return original

    def _index(self, commentary):
        entry = Entry(
            pk=commentary.pk,
            title=commentary.title,
            year=commentary.year,
            commentary=commentary if commentary.pk is None else None,
        )
        series_id = commentary.series_id
        if commentary.number is not None:
            key = (series_id, commentary.year, commentary.number, commentary.suffix)
            self.journal.remember(self.numbers, key, entry)
        self.journal.remember(self.slugs, (series_id, commentary.year, commentary.slug), entry)

    def _unindex(self, commentary):
        """Forget where an updated piece stood before (as loaded from the database)."""
        series_id = commentary.series_id
        key = (series_id, commentary.year, commentary.number, commentary.suffix)
        if self.numbers.get(key) and self.numbers[key].is_for(commentary):
            self.journal.forget(self.numbers, key)
        key = (series_id, commentary.year, commentary.slug)
        if self.slugs.get(key) and self.slugs[key].is_for(commentary):
            self.journal.forget(self.slugs, key)

    def _free_slug(self, commentary, base):
        """`commentaries.services.unique_slug`, against the index."""
        series_id, year = commentary.series_id, commentary.year
        slug, n = base, 1
        while (taken := self.slugs.get((series_id, year, slug))) and not taken.is_for(commentary):
            n += 1
            slug = f"{base[: 200 - len(str(n)) - 1]}-{n}"
        return slug

    def _number(self, item, commentary) -> Entry | None:
        """Keep the number from the title unless another piece already has it."""
        if commentary.number is None:
            return None
        series_id = commentary.series_id
        original = None
        if commentary.suffix:
            original = self._original(series_id, commentary.year, commentary.number)
            if original is not None:
                commentary.year = original.year
                commentary.responds_to_id = original.pk
        key = (series_id, commentary.year, commentary.number, commentary.suffix)
        taken = self.numbers.get(key)
        if taken is None or taken.is_for(commentary):
            return original
        label = f"{commentary.series.short_label} #{commentary.number}{commentary.suffix}"
        if original is not None:
            # `commentaries.services.next_response_suffix`, against the index.
            n = 2
            while (series_id, commentary.year, commentary.number, f"R{n}") in self.numbers:
                n += 1
            commentary.suffix = f"R{n}"
            self.report.warn(
                f"{item}: {label} ({commentary.year}) exists; numbered {commentary.label}"
            )
            return original
        self.report.warn(
            f"{item}: {label} ({commentary.year}) is already “{taken.title}”; "
            "imported without a number"
        )
        commentary.number = None
        commentary.suffix = ""
        return None

    def _original(self, series_id, year, number) -> Entry | None:
        """The piece a response answers: same number, this year or the year before."""
        for candidate_year in (year, year - 1):
            entry = self.numbers.get((series_id, candidate_year, number, ""))
            if entry is not None:
                return entry
        return None

    def _bylines_for(self, commentary, prepared):
        bylines = []
        for position, (author, bio, email) in enumerate(prepared.authors):
            byline = Byline(
                commentary=commentary, author=author, position=position, bio=bio, email=email
            )
            byline.full_clean(exclude=["commentary", "author"], validate_unique=False)
            bylines.append(byline)
        return bylines

    def _save(self, item, prepared: Prepared, existing, source_hash):
        if existing is not None:
            commentary = Commentary.objects.select_for_update().get(pk=existing.commentary_id)
        else:
            commentary = Commentary()
        self._apply(commentary, prepared, item)
        commentary.save()
        self._index_saved(commentary)
        bylines = self._bylines_for(commentary, prepared)
        if existing is not None:
            commentary.bylines.all().delete()
            commentary.topics.set(prepared.topics)
        elif prepared.topics:
            # taggit's add() runs a get_or_create per tag; a new piece has none yet.
            TaggedCommentary.objects.bulk_create(
                TaggedCommentary(content_object=commentary, tag=topic) for topic in prepared.topics
            )
        Byline.objects.bulk_create(bylines)
        create, change = self._redirects(prepared.old_paths, commentary.get_absolute_url())
        Redirect.objects.bulk_create(create)
        if change:
            Redirect.objects.bulk_update(change, ["new_path"])
        imported = existing or ImportedPost(commentary_id=commentary.pk)
        self._fill_imported(imported, item, source_hash)
        imported.save()
        return imported

    def _index_saved(self, commentary):
        """The pending entries of a piece just written now know its pk, and let
        go of the object (its body) so memory stays flat over a long run."""
        keys = [(self.slugs, (commentary.series_id, commentary.year, commentary.slug))]
        if commentary.number is not None:
            key = (commentary.series_id, commentary.year, commentary.number, commentary.suffix)
            keys.append((self.numbers, key))
        for index, key in keys:
            entry = index.get(key)
            if entry is not None and entry.commentary is commentary:
                entry.pk, entry.commentary = commentary.pk, None

    @staticmethod
    def _fill_imported(imported, item, source_hash):
        imported.wp_post_id = item.post_id
        imported.guid = item.guid[:500]
        imported.post_type = item.post_type[:40]
        imported.link = item.link[:500]
        imported.source_hash = source_hash

    def _create_batch(self, batch):
        pending = []
        for item, source_hash in batch:
            try:
                prepared = self._prepare(item)
            except SkipPost as exc:
                self.report.skip(str(exc))
                continue
            commentary = Commentary()
            original = self._apply(commentary, prepared, item)
            pending.append(Pending(item, prepared, commentary, source_hash, original))
        commentaries = [p.commentary for p in pending]
        for commentary in commentaries:
            # What Commentary.save() does, since bulk_create does not call it.
            commentary.body = sanitize_html(commentary.body)
        Commentary.objects.bulk_create(commentaries)
        for commentary in commentaries:
            self._index_saved(commentary)
        answered = []
        for p in pending:
            if p.original is not None and p.commentary.responds_to_id is None:
                p.commentary.responds_to_id = p.original.pk
                answered.append(p.commentary)
        if answered:
            Commentary.objects.bulk_update(answered, ["responds_to"])
        bylines, tagged, redirects_new, redirects_changed, imported = [], [], [], {}, []
        for p in pending:
            bylines.extend(self._bylines_for(p.commentary, p.prepared))
            tagged.extend(
                TaggedCommentary(content_object=p.commentary, tag=topic)
                for topic in p.prepared.topics
            )
            create, change = self._redirects(p.prepared.old_paths, p.commentary.get_absolute_url())
            redirects_new.extend(create)
            redirects_changed.update((r.pk, r) for r in change)
            row = ImportedPost(commentary_id=p.commentary.pk)
            self._fill_imported(row, p.item, p.source_hash)
            imported.append(row)
        Byline.objects.bulk_create(bylines)
        TaggedCommentary.objects.bulk_create(tagged)
        Redirect.objects.bulk_create(redirects_new)
        if redirects_changed:
            Redirect.objects.bulk_update(list(redirects_changed.values()), ["new_path"])
        return ImportedPost.objects.bulk_create(imported)

    def _redirects(self, paths, new_path):
        """Redirects to create and to repoint, from the in-memory index."""
        create, change = [], []
        for path in paths:
            if path == new_path:  # the same address on both sites: nothing to redirect
                continue
            redirect = self.redirects.get(path)
            if redirect is None:
                redirect = Redirect(site_id=self.site_id, old_path=path, new_path=new_path)
                self.journal.remember(self.redirects, path, redirect)
                create.append(redirect)
            elif redirect.new_path != new_path:
                old = redirect.new_path
                redirect.new_path = new_path
                self.journal.undo.append(lambda r=redirect, old=old: setattr(r, "new_path", old))
                if redirect.pk is not None:
                    change.append(redirect)
            else:
                continue
            self.report.redirects += 1
        return create, change

    def _link_responses(self):
        """A response read before the piece it answers is linked at the end."""
        waiting = Commentary.objects.filter(
            wordpress_import__isnull=False,
            responds_to__isnull=True,
            number__isnull=False,
        ).exclude(suffix="")
        for response in waiting.only("pk", "series_id", "year", "number", "suffix"):
            original = self._original(response.series_id, response.year, response.number)
            if original is None or original.pk is None:
                continue
            response.responds_to_id = original.pk
            response.save(update_fields=["responds_to"])
            self.report.responses_linked += 1


def _is_email(value):
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _short_slug(text):
    """At most SLUG_MAX characters, cut at a hyphen: the new address must fit
    a redirect's 200-character `new_path` with the series and year in front."""
    slug = slugify(text)
    if len(slug) > SLUG_MAX:
        slug = slug[: SLUG_MAX + 1].rsplit("-", 1)[0] if "-" in slug[:SLUG_MAX] else slug[:SLUG_MAX]
    return slug.strip("-")


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
