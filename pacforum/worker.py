"""Is the background worker (`manage.py db_worker`) alive?

The worker runs the go-live tick every GO_LIVE_TICK_SECONDS, so a live worker
starts some task at least that often. It is reported dead when no task started
for WORKER_HEARTBEAT_MAX_AGE (2 minutes), or when a task has waited longer than
WORKER_QUEUE_MAX_AGE past its time. Only the database task backend keeps
such a record; with any other backend there is nothing to report.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Max, Q
from django.utils import timezone
from django_tasks import task_backends


def _database_backend():
    from django_tasks_db.backend import DatabaseBackend

    backend = task_backends["default"]
    return backend if isinstance(backend, DatabaseBackend) else None


def worker_status() -> dict | None:
    """{"problems": [...], "last_started": datetime|None, "oldest_wait": seconds},
    or None when the task backend keeps no queue (tests, immediate backend)."""
    backend = _database_backend()
    if backend is None:
        return None
    from django_tasks_db.models import DBTaskResult, get_date_max

    now = timezone.now()
    heartbeat_age = getattr(settings, "WORKER_HEARTBEAT_MAX_AGE", timedelta(minutes=2))
    queue_age = getattr(settings, "WORKER_QUEUE_MAX_AGE", timedelta(minutes=5))
    tasks = DBTaskResult.objects.filter(backend_name=backend.alias)
    last_started = tasks.aggregate(last=Max("started_at"))["last"]
    cutoff = now - queue_age
    waiting = tasks.filter(status="READY").filter(
        Q(run_after=get_date_max(), enqueued_at__lt=cutoff) | Q(run_after__lt=cutoff)
    )
    oldest = waiting.order_by("enqueued_at").values_list("run_after", "enqueued_at").first()
    problems = []
    if last_started is None or now - last_started > heartbeat_age:
        problems.append(
            "no heartbeat from the worker for over "
            f"{int(heartbeat_age.total_seconds() // 60)} minutes"
            if last_started
            else "the worker has never run a task"
        )
    oldest_wait = None
    if oldest:
        run_after, enqueued_at = oldest
        since = enqueued_at if run_after == get_date_max() else run_after
        oldest_wait = int((now - since).total_seconds())
        problems.append(f"a queued task has waited {oldest_wait // 60} minutes")
    return {"problems": problems, "last_started": last_started, "oldest_wait": oldest_wait}
