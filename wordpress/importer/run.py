"""The import run: check the whole archive, then import it post by post.

The first pass reads every file to the end without writing (a truncated or
malformed export fails there, before anything changes) and learns what posts
refer to: users, co-authors, attachments. The files' fingerprint is taken
before it and checked before every write, so a file replaced mid-run stops the
run with a true account of what was written.

New posts are written in batches of multi-row INSERTs; a batch that fails is
rolled back and its posts imported again one transaction each, so a broken
post is reported and skipped on its own. Updated posts and pages get a
transaction each.
"""

import time
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from commentaries.models import Commentary, Series
from commentaries.surroundings import refresh_all
from pacforum import pagecache

from ..rules import Rules
from .index import Index, Journal
from .prepare import (
    STATUS_MAP,
    Archive,
    SkipPost,
    check_post_id,
    fingerprint,
    prepare_page,
    prepare_post,
)
from .report import CREATED, SKIPPED, UNCHANGED, UPDATED, ImportReport, PostLog
from .write import Pending, Writer
from .wxr import FileState, WxrAuthor, WxrAuthorTerm, WxrError, WxrItem, file_digest, read_wxr

PAGE_TYPE = "page"
OTHER_TYPES = {
    "attachment": " (files come in with the posts that use them)",
    "guest-author": " (a Co-Authors Plus guest author, read for the bylines)",
    "revision": " (earlier versions of a post)",
    "nav_menu_item": " (menus are not carried over)",
}
WRITE_ERRORS = (ValidationError, DatabaseError, ValueError, OSError)


class FileChanged(Exception):
    """The export changed on disk after it was checked."""


class WxrImporter:
    batch_size = 200

    def __init__(
        self,
        *,
        rules: Rules,
        default_series: Series | None = None,
        uploads: Path | None = None,
        dry_run: bool = False,
        time_zone: tzinfo | None = None,
        progress: Callable[[ImportReport], None] | None = None,
    ):
        self.rules = rules
        self.default_series = default_series
        self.uploads = uploads.resolve() if uploads else None
        self.dry_run = dry_run
        self.tz = time_zone or timezone.get_default_timezone()
        self.progress = progress or (lambda report: None)
        self.report = ImportReport()
        self.journal = Journal()
        self.fingerprint_base = [
            rules.fingerprint,
            default_series.slug if default_series else "",
            bool(uploads),
            str(self.tz),
        ]
        self.batch: list[Pending] = []
        self.seen: dict = {}  # post key -> where it was first read

    # -- the passes ----------------------------------------------------------

    def check(self, paths) -> Archive:
        """Read the whole archive once without writing; learn what posts refer to."""
        archive = Archive()
        for entry in read_wxr(paths):
            if isinstance(entry, WxrItem):
                archive.item_count += 1
            archive.learn(entry)
        return archive

    def run(self, paths) -> ImportReport:
        started = time.monotonic()
        self.paths = [Path(p) for p in ([paths] if isinstance(paths, str | Path) else paths)]
        self.state = FileState.of(self.paths)
        self.digest = file_digest(self.paths)
        self.archive = self.check(self.paths)
        self.report.total = self.archive.item_count
        self.check_unchanged()
        self.index = Index(self.journal)
        self.writer = Writer(
            index=self.index,
            journal=self.journal,
            rules=self.rules,
            default_series=self.default_series,
            uploads=self.uploads,
            dry_run=self.dry_run,
            notes=self.report.notes,
        )
        try:
            if self.dry_run:
                with transaction.atomic():
                    self._import_all()
                    transaction.set_rollback(True)
            else:
                self._import_all()
        except FileChanged as exc:
            self.report.interrupted = str(exc)
        except WxrError as exc:
            self.report.interrupted = f"{exc} The file changed after it was checked."
        if not self.dry_run:
            # Posts are written in bulk, around the services: the neighbours
            # and related pieces of every piece are worked out once, at the end
            # (also after an interrupted run, for what it wrote).
            refresh_all()
            # Batches are written with bulk_create, which sends no signals:
            # the cached pages learn of the import here, all at once.
            pagecache.flush()
        self.report.posts.sort(key=lambda log: log.seq)
        self.report.seconds = time.monotonic() - started
        return self.report

    def check_unchanged(self, *, full=False):
        if FileState.of(self.paths) != self.state or (
            full and file_digest(self.paths) != self.digest
        ):
            raise FileChanged(
                "The export changed on disk after it was checked; the import stopped there."
            )

    def _import_all(self):
        seq = 0
        for entry in read_wxr(self.paths):
            if isinstance(entry, WxrAuthor | WxrAuthorTerm):
                continue
            seq += 1
            self._import_item(entry, seq)
            self.progress(self.report)
        self._flush()
        self.check_unchanged(full=True)
        self.progress(self.report)
        self._link_responses()

    # -- one post ------------------------------------------------------------

    def _log(self, item, seq, warnings=()):
        log = PostLog.of(item)
        log.seq = seq
        for warning in warnings:
            log.warn(warning)
        return log

    def _skip(self, log, reason):
        log.redirects = log.copied_files = 0
        log.missing_files = []
        self.report.add(log, SKIPPED, reason)

    def _import_item(self, item: WxrItem, seq: int):
        log = self._log(item, seq)
        try:
            check_post_id(item)
        except SkipPost as exc:
            self._skip(log, str(exc))
            return
        first = self.seen.setdefault(item.key, (item.source, item.line))
        if first != (item.source, item.line):
            where = f"line {first[1]}" + (f" of {first[0]}" if first[0] != item.source else "")
            self._skip(log, f"duplicate wp:post_id {item.key} (the post at {where} is imported)")
            return
        is_page = item.post_type == PAGE_TYPE and PAGE_TYPE not in self.rules.post_types
        if item.post_type not in self.rules.post_types and not is_page:
            why = OTHER_TYPES.get(item.post_type, "")
            self._skip(log, f"post type “{item.post_type}” is not imported{why}")
            return
        if item.status not in STATUS_MAP:
            self._skip(log, f"WordPress status “{item.status or 'none'}” is not imported")
            return
        existing = self.index.imported(item)
        if existing is not None and bool(existing.page_id) != is_page:
            was = "a static page" if existing.page_id else "a commentary"
            self._skip(
                log,
                f"imported before as {was}; its post type is now “{item.post_type}” (delete "
                "that import under WordPress import › Imported WordPress posts to import it anew)",
            )
            return
        source_hash = fingerprint(item, self.archive, str(self.fingerprint_base))
        if existing is not None and existing.source_hash == source_hash:
            log.warnings.clear()  # reported when it was imported
            self.report.add(log, UNCHANGED)
            return
        if is_page:
            self._flush()
            self._write_one(item, existing, source_hash, log, page=True)
            return
        try:
            plan = prepare_post(item, self.rules, self.archive, tz=self.tz, now=timezone.now())
        except SkipPost as exc:
            self._skip(log, str(exc))
            return
        for warning in plan.warnings:
            log.warn(warning)
        if existing is not None:
            self._flush()
            self._write_one(item, existing, source_hash, log, plan=plan)
            return
        self.batch.append(Pending(item, plan, log, Commentary(), source_hash))
        if len(self.batch) >= self.batch_size:
            self._flush()

    def _write_one(self, item, existing, source_hash, log, *, plan=None, page=False):
        """One post, one transaction: updates, pages, and posts of a failed batch."""
        self.check_unchanged()
        try:
            with transaction.atomic():
                if page:
                    page_plan = prepare_page(item, self.rules)
                    for warning in page_plan.warnings:
                        log.warn(warning)
                    imported = self.writer.save_page(item, page_plan, existing, source_hash, log)
                else:
                    imported = self.writer.save_one(item, plan, existing, source_hash, log)
        except SkipPost as exc:
            self.journal.rollback()
            self._skip(log, str(exc))
            return
        except WRITE_ERRORS as exc:
            self.journal.rollback()
            self._skip(log, describe(exc))
            return
        self.journal.commit()
        log.kind = "page" if page else "commentary"
        if existing is None:
            self.index.remember_imported(imported)
            self.report.add(log, CREATED)
        else:
            self.report.add(log, UPDATED)

    def _flush(self):
        batch, self.batch = self.batch, []
        if not batch:
            return
        self.check_unchanged()
        try:
            with transaction.atomic():
                rows = self.writer.create_batch(batch)
        except WRITE_ERRORS:
            self.journal.rollback()
            for p in batch:
                log = self._log(p.item, p.log.seq, p.plan.warnings)
                self._write_one(p.item, None, p.source_hash, log, plan=p.plan)
            return
        self.journal.commit()
        written = iter(rows)
        for p in batch:
            if p.skip:
                self._skip(p.log, p.skip)
                continue
            self.index.remember_imported(next(written))
            p.log.kind = "commentary"
            self.report.add(p.log, CREATED)

    def _link_responses(self):
        """A response read before the piece it answers is linked at the end."""
        waiting = Commentary.objects.filter(
            wordpress_import__isnull=False,
            responds_to__isnull=True,
            number__isnull=False,
        ).exclude(suffix="")
        for response in waiting.only("pk", "series_id", "year", "number", "suffix"):
            original = self.index.original(response.series_id, response.year, response.number)
            if original is None or original.pk is None:
                continue
            response.responds_to_id = original.pk
            response.save(update_fields=["responds_to"])
            self.report.responses_linked += 1


def describe(exc):
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
