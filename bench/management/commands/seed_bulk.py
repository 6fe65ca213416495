"""Synthetic data for scale tests and benchmarks.

Writes with bulk inserts (COPY on PostgreSQL) in batches, one transaction per
batch and, on PostgreSQL, two connections at once; prints progress. The text
is generated from a small vocabulary, safe by construction, so it skips the
per-object save() (and its sanitiser) on purpose.
"""

import random
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from authors.models import Author
from commentaries import credits, menus, surroundings
from commentaries.models import Byline, Commentary, Series, TaggedCommentary, Topic

WORDS = [
    "alliance",
    "maritime",
    "security",
    "deterrence",
    "trade",
    "supply",
    "chain",
    "semiconductor",
    "export",
    "control",
    "fisheries",
    "coast",
    "guard",
    "island",
    "climate",
    "resilience",
    "energy",
    "grid",
    "cable",
    "nuclear",
    "diplomacy",
    "summit",
    "sanctions",
    "port",
    "investment",
    "infrastructure",
    "cyber",
    "election",
    "strait",
    "peninsula",
    "navy",
    "exercise",
    "dialogue",
    "treaty",
    "minerals",
    "mining",
    "shipping",
    "finance",
    "development",
    "aid",
    "cooperation",
    "rivalry",
    "competition",
    "governance",
    "coalition",
    "partnership",
    "strategy",
    "policy",
    "budget",
    "reform",
    "regional",
    "economic",
    "technology",
    "standards",
    "data",
    "privacy",
    "migration",
    "health",
    "pandemic",
    "food",
    "water",
]
FIRST = ["Aroha", "Bao", "Chitra", "Dmitri", "Emeka", "Farah", "Goro", "Hina", "Ilse", "Jae"]
LAST = ["Ahn", "Bose", "Cruz", "Duong", "Eriksen", "Fuentes", "Gill", "Hale", "Ito", "Jovic"]


def _closing_connection(function):
    """function() on a worker thread, which then closes its own connection."""
    try:
        return function()
    finally:
        connection.close()


def reserve_ids(model, objects):
    """On PostgreSQL, give the objects ids from the table's sequence before they
    are written, so that rows pointing at them can be written first."""
    if connection.vendor != "postgresql" or not objects:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, len(objects)],
        )
        for obj, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            obj.pk = pk


def insert(model, objects):
    """bulk_create, or on PostgreSQL a COPY with ids reserved from the table's
    sequence: several times faster for hundreds of thousands of rows."""
    if connection.vendor != "postgresql" or not objects:
        return model.objects.bulk_create(objects)
    if any(obj.pk is None for obj in objects):
        reserve_ids(model, objects)
    table = model._meta.db_table
    fields = model._meta.concrete_fields
    with connection.cursor() as cursor:
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row(
                    [f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields]
                )
    return objects


@dataclass
class Batch:
    """One transaction's worth of pieces with their bylines and topic links."""

    series: Series
    first_slug: int
    dates: list
    numbers: list
    authors: list
    topics: list
    authors_per_piece: int
    topics_per_piece: int
    seed: str

    def write_and_close(self):
        """write() on a worker thread, which then closes its own connection."""
        return _closing_connection(self.write)

    def write(self):
        rng = random.Random(self.seed)
        pieces = []
        for offset, (when, number) in enumerate(zip(self.dates, self.numbers, strict=True)):
            words = rng.sample(WORDS, 6)
            pieces.append(
                Commentary(
                    series=self.series,
                    title=f"{words[0].capitalize()} {words[1]} and the {words[2]} {words[3]}",
                    slug=f"bulk-{self.first_slug + offset}",
                    summary=" ".join(rng.choices(WORDS, k=25)).capitalize() + ".",
                    body=body(rng),
                    status=Commentary.Status.PUBLISHED,
                    published_at=when,
                    year=when.year,
                    number=number,
                )
            )
        with transaction.atomic():
            # On PostgreSQL the bylines and topic links go in first (foreign
            # keys are checked at commit), so the search-vector trigger indexes
            # each piece once, with its authors and topics, instead of once on
            # insert and again after each of the two link tables. SQLite has
            # no such trigger; there the pieces need their ids first.
            if connection.vendor == "postgresql":
                reserve_ids(Commentary, pieces)
            else:
                insert(Commentary, pieces)
            bylines, tagged = [], []
            for piece in pieces:
                count = rng.randint(1, self.authors_per_piece)
                for position, author in enumerate(rng.sample(self.authors, count)):
                    bylines.append(
                        Byline(
                            commentary_id=piece.pk,
                            author_id=author.pk,
                            position=position,
                            bio=author.short_bio,
                            email=author.email,
                        )
                    )
                if self.topics_per_piece:
                    count = rng.randint(1, self.topics_per_piece)
                    tagged.extend(
                        TaggedCommentary(content_object_id=piece.pk, tag_id=topic.pk)
                        for topic in rng.sample(self.topics, count)
                    )
            insert(Byline, bylines)
            insert(TaggedCommentary, tagged)
            if connection.vendor == "postgresql":
                insert(Commentary, pieces)
        return len(pieces)


def body(rng):
    paragraphs = []
    for _ in range(5):
        sentences = [
            " ".join(rng.choices(WORDS, k=rng.randint(8, 16))).capitalize() + "."
            for _ in range(rng.randint(3, 5))
        ]
        paragraphs.append("<p>" + " ".join(sentences) + "</p>")
    return "\n".join(paragraphs)


def analyze():
    if connection.vendor == "postgresql":
        tables = [Commentary, Byline, TaggedCommentary, Author]
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE " + ", ".join(m._meta.db_table for m in tables))


class Command(BaseCommand):
    help = "Insert N synthetic commentaries with authors, bylines and topics, fast."

    def add_arguments(self, parser):
        parser.add_argument("--commentaries", type=int, default=1000)
        parser.add_argument(
            "--authors", type=int, default=None, help="Default: one author per 20 pieces."
        )
        parser.add_argument("--topics", type=int, default=200)
        parser.add_argument(
            "--authors-per-piece", type=int, default=3, help="Each piece gets 1 to this many."
        )
        parser.add_argument(
            "--topics-per-piece", type=int, default=3, help="Each piece gets 1 to this many."
        )
        parser.add_argument("--series", default="bulk", help="Slug of the series to fill.")
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--jobs",
            type=int,
            default=0,
            help="Connections writing at once (default: 2 on PostgreSQL, 1 on SQLite).",
        )

    def handle(self, *args, **options):
        total = options["commentaries"]
        if total < 1:
            raise CommandError("--commentaries must be at least 1.")
        if options["authors_per_piece"] < 1 or options["topics_per_piece"] < 0:
            raise CommandError("Each piece needs at least one author.")
        rng = random.Random(options["seed"])
        started = time.monotonic()

        series, _ = Series.objects.get_or_create(
            slug=options["series"],
            defaults={
                "name": f"Synthetic: {options['series']}",
                "short_label": "Bulk",
                "position": 99,
                "disclaimer": "<p>Synthetic content for scale tests.</p>",
            },
        )
        run = Commentary.objects.filter(series=series).count()
        authors = self.make_authors(options["authors"] or max(10, total // 20), run, rng)
        topics = self.make_topics(options["topics"])
        self.stdout.write(f"{len(authors):,} authors and {len(topics):,} topics ready.")

        now = timezone.now()
        span = timedelta(days=365 * 20)
        dates = sorted(now - span * rng.random() for _ in range(total))
        # Numbers are handed out here, in date order, so that batches are
        # independent of each other and can be written on several connections.
        highest = dict(
            Commentary.objects.filter(series=series, suffix="")
            .values_list("year")
            .annotate(Max("number"))
        )
        numbers = []
        for when in dates:
            highest[when.year] = (highest.get(when.year) or 0) + 1
            numbers.append(highest[when.year])

        batch_size = options["batch_size"]
        batches = [
            Batch(
                series=series,
                first_slug=run + start,
                dates=dates[start : start + batch_size],
                numbers=numbers[start : start + batch_size],
                authors=authors,
                topics=topics,
                authors_per_piece=options["authors_per_piece"],
                topics_per_piece=options["topics_per_piece"],
                seed=f"{options['seed']}:{run + start}",
            )
            for start in range(0, total, batch_size)
        ]
        jobs = options["jobs"] or (2 if connection.vendor == "postgresql" else 1)
        if connection.vendor != "postgresql" or connection.in_atomic_block:
            jobs = 1  # SQLite has one writer; other connections cannot see an open transaction
        done = 0
        existing = analyzed_at = Commentary.objects.count()

        def report(written):
            nonlocal done, analyzed_at
            done += written
            elapsed = time.monotonic() - started
            self.stdout.write(
                f"  {done:,}/{total:,} commentaries ({done / elapsed:,.0f}/s, {elapsed:.1f} s)"
            )
            # Fresh statistics each time the archive grows by half: without
            # them the planner (and the search trigger's lookups) plan for the
            # much smaller table of the last ANALYZE, and slow down as it grows.
            if done == total or existing + done > analyzed_at * 1.5:
                analyze()
                analyzed_at = existing + done

        if jobs == 1:
            for batch in batches:
                report(batch.write())
        else:
            # Generating rows is Python work under the GIL; indexing them is
            # PostgreSQL's, in another process. Two threads with a connection
            # each keep both cores busy.
            with ThreadPoolExecutor(max_workers=jobs) as pool:
                for future in as_completed(pool.submit(batch.write_and_close) for batch in batches):
                    report(future.result())
        # Rows written in bulk, as an importer would: their neighbours and
        # related pieces, credits and menus are worked out once, at the end.
        # The credits are worked out on a second connection while this one
        # works out the surroundings (both read only), then every row is
        # written once with both: 54 s to about 40 s for 100,000 pieces.
        if jobs == 1:
            surroundings.refresh_all()
        else:
            with ThreadPoolExecutor(max_workers=1) as pool:
                credited = pool.submit(_closing_connection, credits.work_out_all)
                worked_out = surroundings.work_out_all()
                surroundings.store_all(worked_out, with_credits=credited.result())
            menus.refresh_all()
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"Seeded {total:,} commentaries into “{series}” in {elapsed:.1f} s.")
        )

    def make_authors(self, count, run, rng):
        existing = list(Author.objects.filter(slug__startswith="bulk-author-")[:count])
        missing = count - len(existing)
        if missing <= 0:
            return existing
        base = Author.objects.filter(slug__startswith="bulk-author-").count() + run
        new = []
        for i in range(base, base + missing):
            # "Aroha Ahn-12": unique, and filed under A in the directory.
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}-{i}"
            new.append(
                Author(
                    name=name,
                    sort_name=Author.default_sort_name(name),
                    slug=f"bulk-author-{i}",
                    email=f"bulk.author.{i}@example.org",
                    short_bio=f"is a fellow working on {rng.choice(WORDS)} {rng.choice(WORDS)}.",
                )
            )
        Author.objects.bulk_create(new, batch_size=5000)
        return existing + new

    def make_topics(self, count):
        existing = {t.slug: t for t in Topic.objects.filter(slug__startswith="bulk-topic-")}
        wanted = [f"bulk-topic-{i}" for i in range(count)]
        Topic.objects.bulk_create(
            [Topic(name=f"Topic {slug[11:]}", slug=slug) for slug in wanted if slug not in existing]
        )
        return list(Topic.objects.filter(slug__in=wanted))
