"""The run's in-memory index of what the database holds, and its undo journal.

Series, authors, topics, numbers, slugs, redirects and imported posts are read
once when the run starts, so preparing and numbering a post costs no lookup
query whatever the size of the archive. What a rolled-back transaction added
to the index is undone through the Journal. The database constraints remain
the final guard.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.flatpages.models import FlatPage
from django.contrib.redirects.models import Redirect

from authors.models import Author
from commentaries.models import Commentary, Series, Topic
from commentaries.numbering import format_label, response_suffix

from ..models import ImportedPost


@dataclass
class Entry:
    """A commentary's number or slug in the index: saved (pk) or about to be
    saved in the current batch (commentary)."""

    pk: int | None
    title: str = ""
    year: int | None = None
    commentary: Commentary | None = None

    def is_for(self, commentary):
        return self.pk is not None and self.pk == commentary.pk


class Journal:
    """Undo for the in-memory index when a transaction rolls back."""

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

    def set_attr(self, obj, name, value):
        old = getattr(obj, name)
        setattr(obj, name, value)
        self.undo.append(lambda: setattr(obj, name, old))

    def commit(self):
        self.undo.clear()

    def rollback(self):
        for undo in reversed(self.undo):
            undo()
        self.undo.clear()


class Index:
    def __init__(self, journal: Journal):
        self.journal = journal
        self.site_id = settings.SITE_ID
        self.imported_by_id: dict[int, ImportedPost] = {}
        self.imported_by_guid: dict[str, ImportedPost] = {}
        for row in ImportedPost.objects.all():
            self.remember_imported(row)
        self.series = {s.slug: s for s in Series.objects.all()}
        self.series_by_name = {s.name.lower(): s for s in self.series.values()}
        self.authors_by_email: dict[str, Author] = {}
        self.authors_by_name: dict[str, Author] = {}
        self.author_slugs: dict[str, Author] = {}
        for author in Author.objects.order_by("pk"):
            if author.email:
                self.authors_by_email.setdefault(author.email.lower(), author)
            self.authors_by_name.setdefault(author.name.lower(), author)
            self.author_slugs[author.slug] = author
        self.topics_by_slug: dict[str, Topic] = {}
        self.topics_by_name: dict[str, Topic] = {}
        for topic in Topic.objects.all():
            self.topics_by_slug[topic.slug] = topic
            self.topics_by_name[topic.name.lower()] = topic
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
        self.page_urls = dict(FlatPage.objects.values_list("url", "pk"))

    # -- imported posts ------------------------------------------------------

    def imported(self, item) -> ImportedPost | None:
        if item.post_id is not None:
            return self.imported_by_id.get(item.post_id)
        return self.imported_by_guid.get(item.guid) if item.guid else None

    def remember_imported(self, row):
        if row.wp_post_id is not None:
            self.imported_by_id[row.wp_post_id] = row
        elif row.guid:
            self.imported_by_guid[row.guid] = row

    # -- numbers and slugs ---------------------------------------------------

    def index(self, commentary):
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

    def unindex(self, commentary):
        """Forget where an updated piece stood before (as loaded from the database)."""
        series_id = commentary.series_id
        key = (series_id, commentary.year, commentary.number, commentary.suffix)
        if self.numbers.get(key) and self.numbers[key].is_for(commentary):
            self.journal.forget(self.numbers, key)
        key = (series_id, commentary.year, commentary.slug)
        if self.slugs.get(key) and self.slugs[key].is_for(commentary):
            self.journal.forget(self.slugs, key)

    def saved(self, commentary):
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

    def free_slug(self, commentary, base):
        """`commentaries.services.unique_slug`, against the index."""
        series_id, year = commentary.series_id, commentary.year
        slug, n = base, 1
        while (taken := self.slugs.get((series_id, year, slug))) and not taken.is_for(commentary):
            n += 1
            slug = f"{base[: 200 - len(str(n)) - 1]}-{n}"
        return slug

    def original(self, series_id, year, number) -> Entry | None:
        """The piece a response answers: same number, this year or the year before."""
        for candidate_year in (year, year - 1):
            entry = self.numbers.get((series_id, candidate_year, number, ""))
            if entry is not None:
                return entry
        return None

    def number(self, commentary, log) -> Entry | None:
        """Keep the number from the title unless another piece already has it.
        Returns the original's entry when the piece is a response."""
        if commentary.number is None:
            return None
        series_id = commentary.series_id
        original = None
        if commentary.suffix:
            original = self.original(series_id, commentary.year, commentary.number)
            if original is not None:
                commentary.year = original.year
                commentary.responds_to_id = original.pk
        key = (series_id, commentary.year, commentary.number, commentary.suffix)
        taken = self.numbers.get(key)
        if taken is None or taken.is_for(commentary):
            return original
        label = format_label(commentary.series.short_label, commentary.number, commentary.suffix)
        if original is not None:
            scope = (series_id, commentary.year, commentary.number)
            commentary.suffix = response_suffix(SuffixesTaken(self.numbers, scope))
            log.warn(f"{label} ({commentary.year}) exists; numbered {commentary.label}")
            return original
        log.warn(
            f"{label} ({commentary.year}) is already “{taken.title}”; imported without a number"
        )
        commentary.number = None
        commentary.suffix = ""
        return None


class SuffixesTaken:
    """The suffixes the index holds for one series, year and number, as the
    container `numbering.response_suffix` asks about."""

    def __init__(self, numbers: dict[tuple, Entry], scope: tuple):
        self.numbers, self.scope = numbers, scope

    def __contains__(self, suffix):
        return (*self.scope, suffix) in self.numbers
