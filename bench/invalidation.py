"""Precise invalidation, measured: warm the page cache by crawling commentary
pages, publish one piece, crawl again.

    .venv/bin/python bench/invalidation.py --pieces 100000 --crawl 10000 \\
        --redis redis://127.0.0.1:6379/7 [--varnish] [--reuse]

1. A fresh database (`pf_bench_invalidation`) with `--pieces` pieces in one
   series (`seed_bulk`), unless `--reuse`.
2. gunicorn (3 workers, production settings, the page cache in Redis under a
   prefix of its own); with `--varnish`, Varnish (ops/varnish.vcl) in front
   and `EDGE_CACHE=varnish`.
3. Warm: crawl `--crawl` random commentary pages plus the listings a publish
   changes (home, the series, its feeds, the sitemap), through Varnish if
   there is one (which warms both caches).
4. Publish one piece (the service, in this process), counting the keys it
   invalidates (and, with Varnish, purging them there).
5. Crawl the same pages again on the application: the share of hits in its
   own cache; then, with `--varnish`, through Varnish: the share the edge
   answered.
6. Staleness: every crawled page that may show the new piece (its series
   neighbours, the pieces near it under its topics, the listings) is compared
   with the same page built by a second gunicorn with every cache off: the new
   piece's address must appear in one exactly when it appears in the other.
7. Stampede: 50 concurrent requests for the home page just made stale; how
   many rebuilt it.

Prints a report and writes it to bench/results/invalidation-<time>.txt; the
load average is recorded with every figure.
"""

import argparse
import os
import random
import sys
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import suite  # noqa: E402  (bench/suite.py: database, seeding, gunicorn helpers)

DB_NAME = "pf_bench_invalidation"
SERIES = "bulk"


def load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def fetch(url, headers=None):
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


def crawl(base, paths, threads=6, host=None):
    """{path: (status, headers, body)} for every path, `threads` at a time;
    `host` sends another Host header (the one a front cache forwards)."""
    headers = {"Host": host} if host else None
    with ThreadPoolExecutor(max_workers=threads) as pool:
        answers = list(pool.map(lambda path: fetch(base + path, headers), paths))
    return dict(zip(paths, answers, strict=True))


@contextmanager
def serving(args, port, *, env=None, tries=600):
    """Start a server process (`args`), wait until its /healthz answers on
    `port`, yield its base URL, and stop its whole process group after."""
    import subprocess

    process = subprocess.Popen(args, env=env, cwd=ROOT, start_new_session=True)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(tries):
            try:
                fetch(base + "/healthz")
                break
            except OSError:
                time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def gunicorn(env, port, workers):
    args = [suite.GUNICORN, "pacforum.wsgi", f"--bind=127.0.0.1:{port}"]
    args += [f"--workers={workers}", "--log-level=warning"]
    return serving(args, port, env=env)


def varnish(port, backend_port, workdir):
    vcl = (ROOT / "ops" / "varnish.vcl").read_text()
    vcl = vcl.replace('.port = "8000";', f'.port = "{backend_port}";')
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "varnish.vcl").write_text(vcl)
    args = ["/usr/sbin/varnishd", "-F", "-j", "none", "-n", str(workdir / "work")]
    args += ["-a", f"127.0.0.1:{port}", "-f", str(workdir / "varnish.vcl")]
    args += ["-s", "malloc,512m", "-T", "none"]
    return serving(args, port, tries=300)


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def publish_one():
    """Publish a new piece in the series, with an existing author and two
    topics; returns it and the keys the publish invalidated."""
    from authors.models import Author
    from commentaries.models import Byline, Commentary, Series, Topic
    from commentaries.services import commentary_publish
    from pacforum import pagecache

    bumped = set()
    real = pagecache._bump

    def counting(keys):
        bumped.update(keys)
        real(keys)

    pagecache._bump = counting
    try:
        series = Series.objects.get(slug=SERIES)
        piece = Commentary.objects.create(
            series=series,
            title=f"Benchmark publish {uuid.uuid4().hex[:8]}",
            slug=f"benchmark-publish-{uuid.uuid4().hex[:8]}",
            summary="A piece published by the invalidation benchmark.",
            body="<p>Published by bench/invalidation.py.</p>",
        )
        author = Author.objects.order_by("?").first()
        Byline.objects.create(commentary=piece, author=author, bio="is a benchmark author.")
        piece.topics.add(*Topic.objects.order_by("?")[:2])
        started = time.monotonic()
        commentary_publish(commentary=piece)
        seconds = time.monotonic() - started
    finally:
        pagecache._bump = real
    piece.refresh_from_db()
    return piece, sorted(bumped), seconds


def main():
    import signal

    # A SIGTERM still stops the servers this script started (finally blocks).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pieces", type=int, default=100_000)
    parser.add_argument("--crawl", type=int, default=10_000)
    parser.add_argument("--redis", default=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--reuse", action="store_true", help="keep the seeded database")
    parser.add_argument("--varnish", action="store_true", help="crawl through Varnish")
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument(
        "--prefix", help="the page cache's key prefix in Redis (reuse a warm cache from a run)"
    )
    args = parser.parse_args()

    lines = []

    def say(message):
        line = f"[{time.strftime('%H:%M:%S')} load {load()}] {message}"
        print(line, flush=True)
        lines.append(line)

    env = suite.database_env(DB_NAME, args.postgres)
    prefix = args.prefix or f"bench-invalidation-{uuid.uuid4().hex[:8]}"
    env.update({"REDIS_URL": args.redis, "CACHE_KEY_PREFIX": prefix})
    env.update({"GUNICORN_ACCESS_LOG": "off", "LOG_LEVEL": "ERROR"})
    # Every request comes from this one address (or Varnish's): the per-client
    # limit on new cache entries would stop the warm crawl at 300 pages.
    env["PUBLIC_PAGE_CACHE_CLIENT_ENTRIES"] = "1000000"
    if not args.reuse:
        say(f"seeding {args.pieces:,} pieces")
        suite.recreate_database(DB_NAME, args.postgres)
        suite.run([suite.PYTHON, "manage.py", "migrate", "--noinput"], env, capture_output=True)
        suite.run(
            [suite.PYTHON, "manage.py", "seed_bulk", f"--commentaries={args.pieces}"],
            env,
            capture_output=True,
        )
        suite.analyze(DB_NAME, args.postgres)
        say("seeded")

    suite.run([suite.PYTHON, "manage.py", "migrate", "--noinput"], env, capture_output=True)
    suite.run([suite.PYTHON, "manage.py", "collectstatic", "--noinput"], env, capture_output=True)
    app_port, fresh_port, edge_port = free_port(), free_port(), free_port()
    if args.varnish:
        env.update({"EDGE_CACHE": "varnish", "EDGE_VARNISH_URLS": f"http://127.0.0.1:{edge_port}"})
    # This process publishes like an application node; its purge runs at once.
    os.environ.update(env)
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.immediate.ImmediateBackend"
    os.environ["DJANGO_SETTINGS_MODULE"] = "pacforum.settings"
    import django

    django.setup()
    from commentaries import cachekeys
    from commentaries.golive import announce_due
    from commentaries.models import Commentary

    # The seeded pieces of the last two days have not been announced by the
    # go-live tick yet; announce them now, so that the publish below is the
    # only change measured.
    while announce_due():
        pass

    rng = random.Random(19)
    ids = list(Commentary.objects.published().values_list("pk", flat=True))
    sample = rng.sample(ids, min(args.crawl, len(ids)))
    pieces = Commentary.objects.filter(pk__in=sample).select_related("series")
    by_id = {piece.pk: piece.get_absolute_url() for piece in pieces}
    listings = ["/", f"/{SERIES}/", "/feeds/rss/", f"/feeds/series/{SERIES}/rss/"]
    listings += ["/sitemap-commentaries.xml"]
    paths = [by_id[pk] for pk in sample] + listings
    say(f"{len(ids):,} published pieces; crawling {len(paths):,} pages; cache prefix {prefix}")

    fresh_env = {**env, "CACHE_DISABLED": "true", "EDGE_CACHE": ""}
    with ExitStack() as stack:
        app = stack.enter_context(gunicorn(env, app_port, args.workers))
        fresh = stack.enter_context(gunicorn(fresh_env, fresh_port, 1))
        front = app
        if args.varnish:
            front = stack.enter_context(
                varnish(edge_port, app_port, Path("/tmp") / f"bench-varnish-{prefix}")  # noqa: S108
            )
        started = time.monotonic()
        warm = crawl(front, paths)
        say(
            f"warm crawl: {len(paths):,} pages in {time.monotonic() - started:.0f} s, "
            f"{Counter(a[1].get('X-Cache', 'edge') for a in warm.values())}"
        )

        piece, keys, seconds = publish_one()
        new_path = piece.get_absolute_url()
        say(f"published {new_path} in {seconds * 1000:.0f} ms: {len(keys)} keys invalidated")
        say("keys: " + " ".join(keys))

        # The application first (its own cache: which pages were rebuilt),
        # then, with --varnish, the same pages through the edge.
        # Under the Host the front cache forwarded, so that the application's
        # cache is asked for the very entries the warm crawl through it made.
        started = time.monotonic()
        after = crawl(app, paths, host=front.split("://", 1)[1])
        elapsed = time.monotonic() - started
        app_cache = Counter(a[1].get("X-Cache") for a in after.values())
        hits = app_cache["hit"]
        say(f"second crawl: {len(paths):,} pages in {elapsed:.0f} s; application cache {app_cache}")
        share = hits / len(paths)
        say(f"application cache hits: {hits:,} of {len(paths):,} = {share:.2%}")
        missed = sorted(path for path, a in after.items() if a[1].get("X-Cache") != "hit")
        say(f"rebuilt pages: {len(missed)}: " + " ".join(missed[:60]))
        bodies = {path: [a[2]] for path, a in after.items()}
        if args.varnish:
            through = crawl(front, paths)
            edge_answers = Counter(a[1].get("X-Edge") for a in through.values())
            say(
                f"through Varnish: {edge_answers}; served by the edge "
                f"{edge_answers['hit'] / len(paths):.2%}"
            )
            for path, a in through.items():
                bodies[path].append(a[2])

        # Staleness: the pages that may show the new piece, plus others.
        candidates = {by_id[pk] for pk in cachekeys.neighbours(piece) if pk in by_id}
        others = rng.sample([p for p in paths if p not in candidates], 200)
        checked = sorted(candidates | set(listings) | set(others))
        stale = []
        shows = 0
        for path in checked:
            fresh_body = fetch(fresh + path)[2]
            should = new_path in fresh_body
            shows += should
            if any(should != (new_path in body) for body in bodies[path]):
                stale.append(path)
        say(
            f"staleness: {len(checked)} pages checked ({len(candidates)} crawled pages near the "
            f"new piece, {len(listings)} listings, {len(others)} others); {shows} show the new "
            f"piece; stale: {len(stale)} {' '.join(stale[:20])}"
        )

        # Stampede: the home page, hot, made stale by an edit of a live
        # piece; 50 readers at once (on the application, not the edge).
        fetch(app + "/")
        from pacforum.pagecache import invalidate

        invalidate(cachekeys.ALL)
        with ThreadPoolExecutor(max_workers=50) as pool:
            burst = list(pool.map(lambda _: fetch(app + "/"), range(50)))
        kinds = Counter(headers.get("X-Cache") for _, headers, _ in burst)
        say(f"stampede: 50 concurrent requests for a page just made stale: {dict(kinds)}")

    out = HERE / "results" / f"invalidation-{time.strftime('%Y%m%d-%H%M%S')}.txt"
    out.parent.mkdir(exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    print(f"written: {out}")


if __name__ == "__main__":
    main()
