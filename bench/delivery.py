"""Edition delivery benchmark: one edition to N confirmed subscribers through
`db_worker`, to a local aiosmtpd sink that keeps nothing but a count per
recipient, with the worker SIGKILLed twice mid-run and restarted.

    .venv/bin/python bench/delivery.py [--subscribers 100000] [--kills 2]

Reports the wall time from the first worker's start to the edition's end, the
peak resident memory of any worker process (VmHWM), duplicates seen by the
sink (target 0) and how many deliveries ended *unknown* (the messages in
flight at each kill). `make bench` runs it after the page benchmarks.
"""

import argparse
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = str(ROOT / ".venv" / "bin" / "python")


def log(message):
    print(f"[delivery {time.strftime('%H:%M:%S')}] {message}", flush=True)


class CountingSink:
    """Accepts every message and counts recipients; writes nothing anywhere."""

    def __init__(self):
        self.recipients = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.recipients.update(envelope.rcpt_tos)
        return "250 2.0.0 accepted"

    @property
    def total(self):
        with self.lock:
            return sum(self.recipients.values())


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def recreate_database(name, base_url):
    import psycopg

    with psycopg.connect(f"{base_url.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def peak_rss_mib(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def seed(subscribers):
    """One live piece and `subscribers` confirmed subscribers of its series, by SQL."""
    from django.db import connection
    from django.utils import timezone

    from commentaries.models import Commentary, Series
    from subscriptions.models import SubscriptionRequest

    series = Series.objects.create(name="PacNet", slug="pacnet", short_label="PacNet")
    piece = Commentary.objects.create(
        series=series,
        title="Benchmark edition",
        summary="One edition, many readers.",
        body="<p>" + "A paragraph of a typical commentary. " * 40 + "</p>" * 1,
        status="published",
        published_at=timezone.now(),
        year=timezone.now().year,
        number=1,
    )
    table = SubscriptionRequest._meta.db_table
    membership = SubscriptionRequest.series.through._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (name, email, organization, status, consent_text,
                consent_version, created_at, updated_at, confirmed_at, last_requested_at,
                source, hard_bounces, undeliverable_reason)
            SELECT 'Reader ' || n, 'reader' || n || '@example.org', '', 'confirmed', 'bench',
                'bench', now(), now(), now(), now(), 'bench', 0, ''
            FROM generate_series(1, %s) AS n
            """,  # noqa: S608 - table names from the models
            [subscribers],
        )
        cursor.execute(
            f"INSERT INTO {membership} (subscriptionrequest_id, series_id) "  # noqa: S608
            f"SELECT id, %s FROM {table}",
            [series.pk],
        )
        cursor.execute("ANALYZE")
    return piece


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=100_000)
    parser.add_argument("--kills", type=int, default=2, help="SIGKILLs of the worker mid-run")
    parser.add_argument("--database", default="pacforum_bench_delivery")
    parser.add_argument(
        "--postgres", default=os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
    )
    parser.add_argument(
        "--kill-at",
        default="",
        help="comma-separated message counts to kill at (default: evenly spread by --kills)",
    )
    parser.add_argument("--timeout", type=int, default=1800, help="give up after this many s")
    args = parser.parse_args()

    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "DATABASE_URL": f"{args.postgres.rstrip('/')}/{args.database}",
            "DJANGO_SETTINGS_MODULE": "pacforum.settings",
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "127.0.0.1",
            "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
            "EMAIL_BACKEND": "subscriptions.mail.SMTPBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(port),
            "NEWSLETTER_BOUNCE_ADDRESS": "bounces@news.example.org",
            "DEFAULT_FROM_EMAIL": "Pacific Forum <pacnet@example.org>",
            "SITE_URL": "https://forum.example.org",
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "60",
            # Restarts are resumed by the tick; a short tick and lease let the
            # run show the whole cycle within minutes instead of the defaults'.
            "GO_LIVE_TICK_SECONDS": "5",
            "NEWSLETTER_SENDING_LEASE_SECONDS": "20",
        }
    )
    os.environ.update(env)
    log(f"fresh database {args.database}")
    recreate_database(args.database, args.postgres)
    subprocess.run(  # noqa: S603
        [PYTHON, "manage.py", "migrate", "--noinput", "-v0"], env=env, cwd=ROOT, check=True
    )

    import django

    django.setup()
    from aiosmtpd.controller import Controller
    from django.db import connection
    from django.db.models import Count

    from subscriptions import sending
    from subscriptions.models import Delivery, Edition

    log(f"{args.subscribers:,} confirmed subscribers")
    piece = seed(args.subscribers)
    edition = sending.edition_for_go_live(commentary=piece)  # queues the delivery task
    connection.close()

    sink = CountingSink()
    controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    kill_at = (
        sorted(int(n) for n in args.kill_at.split(","))
        if args.kill_at
        else [args.subscribers * (k + 1) // (args.kills + 1) for k in range(args.kills)]
    )
    workers, peak, kills = [], 0.0, []

    def start():
        process = subprocess.Popen(  # noqa: S603
            [PYTHON, "manage.py", "db_worker", "--no-startup-delay", "--interval", "0.2"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        workers.append(process)
        return process

    load_start = os.getloadavg()
    started = time.monotonic()
    worker = start()
    from commentaries.tasks import ensure_tick

    ensure_tick()
    finished = False
    try:
        while time.monotonic() - started < args.timeout:
            time.sleep(0.5)
            peak = max(peak, peak_rss_mib(worker.pid))
            if kill_at and sink.total >= kill_at[0]:
                kill_at.pop(0)
                os.kill(worker.pid, signal.SIGKILL)
                worker.wait()
                kills.append((sink.total, round(time.monotonic() - started, 1)))
                log(f"SIGKILL at {sink.total:,} messages received; restarting")
                worker = start()
            status = Edition.objects.filter(pk=edition.pk).values_list("status", flat=True)[0]
            if status == Edition.Status.SENT:
                finished = True
                break
    finally:
        elapsed = time.monotonic() - started
        load_end = os.getloadavg()
        for process in workers:
            if process.poll() is None:
                peak = max(peak, peak_rss_mib(process.pid))
                process.terminate()
                process.wait(timeout=30)
        controller.stop()

    states = Counter(
        dict(
            Delivery.objects.filter(edition=edition)
            .values_list("state")
            .annotate(n=Count("pk"))
            .order_by()
        )
    )
    duplicates = sum(1 for count in sink.recipients.values() if count > 1)
    result = {
        "subscribers": args.subscribers,
        "finished": finished,
        "seconds": round(elapsed, 1),
        "rate": round(sink.total / elapsed, 1) if elapsed else 0,
        "peak_worker_mib": round(peak, 1),
        "received": sink.total,
        "distinct": len(sink.recipients),
        "duplicates": duplicates,
        "states": dict(states),
        "unknown": states.get("unknown", 0),
        "kills": kills,
        "load_start": [round(x, 2) for x in load_start],
        "load_end": [round(x, 2) for x in load_end],
    }
    print(render(result))
    return result


def render(r):
    met = lambda ok: "met" if ok else "**MISSED**"  # noqa: E731
    return "\n".join(
        [
            f"Edition delivery, {r['subscribers']:,} confirmed subscribers, db_worker to a local "
            f"aiosmtpd sink, worker SIGKILLed {len(r['kills'])} times "
            f"(at {', '.join(f'{n:,} messages / {t} s' for n, t in r['kills']) or '-'}) "
            "and restarted. Load average at start "
            f"{' / '.join(map(str, r['load_start']))}, at end {' / '.join(map(str, r['load_end']))}"
            " (1 / 5 / 15 min; 2 cores shared with other work).",
            "",
            "| measure | value | target |",
            "| --- | ---: | --- |",
            f"| finished | {'yes' if r['finished'] else 'NO: stopped at the time limit'} | |",
            f"| wall time | {r['seconds'] / 60:.1f} min ({r['rate']:,.0f} messages/s) | "
            f"< 10 min {met(r['finished'] and r['seconds'] < 600)} |",
            f"| peak worker memory (VmHWM) | {r['peak_worker_mib']:.0f} MiB | "
            f"< 300 MB {met(r['peak_worker_mib'] * 1.048576 < 300)} |",
            f"| recipients received twice | {r['duplicates']} | 0 {met(r['duplicates'] == 0)} |",
            f"| left unknown | {r['unknown']} | reported |",
            f"| received by the sink | {r['received']:,} ({r['distinct']:,} distinct) | |",
            f"| delivery states | {', '.join(f'{k} {v:,}' for k, v in sorted(r['states'].items()))}"
            " | |",
            "",
        ]
    )


if __name__ == "__main__":
    main()
