"""Background tasks of the publication domain (worked by `manage.py db_worker`)."""

import logging
from datetime import timedelta

from django.utils import timezone
from django_tasks import task

from . import golive, review

logger = logging.getLogger(__name__)

TICK_PATH = "commentaries.tasks.go_live_tick"
TICK_PRIORITY = 50  # ahead of deliveries and other bulk work in the queue
# Finished ticks kept as the worker's heartbeat history; older ones are deleted.
TICK_HISTORY = timedelta(hours=1)


def _task_rows(backend):
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(task_path=TICK_PATH, backend_name=backend.alias)


def ensure_tick(*, now: bool = False) -> bool:
    """Queue a tick unless one is already waiting. With `now`, queue one to run
    at once whatever is waiting: publishing nudges the tick so that an edition
    leaves straight away instead of at the next interval."""
    backend = go_live_tick.get_backend()
    if not backend.supports_defer:
        # A backend that runs tasks as they are queued (the immediate backend
        # of the tests) keeps no queue, hence no periodic chain: just tick.
        go_live_tick.enqueue()
        return True
    waiting = _task_rows(backend).filter(status="READY")
    if now:
        from django.db.models import Q
        from django_tasks_db.models import get_date_max

        waiting = waiting.filter(Q(run_after=get_date_max()) | Q(run_after__lte=timezone.now()))
    if waiting.exists():
        return False
    go_live_tick.enqueue()
    return True


@task(priority=TICK_PRIORITY)
def go_live_tick():
    """Announce the pieces whose time has come, then schedule the next tick.

    Idempotent: announcing is guarded row by row, and a successor is queued
    only when none is waiting, so duplicate ticks converge to one chain."""
    announced = golive.announce_due()
    golive.run_upkeep()
    try:
        review.retry_failed_emails()
    except Exception:  # logged; the tick must still queue its successor
        logger.exception("Queueing failed review emails again failed")
    backend = go_live_tick.get_backend()
    if backend.supports_defer:
        rows = _task_rows(backend)
        if not rows.filter(status="READY").exists():
            go_live_tick.using(run_after=timezone.now() + golive.tick_interval()).enqueue()
        rows.filter(
            status__in=["SUCCESSFUL", "FAILED"], finished_at__lt=timezone.now() - TICK_HISTORY
        ).delete()
    return {"announced": announced}


@task()
def send_review_email(*, step_id):
    """The email of one review step: to the editors when a piece is submitted,
    to its author when changes are requested. Sent once: a failed send is
    counted on the step and fails the task (the worker keeps it, with the
    error); the go-live tick queues it again (`review.retry_failed_emails`)."""
    from .models import ReviewStep

    step = (
        ReviewStep.objects.select_related("commentary__series", "user").filter(pk=step_id).first()
    )
    if step is None:
        return "skipped"
    if step.emailed_at is not None:
        return "already sent"
    email = review.message(step)
    if email is not None:
        try:
            email.send()
        except Exception:
            review.email_failed(step)
            raise
    ReviewStep.objects.filter(pk=step.pk).update(emailed_at=timezone.now())
    return f"sent to {len(email.to)}" if email is not None else "nobody to tell"
