"""Numbering and label rules, written once. The services, the admin and the
WordPress importer all use them.

- A piece's label is “<series short label> #<number><suffix>”: “PacNet #68R”.
- A number belongs to a *scope*: the series and year (yearly numbering) or
  the whole series (continuous numbering).
- Numbers that publishing assigns follow publish time within their scope,
  whatever order editors schedule in. A scheduled piece holds a *provisional*
  number that is dealt again whenever a schedule in its scope changes; it
  becomes final when the piece goes live, and from then on the database
  refuses any change to it (see `triggers.py`). Visibility needs no clock job:
  a provisional number is simply the one the piece has when its time comes.
- A number set by hand, or carried over from an import, is kept as it is;
  `order_warnings()` says when it breaks the publish-time order.
- A response takes its original's number and year with the next free suffix:
  “R”, then “R2”, “R3” …

Every function that writes expects its caller to hold the series row lock
(`lock_series`), so that two editors publishing at once deal numbers one
after the other; the unique constraint on (series, year, number, suffix) is
the last guard.
"""

from __future__ import annotations

from collections.abc import Container
from datetime import datetime

from django.db.models import Max, Q
from django.utils import timezone

RESPONSE_SUFFIX = "R"


# Labels: pure functions, shared with the importer.


def format_label(short_label: str, number: int | None, suffix: str = "") -> str:
    """“PacNet #68R”, or just the series label when there is no number."""
    if number is None:
        return short_label
    return f"{short_label} #{number}{normalise_suffix(suffix)}"


def format_display_title(short_label: str, number: int | None, suffix: str, title: str) -> str:
    """“PacNet #68 – Title”, or the bare title when there is no number."""
    if number is None:
        return title
    return f"{format_label(short_label, number, suffix)} – {title}"


def normalise_suffix(suffix: str) -> str:
    return (suffix or "").strip().upper()


def number_year(when: datetime) -> int:
    """The year a number belongs to: the publish time's year in the
    publisher's time zone (TIME_ZONE), so a piece posted at 16:00 on
    31 December in Honolulu stays in its year."""
    return timezone.localtime(when).year


def response_suffix(taken: Container[str]) -> str:
    """The first free response suffix, given the suffixes already used with
    the original's number: “R”, then “R2”, “R3” …"""
    candidate, n = RESPONSE_SUFFIX, 1
    while candidate in taken:
        n += 1
        candidate = f"{RESPONSE_SUFFIX}{n}"
    return candidate


# Reading the database.


def _models():
    from .models import Commentary, Series

    return Commentary, Series


def lock_series(series_id: int) -> None:
    """Take the series row lock that serialises numbering within a series."""
    _, Series = _models()
    Series.objects.select_for_update().filter(pk=series_id).exists()


def scope_filter(series, year: int | None) -> Q:
    """The pieces whose main numbers share one sequence with a piece of this
    series and year."""
    _, Series = _models()
    where = Q(series=series, suffix="", number__isnull=False)
    if series.numbering == Series.Numbering.YEARLY:
        where &= Q(year=year)
    return where


def next_number(*, series, year: int) -> int:
    """The next free main number in a series' scope (ignores provisional
    dealing: for a piece published now with nothing scheduled)."""
    Commentary, _ = _models()
    numbered = Commentary.objects.filter(scope_filter(series, year))
    return (numbered.aggregate(highest=Max("number"))["highest"] or 0) + 1


def next_response_suffix(*, original) -> str:
    Commentary, _ = _models()
    taken = set(
        Commentary.objects.filter(
            series=original.series_id, year=original.year, number=original.number
        ).values_list("suffix", flat=True)
    )
    return response_suffix(taken)


def is_provisional(commentary, now: datetime | None = None) -> bool:
    """A number publishing assigned to a piece that is not live yet."""
    Commentary, _ = _models()
    now = now or timezone.now()
    return (
        commentary.number is not None
        and commentary.number_origin == Commentary.NumberOrigin.ASSIGNED
        and commentary.status == Commentary.Status.PUBLISHED
        and commentary.published_at is not None
        and commentary.published_at > now
    )


def _movable(series, year, now):
    """Scheduled main pieces of the scope whose numbers publishing deals
    (provisional, or not dealt yet)."""
    Commentary, _ = _models()
    _, Series = _models()
    where = Q(series=series, suffix="")
    if series.numbering == Series.Numbering.YEARLY:
        where &= Q(year=year)
    return Commentary.objects.filter(
        where,
        number_origin=Commentary.NumberOrigin.ASSIGNED,
        status=Commentary.Status.PUBLISHED,
        published_at__gt=now,
    )


# Writing (callers hold the series lock).


def assign_number(*, commentary) -> bool:
    """Set a piece's year and, where the number is not dealt by publish time,
    its number. Returns True when the piece takes part in the dealing of
    assigned numbers (`deal_numbers`), False when its number is settled
    (hand-set, imported, a response, an unnumbered series).

    Does not save."""
    Commentary, _ = _models()
    series = commentary.series
    commentary.suffix = normalise_suffix(commentary.suffix)
    if commentary.number is not None and commentary.number_origin != (
        Commentary.NumberOrigin.ASSIGNED
    ):
        if commentary.year is None:
            commentary.year = number_year(commentary.published_at)
        return False
    original = commentary.responds_to
    if original and original.series_id == series.pk and original.number is not None:
        if not (commentary.number == original.number and commentary.suffix):
            commentary.year = original.year
            commentary.number = original.number
            commentary.suffix = next_response_suffix(original=original)
        commentary.number_origin = Commentary.NumberOrigin.ASSIGNED
        return False
    commentary.year = number_year(commentary.published_at)
    commentary.number_origin = Commentary.NumberOrigin.ASSIGNED
    if not series.is_numbered:
        commentary.number = None
        commentary.suffix = ""
        return False
    commentary.suffix = ""
    return True


def plan_numbers(*, series, year, newcomer=None, now: datetime | None = None) -> dict:
    """The numbers assigned pieces of one scope should hold: every scheduled
    piece with an assigned number, plus `newcomer` (a piece being published
    or scheduled), numbered after the highest settled number in publish-time
    order. Returns {piece: number}, where piece is a Commentary."""
    Commentary, _ = _models()
    now = now or timezone.now()
    movable = list(_movable(series, year, now).select_related("series"))
    if newcomer is not None:
        movable = [p for p in movable if p.pk != newcomer.pk] + [newcomer]
    settled = Commentary.objects.filter(scope_filter(series, year)).exclude(
        pk__in=[p.pk for p in movable if p.pk is not None]
    )
    base = settled.aggregate(highest=Max("number"))["highest"] or 0
    movable.sort(key=lambda p: (p.published_at, p.pk is None, p.pk or 0))
    return {piece: base + index for index, piece in enumerate(movable, start=1)}


def clear_moving(plan: dict) -> None:
    """Step one of writing a plan: free the numbers that change hands, so the
    unique constraint never sees two pieces holding one number."""
    Commentary, _ = _models()
    moving = [p.pk for p, number in plan.items() if p.pk and p.number != number]
    if moving:
        Commentary.objects.filter(pk__in=moving).update(number=None)


def write_plan(plan: dict, *, skip=None) -> list[tuple]:
    """Step two: give each saved piece of the plan its number (except `skip`,
    which its caller saves itself). Returns (piece, old, new) for each move."""
    Commentary, _ = _models()
    moved = []
    for piece, number in plan.items():
        if piece is skip or piece.number == number:
            continue
        moved.append((piece, piece.number, number))
        Commentary.objects.filter(pk=piece.pk).update(number=number)
        piece.number = number
    return moved


def deal_numbers(*, series, year, now: datetime | None = None) -> list[tuple]:
    """Deal the provisional numbers of one scope again in publish-time order
    (after a schedule changed, or a scheduled piece was taken back); the
    scheduled responses of the pieces that moved follow them."""
    if not series.is_numbered:
        return []
    plan = plan_numbers(series=series, year=year, now=now)
    clear_moving(plan)
    moved = write_plan(plan)
    follow_originals(series=series, now=now)
    return moved


def follow_originals(*, series, now: datetime | None = None) -> list:
    """Give the scheduled responses of a series their original's current
    number: when the original's provisional number is dealt again (“PacNet
    #68” becomes #67), its response “#68R” becomes “#67R”, keeping its suffix
    where it is free. A response whose original has lost its number (taken
    back to draft) takes a number of its own, dealt by publish time like any
    piece. Only assigned numbers of pieces not yet live move: a hand-set
    number is kept, and the database refuses to change a live one.

    Returns the responses that moved."""
    Commentary, _ = _models()
    now = now or timezone.now()
    responses = list(
        Commentary.objects.filter(
            series=series,
            responds_to__isnull=False,
            number_origin=Commentary.NumberOrigin.ASSIGNED,
            status=Commentary.Status.PUBLISHED,
            published_at__gt=now,
        )
        .select_related("series", "responds_to")
        .order_by("published_at", "pk")
    )

    def expected(response):
        original = response.responds_to
        if original.series_id == series.pk and original.number is not None:
            return (original.year, original.number)
        return None

    stale = [
        r
        for r in responses
        if (expected(r) != (r.year, r.number) if r.suffix else expected(r) is not None)
    ]
    if not stale:
        return []
    # Free the numbers first, so that two responses trading numbers never
    # meet in the unique constraint.
    Commentary.objects.filter(pk__in=[r.pk for r in stale]).update(number=None, suffix="")
    own_scopes = set()
    for response in stale:
        target = expected(response)
        old_year, was_main = response.year, not response.suffix
        if target is None:
            response.year = number_year(response.published_at)
            response.number, response.suffix = None, ""
            own_scopes.add(response.year)
        else:
            response.year, response.number = target
            taken = set(
                Commentary.objects.filter(
                    series=series, year=response.year, number=response.number
                ).values_list("suffix", flat=True)
            )
            keep = response.suffix if response.suffix and response.suffix not in taken else None
            response.suffix = keep or response_suffix(taken)
            if was_main and old_year is not None:
                own_scopes.add(old_year)
        Commentary.objects.filter(pk=response.pk).update(
            year=response.year, number=response.number, suffix=response.suffix
        )
    # Responses that left or joined the main sequence open or close gaps in it.
    for year in sorted(own_scopes):
        deal_numbers(series=series, year=year, now=now)
    return stale


def order_warnings(*, commentary) -> list[str]:
    """Hand-set or imported numbers that break the publish-time order of their
    scope: “PacNet #12 (2024) is numbered out of order: …”."""
    Commentary, _ = _models()
    if (
        commentary.number is None
        or commentary.suffix
        or commentary.published_at is None
        or commentary.number_origin == Commentary.NumberOrigin.ASSIGNED
    ):
        return []
    others = (
        Commentary.objects.filter(scope_filter(commentary.series, commentary.year))
        .filter(status__in=Commentary.PUBLIC_STATUSES)
        .exclude(pk=commentary.pk)
    )
    label = format_label(commentary.series.short_label, commentary.number)
    warnings = []
    later_lower = (
        others.filter(number__lt=commentary.number, published_at__gt=commentary.published_at)
        .order_by("-number")
        .first()
    )
    if later_lower is not None:
        warnings.append(
            f"{label} ({commentary.year}) is numbered out of order: "
            f"#{later_lower.number} is published later."
        )
    earlier_higher = (
        others.filter(number__gt=commentary.number, published_at__lt=commentary.published_at)
        .order_by("number")
        .first()
    )
    if earlier_higher is not None:
        warnings.append(
            f"{label} ({commentary.year}) is numbered out of order: "
            f"#{earlier_higher.number} is published earlier."
        )
    return warnings
