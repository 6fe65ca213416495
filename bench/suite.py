"""The benchmark suite: `make bench` (or `make bench BENCH_ARGS=--quick`).

In one run, on one machine, so that figures are ratios taken at the same moment:
1. builds a fresh PostgreSQL database with the demo content plus `seed_bulk`
   data (timed), shaped to be heavy: pieces with up to 6 authors and 10 topics,
   authors with about 50 pieces each;
2. serves it with gunicorn under production settings, twice: cache off
   ("cold") and cache on ("warm"), and drives each page type with wrk;
3. counts SQL queries per page and times 50 realistic searches;
4. optionally grows the archive to 1,000,000 pieces and times search again;
5. prints the tables, puts them in place of docs/benchmarks.md's current
   figures and appends them, dated, to docs/benchmarks-history.md;
6. delivers one edition to 100,000 subscribers through db_worker, killing the
   worker twice (bench/delivery.py; --no-delivery skips it, --delivery-only
   runs only it), and appends its table, dated, to docs/benchmarks-history.md.
"""

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PORT = 8477
PAGES = ["healthz", "home", "series", "commentary", "author", "topic", "search", "feed"]
TARGETS = {  # minimum share of the /healthz ceiling's requests per second
    "commentary": {"warm": 0.85, "cold": 0.10},
    "home": {"warm": 0.80, "cold": 0.06},
    "series": {"warm": 0.80, "cold": 0.06},
    "author": {"warm": 0.80, "cold": 0.06},
    "topic": {"warm": 0.80, "cold": 0.06},
}


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(args, env, **kwargs):
    return subprocess.run(args, env=env, cwd=ROOT, check=True, text=True, **kwargs)  # noqa: S603


def database_env(db_name, base_url):
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"{base_url.rstrip('/')}/{db_name}",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "SECURE_SSL_REDIRECT": "false",
            "SECURE_HSTS_SECONDS": "0",
            "CONN_MAX_AGE": "60",
            "LOG_LEVEL": "WARNING",
        }
    )
    return env


def recreate_database(db_name, base_url):
    import psycopg

    with psycopg.connect(f"{base_url.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')


def seed(env, count, authors):
    started = time.monotonic()
    run(
        [
            PYTHON,
            "manage.py",
            "seed_bulk",
            f"--commentaries={count}",
            f"--authors={authors}",
            "--authors-per-piece=6",
            "--topics-per-piece=10",
            "--topics=500",
        ],
        env,
        stdout=subprocess.DEVNULL,
    )
    return time.monotonic() - started


def analyze(db_name, base_url):
    """Refresh the planner's statistics and the visibility map after a bulk
    load, as autovacuum would on a live site (without it PostgreSQL plans for
    an empty table and cannot use index-only scans)."""
    import psycopg

    with psycopg.connect(f"{base_url.rstrip('/')}/{db_name}", autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


class Server:
    def __init__(self, env, workers, threads):
        self.env, self.workers, self.threads = env, workers, threads

    def __enter__(self):
        args = [
            GUNICORN,
            "pacforum.wsgi",
            f"--bind=127.0.0.1:{PORT}",
            f"--workers={self.workers}",
            "--log-level=warning",
        ]
        if self.threads > 1:
            args += ["--worker-class=gthread", f"--threads={self.threads}"]
        self.process = subprocess.Popen(args, env=self.env, cwd=ROOT, start_new_session=True)  # noqa: S603
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/healthz", timeout=2)
                return self
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer on /healthz within 60 s")

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(path, duration, connections):
    url = f"http://127.0.0.1:{PORT}{path}"
    for _ in range(20):  # warm the page (and the cache, when it is on)
        urllib.request.urlopen(url, timeout=10).read()
    out = subprocess.run(  # noqa: S603
        ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    latency = {
        p: float(v) * UNITS[u]
        for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "p50_ms": latency.get("50"),
        "p99_ms": latency.get("99"),
        "errors": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else "",
    }


def probe(env, *args):
    # In-process measurements are cold: every query a page needs is counted,
    # and every search runs.
    env = dict(env, CACHE_DISABLED="true")
    out = run([PYTHON, "bench/probe.py", *args], env, capture_output=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100_000, help="commentaries to seed")
    parser.add_argument("--quick", action="store_true", help="5,000 pieces, 5 s per page")
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("BENCH_WORKERS", 3)))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("BENCH_THREADS", 1)))
    parser.add_argument(
        "--million",
        action="store_true",
        help="also grow the archive to 1,000,000 pieces and time search",
    )
    parser.add_argument("--database", default="pacforum_bench")
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument("--no-record", action="store_true", help="do not touch docs/benchmarks*.md")
    parser.add_argument("--no-delivery", action="store_true", help="skip the delivery benchmark")
    parser.add_argument(
        "--delivery-only", action="store_true", help="run only the delivery benchmark"
    )
    args = parser.parse_args()
    if args.delivery_only:
        delivery_benchmark(args)
        return
    if args.quick:
        args.size, args.duration = 5_000, 5
    if not shutil.which("wrk"):
        sys.exit("wrk is missing: apt-get install wrk")

    started = time.monotonic()
    env = database_env(args.database, args.postgres)
    static_root = tempfile.mkdtemp(prefix="pacforum-bench-static-")
    env["STATIC_ROOT"] = static_root
    log(f"fresh database {args.database}")
    recreate_database(args.database, args.postgres)
    run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env)
    run([PYTHON, "manage.py", "load_demo"], env, stdout=subprocess.DEVNULL)
    run([PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"], env)
    authors = max(10, args.size * 35 // 500)  # about 50 pieces per author
    log(f"seed_bulk {args.size:,} commentaries")
    seed_seconds = seed(env, args.size, authors)
    log(f"seeded in {seed_seconds:.1f} s")
    analyze(args.database, args.postgres)

    urls = probe(env, "urls")
    results = {}
    for mode in ("cold", "warm"):
        mode_env = dict(env, CACHE_DISABLED="true" if mode == "cold" else "false")
        with Server(mode_env, args.workers, args.threads):
            # The ceiling is measured first and again last, and averaged: the
            # machine's load can drift during a run.
            for page in [*PAGES, "healthz"]:
                if page not in urls:
                    continue
                log(f"{mode} {page} {urls[page]} (load average {os.getloadavg()[0]:.2f})")
                result = wrk(urls[page], args.duration, args.connections)
                if (page, mode) in results:
                    first, last = results[(page, mode)]["rps"], result["rps"]
                    result = dict(result, rps=(first + last) / 2)
                    result["note"] = f"ceiling: mean of {first:,.0f} and {last:,.0f}"
                results[(page, mode)] = result
    load = os.getloadavg()

    queries = probe(env, "queries")
    search = {args.size: probe(env, "search", "bench/queries.txt")}
    grow_seconds = None
    if args.million:
        extra = 1_000_000 - args.size
        log(f"growing the archive by {extra:,} pieces")
        grow_seconds = seed(env, extra, max(10, extra * 35 // 500))
        log(f"grown in {grow_seconds:.1f} s")
        analyze(args.database, args.postgres)
        search[1_000_000] = probe(env, "search", "bench/queries.txt")

    report = render(
        args,
        urls,
        results,
        queries,
        search,
        (seed_seconds, grow_seconds),
        time.monotonic() - started,
        load,
    )
    print(report)
    if not args.no_record:
        record(report)
        log("recorded in docs/benchmarks.md and docs/benchmarks-history.md")
    shutil.rmtree(static_root, ignore_errors=True)
    if not args.no_delivery:
        delivery_benchmark(args)


def delivery_benchmark(args):
    """bench/delivery.py in its own process, its table appended like the pages'."""
    subscribers = 5_000 if args.quick else 100_000
    log(f"edition delivery to {subscribers:,} subscribers")
    result = subprocess.run(  # noqa: S603
        [
            PYTHON,
            "bench/delivery.py",
            "--subscribers",
            str(subscribers),
            "--postgres",
            args.postgres,
        ],
        cwd=ROOT,
        check=True,
        text=True,
        capture_output=True,
    )
    table = result.stdout[result.stdout.index("Edition delivery") :]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = f"### Edition delivery {now}\n\n{table}"
    print(report)
    if not args.no_record:
        record(report, markers=DELIVERY_MARKERS)
        log("recorded in docs/benchmarks.md and docs/benchmarks-history.md")


CURRENT_START = "<!-- current-figures: replaced by bench/suite.py -->"
CURRENT_END = "<!-- end current-figures -->"
DELIVERY_MARKERS = (
    "<!-- delivery-figures: replaced by bench/suite.py -->",
    "<!-- end delivery-figures -->",
)


def record(report, *, markers=(CURRENT_START, CURRENT_END)):
    """The run's tables replace the current figures in docs/benchmarks.md and
    are appended, dated, to docs/benchmarks-history.md."""
    current = ROOT / "docs" / "benchmarks.md"
    text = current.read_text(encoding="utf-8")
    start_marker, end_marker = markers
    start, end = text.index(start_marker), text.index(end_marker)
    latest = report.replace("### ", "#### ", 1)
    current.write_text(
        text[: start + len(start_marker)] + "\n" + latest + "\n" + text[end:], encoding="utf-8"
    )
    with (ROOT / "docs" / "benchmarks-history.md").open("a", encoding="utf-8") as f:
        f.write("\n" + report)


def render(args, urls, results, queries, search, seeding, total_seconds, load):
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    seed_seconds, grow_seconds = seeding
    flags = " ".join(f for f, on in (("--quick", args.quick), ("--million", args.million)) if on)
    lines = [
        f"### Benchmark run {now}",
        "",
        f"`make bench{f' BENCH_ARGS={flags}' if flags else ''}`: {args.size:,} seeded "
        f"commentaries plus the demo; gunicorn {args.workers} workers"
        f"{f' x {args.threads} threads' if args.threads > 1 else ''}, wrk 2 threads "
        f"{args.connections} connections {args.duration} s per page; whole run "
        f"{total_seconds / 60:.1f} min. Load average at the end of the page runs "
        f"{load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (1 / 5 / 15 min; 2 cores).",
        "",
        "| page | mode | req/s | share of /healthz | target | p50 ms | p99 ms | non-2xx | SQL |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for mode in ("cold", "warm"):
        ceiling = results.get(("healthz", mode), {}).get("rps")
        for page in PAGES:
            r = results.get((page, mode))
            if not r:
                continue
            share = r["rps"] / ceiling if ceiling else 0
            target = TARGETS.get(page, {}).get(mode)
            verdict = f"{target:.2f} {'met' if share >= target else 'MISSED'}" if target else ""
            verdict = verdict or r.get("note", "")
            sql = queries.get(page, {}).get("queries", "")
            lines.append(
                f"| {page} | {mode} | {r['rps']:,.0f} | {share:.2f} | {verdict} | "
                f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['errors']} | {sql} |"
            )
    lines += [
        "",
        "| search over | queries | median ms | p95 ms | max ms | target |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for size, s in search.items():
        if size <= 100_000:
            target, met = "median < 50, p95 < 150", s["median_ms"] < 50 and s["p95_ms"] < 150
        else:
            target, met = "median < 200", s["median_ms"] < 200
        lines.append(
            f"| {s['commentaries']:,} pieces | {s['queries']} | {s['median_ms']} | "
            f"{s['p95_ms']} | {s['max_ms']} | {target} {'met' if met else 'MISSED'} |"
        )
    lines += [
        "",
        f"seed_bulk {args.size:,} commentaries (6 authors, 10 topics max per piece): "
        f"{seed_seconds:.1f} s (target < 120 s"
        f"{', met' if args.size == 100_000 and seed_seconds < 120 else ''}).",
    ]
    if grow_seconds is not None:
        grown = 1_000_000 - args.size
        lines.append(
            f"Growing the archive by {grown:,} more: {grow_seconds:.1f} s "
            f"({grown / grow_seconds:,.0f} pieces/s)."
        )
    lines.append("")
    lines.append("URLs: " + ", ".join(f"{k} `{v}`" for k, v in urls.items()))
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
