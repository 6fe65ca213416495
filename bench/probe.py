"""In-process measurements for the benchmark suite, run by bench/suite.py.

    python bench/probe.py urls            -> JSON {page type: path}
    python bench/probe.py queries         -> JSON {page type: SQL queries}
    python bench/probe.py search FILE     -> JSON {median_ms, p95_ms, ...}

It uses the same environment (DATABASE_URL, settings) as the server under test.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pacforum.settings")

import django

django.setup()

from django.core.cache import cache  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from authors.models import Author  # noqa: E402
from commentaries.models import Commentary, Series, Topic  # noqa: E402


def page_urls():
    """One representative URL per page type, chosen to be heavy: the piece with
    the most authors, the author and topic with the most pieces."""
    published = Commentary.objects.published()
    piece = (
        published.annotate(n=Count("bylines"))
        .order_by("-n", "-published_at")
        .select_related("series")
        .first()
    )
    author = (
        Author.objects.filter(bylines__commentary__in=published)
        .annotate(n=Count("bylines"))
        .order_by("-n")
        .first()
    )
    topic = Topic.objects.annotate(n=Count("tagged_commentaries")).order_by("-n").first()
    # The biggest series (seed_bulk's), whose listing and menus weigh the most.
    series = Series.objects.annotate(n=Count("commentaries")).order_by("-n", "position").first()
    urls = {
        "healthz": reverse("healthz"),
        "home": reverse("commentaries:home"),
        "series": series.get_absolute_url() if series else None,
        "commentary": piece.get_absolute_url() if piece else None,
        "author": author.get_absolute_url() if author else None,
        "topic": topic.get_absolute_url() if topic else None,
        "search": reverse("commentaries:search") + "?q=maritime+security",
        "feed": reverse("commentaries:feed_rss"),
    }
    return {name: url for name, url in urls.items() if url}


def query_counts():
    client = Client()
    counts = {}
    for name, url in page_urls().items():
        cache.clear()  # cold: count every query a page needs
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        counts[name] = {"status": response.status_code, "queries": len(ctx.captured_queries)}
    return counts


def search_latency(path):
    queries = [q.strip() for q in Path(path).read_text().splitlines() if q.strip()]
    search = reverse("commentaries:search")
    client = Client()
    client.get(search, {"q": queries[0]})  # warm the connection and code paths
    timings = []
    statuses = set()
    for q in queries:
        started = time.perf_counter()
        response = client.get(search, {"q": q})
        timings.append((time.perf_counter() - started) * 1000)
        statuses.add(response.status_code)
    timings.sort()
    return {
        "queries": len(timings),
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 1),
        "max_ms": round(timings[-1], 1),
        "statuses": sorted(statuses),
        "commentaries": Commentary.objects.count(),
    }


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "urls":
        result = page_urls()
    elif what == "queries":
        result = query_counts()
    elif what == "search":
        result = search_latency(sys.argv[2])
    else:
        raise SystemExit(f"unknown measurement {what!r}")
    print(json.dumps(result))
