"""Search latency on PostgreSQL at scale.

    DEBUG=true DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> \
        .venv/bin/python bench/search.py --commentaries 100000

Makes sure the database holds at least N published commentaries (topping up
with `manage.py seed_bulk`), then times the readers' search page for a set of
typical queries: the SQL the view runs (count and first page with ranking and
snippets) and the whole page rendered through Django with the page cache off.
Prints median, 90th percentile and maximum per query and overall.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacforum.settings")
os.environ["CACHE_DISABLED"] = "true"  # every request runs the real search

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

from commentaries.lookup import number_matches, parse_number_query  # noqa: E402
from commentaries.models import Commentary, Series  # noqa: E402
from commentaries.search import fetch_results, ranked_ids  # noqa: E402
from commentaries.suggestions import did_you_mean  # noqa: E402

# Words, phrases, names and operators a reader would type. The synthetic
# archive is written from a small vocabulary, so single words match most of it:
# the worst case for ranking.
QUERIES = [
    "semiconductor",
    "maritime security",
    "coast guard",
    '"coast guard"',
    "sanctions or treaty",
    "nuclear -energy",
    "fisheries enforcement",
    "Aroha Ahn",
    "election cyber privacy",
    "undersea cables",
    "alliance burden-sharing",
    "green shipping corridors",
    # A piece by the number it is cited by (seed_bulk's series is “Bulk”),
    # with and without the series; and misspelt words ("Did you mean").
    "Bulk #68",
    "2019 #12",
    "#7R",
    "maritme securty",
    "deterence semiconducter",
]


def view_sql(query, series):
    """The SQL the search view runs for one query: ranked ids, the pieces
    named by number, the suggestion, then the first page with snippets."""
    ids = ranked_ids(query)
    numbered = parse_number_query(query, series=series)
    if numbered:
        matched = list(
            Commentary.objects.published()
            .filter(number_matches(numbered))
            .order_by("-published_at", "-id")
            .values_list("pk", flat=True)[:100]
        )
        ids = matched + [pk for pk in ids if pk not in set(matched)]
    did_you_mean(query, keep=[name for s in series for name in (s.name, s.short_label)])
    fetch_results(ids[:20], query)
    return ids


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commentaries", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        sys.exit("The search benchmark needs PostgreSQL: set DATABASE_URL.")
    published = Commentary.objects.published().count()
    if published < args.commentaries:
        call_command("seed_bulk", commentaries=args.commentaries - published)
        published = Commentary.objects.published().count()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    series = list(Series.objects.all())
    client = Client(HTTP_HOST="localhost")
    timings = {query: [] for query in QUERIES}
    database = {query: [] for query in QUERIES}
    counts = {}
    for query in QUERIES:  # warm-up round, not timed
        response = client.get("/search/", {"q": query})
        if response.status_code != 200:
            sys.exit(f"/search/?q={query} answered {response.status_code}")
        counts[query] = len(view_sql(query, series))
    for _ in range(args.rounds):
        for query in QUERIES:
            started = time.perf_counter()
            response = client.get("/search/", {"q": query})
            timings[query].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            view_sql(query, series)
            database[query].append((time.perf_counter() - started) * 1000)

    print(f"{published:,} published commentaries, {args.rounds} rounds, page cache off")
    print(
        "search = the view's SQL: ranked ids, pieces named by number, the suggestion, "
        "then the first page with snippets and bylines"
    )
    print("page = the whole /search/ response rendered through Django")
    header = f"{'query':28} {'ranked':>7} {'search median':>14} {'p90':>6}"
    header += f" {'page median':>12} {'p90':>6}"
    print(header + "  (ms)")
    for query in QUERIES:
        print(
            f"{query:28} {counts[query]:>7,} {statistics.median(database[query]):>14.1f} "
            f"{percentile(database[query], 0.9):>6.1f} {statistics.median(timings[query]):>12.1f} "
            f"{percentile(timings[query], 0.9):>6.1f}"
        )
    searches = [value for values in database.values() for value in values]
    pages = [value for values in timings.values() for value in values]
    print(
        f"{'all queries':28} {'':>7} {statistics.median(searches):>14.1f} "
        f"{percentile(searches, 0.9):>6.1f} {statistics.median(pages):>12.1f} "
        f"{percentile(pages, 0.9):>6.1f}"
    )


if __name__ == "__main__":
    main()
