"""Profile one page type in process with pyinstrument: where a page misses
its target, this shows where the time goes.

    DATABASE_URL=... CACHE_DISABLED=true DEBUG=false SECRET_KEY=... \\
        .venv/bin/python bench/profile.py commentary [--requests 100] [--html out.html]

It picks the same heavy URL as `make bench` (bench/probe.py), warms up, times
N requests through Django's test client, then profiles N more and prints the
call tree (or writes it as HTML). Needs the bench extra:
`.venv/bin/pip install -c constraints.txt -e '.[bench]'`.
"""

import argparse
import time

import probe  # sets up Django with the environment's settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pyinstrument import Profiler


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("page", choices=sorted(probe.page_urls()))
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--html", help="write the profile as HTML to this file")
    args = parser.parse_args()

    url = probe.page_urls()[args.page]
    client = Client()
    for _ in range(5):
        response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")

    started = time.perf_counter()
    for _ in range(args.requests):
        client.get(url)
    per_request = (time.perf_counter() - started) / args.requests * 1000
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    sql_ms = sum(float(q["time"]) for q in queries.captured_queries) * 1000
    print(
        f"{args.page} {url}: {per_request:.1f} ms a request, "
        f"{len(queries.captured_queries)} queries taking {sql_ms:.1f} ms"
    )

    profiler = Profiler(interval=0.0005)
    with profiler:
        for _ in range(args.requests):
            client.get(url)
    if args.html:
        with open(args.html, "w", encoding="utf-8") as f:
            f.write(profiler.output_html())
        print(f"profile written to {args.html}")
    else:
        print(profiler.output_text(unicode=True, color=False))


if __name__ == "__main__":
    main()
