"""What keeps tests apart when pytest-xdist runs them in parallel workers.

pytest-django gives each worker its own test database (`test_<name>_gw0`, …).
The rest is here: a Redis database number per worker, a free port for every
server a test starts, and data built once for a whole module or class.
"""

import os
import socket
import sys
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

REDIS_DATABASES = 16  # redis.conf's default `databases`


def worker_index():
    """0 outside xdist, else the worker's number (gw0 → 0, gw1 → 1, …)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(worker.removeprefix("gw"))


def worker_redis_url(base_url):
    """`base_url` with its database number moved up by the worker's index.

    REDIS_URL=redis://127.0.0.1:6379/12 gives workers 0–3 the databases 12–15,
    so workers never flush or read each other's keys.
    """
    parts = urlsplit(base_url)
    base = int(parts.path.strip("/") or 0)
    number = base + worker_index()
    if number >= REDIS_DATABASES:
        raise ValueError(
            f"worker {worker_index()} would use Redis database {number} "
            f"(REDIS_URL ends in /{base}); Redis has databases 0–{REDIS_DATABASES - 1}: "
            "lower REDIS_URL's database number or run fewer workers"
        )
    return urlunsplit(parts._replace(path=f"/{number}"))


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now (the kernel picks it).

    Servers a test starts (SMTP, gunicorn, Varnish, Redis) listen on one of
    these, never on a fixed port, so parallel workers and other checkouts on
    the same machine never collide.
    """
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def built_once(django_db_blocker, build):
    """Run `build()` once, keep what it wrote for a whole module or class, then roll it back.

    For a module- or class-scoped fixture: the data lives in a transaction that
    stays open while the scope's tests run. Each test still runs inside its own
    savepoint (pytest-django's `db`), so what a test writes is undone after it.
    Not for `transactional_db` or `live_server` tests, which flush the database.
    Mark the tests that share it with one `xdist_group`: `make test` (`--dist
    loadgroup`) hands them to one worker, which builds it once; otherwise
    they are dealt to every worker, and each builds it.
    """
    from django.db import transaction

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            data = build()
        except BaseException:
            atomic.__exit__(*sys.exc_info())
            raise
    try:
        yield data
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
