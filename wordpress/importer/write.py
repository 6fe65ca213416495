"""Writing prepared posts: one transaction per post, or a batch of new posts
in a few multi-row INSERTs.

Series, authors and topics are found in the index or created; numbers and
slugs are checked against it; redirects are created or repointed without a
query per post. Everything added to the index is journaled, so the caller can
undo it if the transaction rolls back.
"""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.flatpages.models import FlatPage
from django.contrib.redirects.models import Redirect
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.text import Truncator, slugify

from authors.models import Author
from commentaries import readiness
from commentaries.models import Byline, Commentary, Series, TaggedCommentary, Topic
from commentaries.numbering import format_label
from pacforum.uploads import clean_upload, store_upload

from ..cleaning import rewrite_uploads
from ..models import ImportedPost
from ..rules import Rules
from ..tasks import make_image_renditions
from .index import Entry, Index, Journal
from .prepare import AuthorSpec, PagePlan, Plan, SkipPost, TopicSpec
from .report import PostLog
from .wxr import WxrItem


@dataclass
class Pending:
    """A new post, prepared and waiting for its batch to be written."""

    item: WxrItem
    plan: Plan
    log: PostLog
    commentary: Commentary
    source_hash: str
    original: Entry | None = None
    skip: str = ""


UPLOADS_FOLDER = "wordpress"


class Writer:
    def __init__(
        self,
        *,
        index: Index,
        journal: Journal,
        rules: Rules,
        default_series: Series | None,
        uploads: Path | None,
        dry_run: bool,
        notes: list[str],
    ):
        self.index = index
        self.journal = journal
        self.rules = rules
        self.default_series = default_series
        self.uploads = uploads
        self.dry_run = dry_run
        self.notes = notes
        self.copied: dict[Path, str] = {}  # uploads already stored in this run

    # -- what a post refers to ----------------------------------------------

    def series(self, plan: Plan) -> Series:
        slug = plan.series_slug
        if not slug:
            if self.default_series is None:
                raise SkipPost(
                    "no title pattern or category names a series (pass --default-series SLUG)"
                )
            return self.default_series
        series = self.index.series.get(slug)
        if series is not None:
            return series
        rule = self.rules.rule_for(slug)
        if rule is None:
            raise SkipPost(f"series “{slug}” does not exist")
        series = self.index.series_by_name.get(rule.name.lower())
        if series is None:
            series = Series(
                slug=rule.slug,
                name=rule.name,
                short_label=rule.short_label,
                numbering=rule.numbering,
            )
            series.full_clean()
            series.save()
            note = f"created the series “{series.name}” (/{series.slug}/)"
            self.notes.append(note)
            self.journal.undo.append(lambda: self.notes.remove(note))
        self.journal.remember(self.index.series, slug, series)
        return series

    def author(self, spec: AuthorSpec) -> Author:
        index = self.index
        email, name = spec.email.strip(), spec.name
        author = (email and index.authors_by_email.get(email.lower())) or index.authors_by_name.get(
            name.lower()
        )
        if author is not None:
            if email and not author.email and email.lower() not in index.authors_by_email:
                self.journal.set_attr(author, "email", email)
                self.journal.set_attr(author, "show_email", author.show_email or spec.public)
                author.save(update_fields=["email", "show_email", "updated_at"])
                self.journal.remember(index.authors_by_email, email.lower(), author)
            return author
        base = slugify(name)[:190] or "author"
        slug, n = base, 1
        while slug in index.author_slugs:
            n += 1
            slug = f"{base}-{n}"
        author = Author(
            name=name[:200],
            slug=slug,
            email=email,
            show_email=spec.public and bool(email),
            short_bio=Truncator(spec.bio).chars(300),
        )
        # The slug and email were checked against the index above; the
        # database constraints have the last word (validating them here ran
        # two queries per new author).
        author.full_clean(validate_unique=False, validate_constraints=False)
        author.save()
        self.journal.remember(index.authors_by_name, name.lower(), author)
        if email:
            self.journal.remember(index.authors_by_email, email.lower(), author)
        self.journal.remember(index.author_slugs, slug, author)
        return author

    def topic(self, spec: TopicSpec) -> Topic:
        index = self.index
        topic = index.topics_by_slug.get(spec.slug) or index.topics_by_name.get(spec.name.lower())
        if topic is None:
            topic = Topic(name=spec.name, slug=spec.slug)
            topic.full_clean(validate_unique=False)  # the index knows every name and slug
            topic.save()
            self.journal.remember(index.topics_by_slug, spec.slug, topic)
            self.journal.remember(index.topics_by_name, spec.name.lower(), topic)
        return topic

    def source_file(self, path: str, log: PostLog) -> Path | None:
        """A file of the uploads copy, or None (listed as missing)."""
        path = unquote(path).lstrip("/")
        if self.uploads is None:
            log.missing_files.append(f"{path} (no --uploads directory given)")
            return None
        source = (self.uploads / path).resolve()
        if not source.is_relative_to(self.uploads) or not source.is_file():
            log.missing_files.append(path)
            return None
        return source

    def copy_upload(self, path: str, log: PostLog) -> str | None:
        """A file under wp-content/uploads copied into MEDIA; its URL, or None."""
        source = self.source_file(path, log)
        if source is None:
            return None
        if source in self.copied:  # the same figure in several posts: checked once
            return self.copied[source]
        # Through the site's upload pipeline, like a file an editor uploads:
        # checked by content, images re-encoded, stored under a generated name.
        try:
            with source.open("rb") as handle:
                upload = File(handle, name=source.name)
                if self.dry_run:
                    name = f"{UPLOADS_FOLDER}/{clean_upload(upload).name}"
                else:
                    name = store_upload(upload, folder=UPLOADS_FOLDER)
                    log.copied_files += 1
        except ValidationError as error:
            log.missing_files.append(f"{unquote(path).lstrip('/')} (refused: {error.messages[0]})")
            return None
        # Stored files outlive a rolled-back transaction, so the URL stays good.
        self.copied[source] = default_storage.url(name)
        return self.copied[source]

    def store_file(self, attachment, log: PostLog, *, kind: str, folder: str) -> str:
        """An attached file (a featured image, a PDF) copied into MEDIA through
        the upload checks; its stored name, or "" when it is missing or refused
        (both reported). In a dry run the file is checked but not stored."""
        source = self.source_file(attachment.path, log)
        if source is None:
            return ""
        kinds = ("pdf",) if kind == "pdf" else ("image",)
        with source.open("rb") as handle:
            upload = File(handle, name=source.name)
            try:
                if self.dry_run:
                    clean_upload(upload, kinds=kinds)
                    return ""
                name = store_upload(upload, folder=folder, kinds=kinds)
            except ValidationError as error:
                log.missing_files.append(f"{attachment.path} (refused: {error.messages[0]})")
                return ""
        log.copied_files += 1
        return name

    def attach_files(self, commentary, plan: Plan, log: PostLog):
        """The featured image (with its alt text) and the PDF."""
        if plan.pdf is not None:
            name = self.store_file(plan.pdf, log, kind="pdf", folder=f"pdf/{plan.year}")
            if name:
                commentary.pdf = name
        featured = plan.featured
        if featured is not None:
            name = self.store_file(featured, log, kind="image", folder=f"images/{plan.year}")
            if name and name != commentary.image.name:
                commentary.image = name
                commentary.image_alt = featured.alt[:300]
            if name and not commentary.image_alt:
                log.warn(
                    "its featured image has no alt text in WordPress; described by the "
                    "piece's title until an editor writes a description"
                )
                commentary.image_alt = plan.title[:300]

    # -- one commentary ------------------------------------------------------

    def apply(self, commentary: Commentary, plan: Plan, log: PostLog) -> Entry | None:
        """Fill a commentary from a plan, numbered and slugged against the
        index. Returns the original's entry for a response."""
        series = self.series(plan)
        stored = live_record(commentary)
        if commentary.pk is not None:
            self.index.unindex(commentary)
        commentary.series = series
        commentary.title = plan.title
        commentary.status = plan.status
        commentary.published_at = plan.published_at
        commentary.year = plan.year
        commentary.number = plan.number
        commentary.suffix = plan.suffix
        commentary.body = rewrite_uploads(plan.body, lambda path: self.copy_upload(path, log))
        commentary.summary = plan.summary
        self.attach_files(commentary, plan, log)
        if stored is not None:
            original = keep_live_record(commentary, stored, log)
        else:
            original = self.index.number(commentary, log)
        # A number carried over from WordPress is kept as it is; publishing
        # never deals it again (commentaries/numbering.py).
        if stored is None and commentary.number is not None and not commentary.suffix:
            commentary.number_origin = Commentary.NumberOrigin.IMPORTED
        if commentary.pk is None or commentary.slug != plan.slug:
            commentary.slug = self.index.free_slug(commentary, plan.slug)
        # Foreign keys point at rows this run just read or wrote, and numbers
        # and slugs were checked against the index above: skip the per-row
        # queries and leave the last word to the database constraints.
        commentary.full_clean(
            exclude=["series", "responds_to", "pdf", "image"],
            validate_unique=False,
            validate_constraints=False,
        )
        self.index.index(commentary)
        return original

    def bylines_for(self, commentary, plan: Plan, log: PostLog):
        bylines, seen = [], set()
        for spec in plan.authors:
            author = self.author(spec)
            if author.pk in seen:
                log.warn(f"{author.name} is named twice as its author")
                continue
            seen.add(author.pk)
            byline = Byline(
                commentary=commentary,
                author=author,
                position=len(bylines),
                bio=spec.bio[:2000] if spec.public else author.short_bio,
                email=spec.email if spec.public else "",
            )
            byline.full_clean(
                exclude=["commentary", "author"],
                validate_unique=False,
                validate_constraints=False,
            )
            bylines.append(byline)
        return bylines

    def check(self, commentary, bylines, log: PostLog):
        """The checks before publishing, for a piece imported as published:
        reported, never enforced, so the import keeps WordPress's status.
        Drafts meet them when an editor publishes them."""
        if commentary.status != Commentary.Status.PUBLISHED:
            return
        named = [(byline.author.name, byline.bio) for byline in bylines]
        for warning in readiness.import_warnings(commentary, named):
            log.warn(warning)

    def save_one(self, item, plan: Plan, existing, source_hash, log: PostLog) -> ImportedPost:
        previous_url = None
        if existing is not None:
            commentary = (
                Commentary.objects.select_for_update()
                .select_related("series")
                .get(pk=existing.commentary_id)
            )
            previous_url = commentary.get_absolute_url()
        else:
            commentary = Commentary()
        self.apply(commentary, plan, log)
        commentary.save()
        self.index.saved(commentary)
        bylines = self.bylines_for(commentary, plan, log)
        self.check(commentary, bylines, log)
        topics = [self.topic(spec) for spec in plan.topics]
        if existing is not None:
            commentary.bylines.all().delete()
            commentary.topics.set(topics)
        elif topics:
            # taggit's add() runs a get_or_create per tag; a new piece has none yet.
            TaggedCommentary.objects.bulk_create(
                TaggedCommentary(content_object=commentary, tag=topic) for topic in topics
            )
        Byline.objects.bulk_create(bylines)
        create, change = self.redirects(
            plan.old_paths, commentary.get_absolute_url(), log, item, previous_url
        )
        Redirect.objects.bulk_create(create)
        if change:
            Redirect.objects.bulk_update(change, ["new_path"])
        imported = existing or ImportedPost(commentary_id=commentary.pk)
        fill_imported(imported, item, source_hash)
        imported.save()
        log.new_url = commentary.get_absolute_url()
        return imported

    # -- a batch of new commentaries ------------------------------------------

    def create_batch(self, pending: list[Pending]) -> list[ImportedPost]:
        """Write the batch's posts; one that cannot be placed gets `skip` set."""
        placed = []
        for p in pending:
            try:
                p.original = self.apply(p.commentary, p.plan, p.log)
            except SkipPost as exc:
                p.skip = str(exc)
                continue
            placed.append(p)
        pending = placed
        commentaries = [p.commentary for p in pending]
        for commentary in commentaries:
            # What Commentary.save() does, since bulk_create does not call it;
            # the image sizes are left to the task worker (make_image_renditions).
            commentary.body = commentary.clean_body(commentary.body)
            commentary.save_pdf_size()
        ids_first = reserve_ids(commentaries)
        if not ids_first:
            Commentary.objects.bulk_create(commentaries)
        for commentary in commentaries:
            self.index.saved(commentary)
        answered = []
        for p in pending:
            if p.original is not None and p.commentary.responds_to_id is None:
                p.commentary.responds_to_id = p.original.pk
                answered.append(p.commentary)
        bylines, tagged, redirects_new, redirects_changed, imported = [], [], [], {}, []
        for p in pending:
            written = self.bylines_for(p.commentary, p.plan, p.log)
            self.check(p.commentary, written, p.log)
            bylines.extend(written)
            tagged.extend(
                TaggedCommentary(content_object=p.commentary, tag=self.topic(spec))
                for spec in p.plan.topics
            )
            url = p.commentary.get_absolute_url()
            create, change = self.redirects(p.plan.old_paths, url, p.log, p.item, None)
            redirects_new.extend(create)
            redirects_changed.update((r.pk, r) for r in change)
            row = ImportedPost(commentary_id=p.commentary.pk)
            fill_imported(row, p.item, p.source_hash)
            imported.append(row)
            p.log.new_url = url
        Byline.objects.bulk_create(bylines)
        TaggedCommentary.objects.bulk_create(tagged)
        if ids_first:
            # Inserted after their bylines and topics, the pieces get their
            # search vectors once, whole (see reserve_ids).
            Commentary.objects.bulk_create(commentaries)
        elif answered:
            Commentary.objects.bulk_update(answered, ["responds_to"])
        with_images = [c.pk for c in commentaries if c.image]
        if with_images and not self.dry_run:
            transaction.on_commit(lambda: make_image_renditions.enqueue(with_images))
        Redirect.objects.bulk_create(redirects_new)
        if redirects_changed:
            Redirect.objects.bulk_update(list(redirects_changed.values()), ["new_path"])
        return ImportedPost.objects.bulk_create(imported)

    # -- static pages --------------------------------------------------------

    def save_page(self, item, plan: PagePlan, existing, source_hash, log) -> ImportedPost:
        previous_url = None
        if existing is not None and existing.page_id:
            page = FlatPage.objects.select_for_update().get(pk=existing.page_id)
            previous_url = page.url
        else:
            page = FlatPage()
        url = plan.url
        first = url.strip("/").split("/", 1)[0]
        if first in self.index.series or site_answers(url):
            log.warn(f"{url} is an address the site uses itself; the page moves to /pages{url}")
            url = f"/pages{url}"[:100]
        taken = self.index.page_urls.get(url)
        if taken is not None and taken != page.pk:
            raise SkipPost(f"a static page already has the address {url}")
        page.url = url
        page.title = plan.title
        page.content = rewrite_uploads(plan.body, lambda path: self.copy_upload(path, log))
        page.full_clean(exclude=["sites"])
        page.save()
        page.sites.add(self.index.site_id)
        if previous_url and previous_url != url:
            self.journal.forget(self.index.page_urls, previous_url)
        self.journal.remember(self.index.page_urls, url, page.pk)
        create, change = self.redirects(plan.old_paths, url, log, item, previous_url)
        Redirect.objects.bulk_create(create)
        if change:
            Redirect.objects.bulk_update(change, ["new_path"])
        imported = existing or ImportedPost(page_id=page.pk)
        fill_imported(imported, item, source_hash)
        imported.save()
        log.new_url = url
        return imported

    # -- redirects -----------------------------------------------------------

    def redirects(self, paths, new_path, log: PostLog, item, previous_url):
        """Redirects to create and to repoint, from the index.

        An old address that already redirects elsewhere is repointed only
        when it is this post's own short link, or when it pointed at this
        piece's previous address; otherwise it belongs to another post (or an
        editor changed it), and it is left as it is, with a warning."""
        own = {f"/?p={item.post_id}", f"/?page_id={item.post_id}"} if item.post_id else set()
        create, change = [], []
        for path in paths:
            if path == new_path:  # the same address on both sites: nothing to redirect
                continue
            redirect = self.index.redirects.get(path)
            if redirect is None:
                redirect = Redirect(site_id=self.index.site_id, old_path=path, new_path=new_path)
                self.journal.remember(self.index.redirects, path, redirect)
                create.append(redirect)
            elif redirect.new_path == new_path:
                continue
            elif path in own or (previous_url and redirect.new_path == previous_url):
                self.journal.set_attr(redirect, "new_path", new_path)
                if redirect.pk is not None:
                    change.append(redirect)
            else:
                log.warn(
                    f"{path} already redirects to {redirect.new_path or '(gone)'}; left as it is"
                )
                continue
            log.redirects += 1
        return create, change


# The views that answer /<series>/… only for a series that exists: a static
# page's address is free there unless its first segment is a series' slug.
SERIES_VIEWS = {"series", "series_year", "detail", "cite"}


def site_answers(url: str) -> bool:
    """Does the site answer this address itself, so that a static page there
    would never be seen? Asked of the URL patterns (and the static and media
    prefixes, which a web server may serve without Django), so the answer
    follows the site's addresses as they are; series slugs cannot take them
    (`commentaries.models.RESERVED_SLUGS`)."""
    for prefix in (settings.STATIC_URL, settings.MEDIA_URL):
        parts = urlsplit(prefix or "")
        if prefix and not parts.netloc and url.startswith("/" + parts.path.lstrip("/")):
            return True
    try:
        match = resolve(url)
    except Resolver404:
        return False
    return not (match.namespace == "commentaries" and match.url_name in SERIES_VIEWS)


# What the database keeps of a piece readers have seen (commentaries/triggers.py).
LIVE_FIELDS = ("series", "year", "number", "suffix", "status", "published_at")


def live_record(commentary: Commentary) -> dict | None:
    """The stored record of a piece readers have seen (published or
    withdrawn, its time past), which the database refuses to renumber or
    take back to draft; None for any other piece."""
    if commentary.pk is None or commentary.status not in Commentary.PUBLIC_STATUSES:
        return None
    if commentary.published_at is None or commentary.published_at > timezone.now():
        return None
    return {name: getattr(commentary, name) for name in LIVE_FIELDS}


def keep_live_record(commentary: Commentary, stored: dict, log: PostLog) -> None:
    """Give a live piece back its series, year, number and suffix, and keep it
    public, when WordPress now says otherwise; the rest of the post is
    imported. Checked here, before writing, so the database's refusal never
    costs the post (or its batch) its update."""
    stored_label = format_label(stored["series"].short_label, stored["number"], stored["suffix"])
    if (commentary.series, commentary.year, commentary.number, commentary.suffix) != (
        stored["series"],
        stored["year"],
        stored["number"],
        stored["suffix"],
    ):
        label = format_label(commentary.series.short_label, commentary.number, commentary.suffix)
        log.warn(
            f"{stored_label} ({stored['year']}) is live here, so it keeps its number, year "
            f"and series; WordPress now gives {label} ({commentary.year})"
        )
    if commentary.status != stored["status"]:
        if stored["status"] == Commentary.Status.WITHDRAWN:
            log.warn(f"{stored_label} ({stored['year']}) was withdrawn here and stays withdrawn")
        else:
            log.warn(
                f"{stored_label} ({stored['year']}) is live here and stays published (it is "
                "not published in WordPress now: withdraw it in the admin if it should go)"
            )
    if commentary.published_at is None or commentary.published_at > timezone.now():
        commentary.published_at = stored["published_at"]
    for name in ("series", "year", "number", "suffix", "status"):
        setattr(commentary, name, stored[name])


def reserve_ids(commentaries: list[Commentary]) -> bool:
    """On PostgreSQL, give a batch's new pieces their ids from the table's
    sequence before anything is written, so that their bylines and topic links
    can go in first. The database computes a piece's search vector (title,
    summary, authors, topics, body) when the piece is inserted, and again for
    every statement that adds bylines or topic links to it: written in the
    usual order, each new piece's body was read into a vector three times.
    The foreign keys are checked at commit (Django makes them deferrable).
    Returns False on other databases, which keep no search vector."""
    if connection.vendor != "postgresql" or not commentaries:
        return False
    table = Commentary._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [table, len(commentaries)],
        )
        for commentary, (pk,) in zip(commentaries, cursor.fetchall(), strict=True):
            commentary.pk = pk
    return True


def fill_imported(imported, item, source_hash):
    imported.wp_post_id = item.post_id
    imported.guid = item.guid[:500]
    imported.post_type = item.post_type[:40]
    imported.link = item.link[:500]
    imported.source_hash = source_hash
