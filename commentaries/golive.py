"""The go-live tick: the one periodic task that turns "a piece's time has come"
into side effects (newsletter editions now, cache purges later).

Readers' visibility never waits for the tick: it depends on the publish time
alone (`Commentary.objects.published()`). The tick only *announces* a piece
that became visible, once, by sending `piece_went_live`.

The tick is a django-tasks task worked by the ordinary `db_worker`. The task
runs, then re-enqueues itself with `run_after` one interval later; it is
idempotent, so extra copies (a publish nudging it, `start_tick` run twice, two
workers) do no harm, and a chain stops growing because a tick only schedules a
successor when none is waiting already.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from .models import Commentary, GoLive
from .signals import piece_went_live, tick

logger = logging.getLogger(__name__)


def tick_interval() -> timedelta:
    return timedelta(seconds=getattr(settings, "GO_LIVE_TICK_SECONDS", 60))


def go_live_window() -> timedelta:
    """Pieces that became visible longer ago than this are never announced, so
    an imported archive or a back-dated piece sends nothing to anyone."""
    return getattr(settings, "GO_LIVE_WINDOW", timedelta(days=2))


def due_pieces():
    """Live pieces, recent enough, not yet announced for their current publish time."""
    now = timezone.now()
    return (
        Commentary.objects.published()
        .filter(published_at__gte=now - go_live_window())
        .filter(Q(go_live__isnull=True) | ~Q(go_live__published_at=F("published_at")))
        .order_by("published_at", "pk")
    )


def announce(*, commentary_id: int) -> bool:
    """Record and announce one piece's go-live; False when already done (or not live)."""
    with transaction.atomic():
        piece = (
            Commentary.objects.published()
            .select_for_update()
            .select_related("series")
            .filter(pk=commentary_id)
            .first()
        )
        if piece is None:
            return False
        record = GoLive.objects.filter(commentary=piece).first()
        if record is not None and record.published_at == piece.published_at:
            return False
        try:
            with transaction.atomic():
                if record is None:
                    GoLive.objects.create(commentary=piece, published_at=piece.published_at)
                else:
                    record.published_at = piece.published_at
                    record.announced_at = timezone.now()
                    record.save(update_fields=["published_at", "announced_at"])
        except IntegrityError:
            return False  # another tick announced it in the meantime
        piece_went_live.send(sender=Commentary, commentary=piece)
    logger.info("Piece %s went live", piece.pk)
    return True


def announce_due() -> int:
    """Announce every piece whose time has come; returns how many were announced."""
    announced = 0
    for pk in list(due_pieces().values_list("pk", flat=True)[:500]):
        try:
            announced += announce(commentary_id=pk)
        except Exception:
            # One piece whose receivers fail must not hold back the others;
            # it stays unannounced and the next tick tries again.
            logger.exception("Announcing piece %s failed; the next tick retries", pk)
    return announced


def run_upkeep() -> None:
    """Let other apps do their periodic work (the `tick` signal); one failing
    receiver is logged and does not stop the others or the tick."""
    for receiver, result in tick.send_robust(sender=Commentary):
        if isinstance(result, Exception):
            logger.error("Tick receiver %r failed", receiver, exc_info=result)
