"""Writes to commentaries: publishing, scheduling, unpublishing, numbering."""

from datetime import datetime
from functools import partial

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from .models import Byline, Commentary, Series

RESPONSE_SUFFIX = "R"


def next_number(*, series: Series, year: int) -> int:
    """The next free main number in a series (per year, or across years)."""
    numbered = Commentary.objects.filter(series=series, number__isnull=False, suffix="")
    if series.numbering == Series.Numbering.YEARLY:
        numbered = numbered.filter(year=year)
    return (numbered.aggregate(highest=Max("number"))["highest"] or 0) + 1


def next_response_suffix(*, original: Commentary) -> str:
    """“R” for the first response to a piece, then “R2”, “R3” …"""
    taken = set(
        Commentary.objects.filter(
            series=original.series, year=original.year, number=original.number
        ).values_list("suffix", flat=True)
    )
    candidate, n = RESPONSE_SUFFIX, 1
    while candidate in taken:
        n += 1
        candidate = f"{RESPONSE_SUFFIX}{n}"
    return candidate


def unique_slug(*, commentary: Commentary) -> str:
    siblings = Commentary.objects.filter(series=commentary.series, year=commentary.year).exclude(
        pk=commentary.pk
    )
    base, slug, n = commentary.slug, commentary.slug, 1
    while siblings.filter(slug=slug).exists():
        n += 1
        slug = f"{base[: 200 - len(str(n)) - 1]}-{n}"
    return slug


def assign_number(*, commentary: Commentary) -> None:
    """Give a piece its number and year unless an editor already set them.

    A response to a numbered piece of the same series takes the original's
    number and year with the next free “R” suffix: PacNet #68R.
    """
    series = commentary.series
    if commentary.number is not None:
        if commentary.year is None:
            commentary.year = timezone.localtime(commentary.published_at).year
        return
    original = commentary.responds_to
    if original and original.series_id == series.pk and original.number is not None:
        commentary.year = original.year
        commentary.number = original.number
        commentary.suffix = next_response_suffix(original=original)
        return
    commentary.year = timezone.localtime(commentary.published_at).year
    if series.is_numbered:
        commentary.number = next_number(series=series, year=commentary.year)


@transaction.atomic
def commentary_publish(*, commentary: Commentary, user=None, at: datetime | None = None):
    """Publish now, or schedule when `at` is in the future.

    The series row is locked so that two editors publishing at the same moment
    get different numbers; the unique constraint is the final guard.
    """
    Series.objects.select_for_update().get(pk=commentary.series_id)
    commentary.status = Commentary.Status.PUBLISHED
    commentary.published_at = at or timezone.now()
    assign_number(commentary=commentary)
    commentary.slug = unique_slug(commentary=commentary)
    if user is not None:
        commentary.last_edited_by = user
    commentary.full_clean()
    commentary.save()
    _after_go_live_change(commentary)
    return commentary


def _after_go_live_change(commentary: Commentary) -> None:
    """Going live has side effects (newsletter editions, cache purges) that the
    go-live tick runs and announces with `signals.piece_went_live`. Published
    now: nudge the tick to run at once. Scheduled: make sure a tick is queued."""
    from .tasks import ensure_tick

    transaction.on_commit(partial(ensure_tick, now=commentary.is_live), robust=True)


@transaction.atomic
def commentary_unpublish(*, commentary: Commentary, user=None) -> Commentary:
    """Hide a piece from readers again. It keeps its number, so publishing it
    again brings it back at the same address."""
    commentary.status = Commentary.Status.DRAFT
    if user is not None:
        commentary.last_edited_by = user
    commentary.full_clean()
    commentary.save()
    return commentary


def bylines_move_on_merge(*, keep, duplicate, **kwargs) -> None:
    """Receiver of `authors.signals.author_merging`: the duplicate's bylines
    move to `keep` (their bio and email snapshots untouched, so published
    pieces read as before); where both sign the same piece the duplicate's
    byline goes."""
    signed_by_keep = Byline.objects.filter(author=keep).values("commentary")
    Byline.objects.filter(author=duplicate, commentary__in=signed_by_keep).delete()
    Byline.objects.filter(author=duplicate).update(author=keep)
