"""The pieces shown around a commentary: the previous and next pieces of its
series, its related pieces, the responses to it and the piece it answers.

Neighbours and related pieces are derived data kept on each piece
(`Commentary.surroundings`: `{"previous": id, "next": id, "related": [ids]}`).
`refresh` works them out again for the pieces a change touches; the services
call it when a piece is published, scheduled, rescheduled, unscheduled,
withdrawn, reinstated or restored, or its topics change, and importers call
`refresh_all` after writing in bulk (so does `manage.py refresh_surroundings`,
for edits made with raw SQL).

They are worked out over every published piece, *scheduled ones included*,
and the page keeps only the pieces that are live when it is read
(`published()`). So a scheduled piece's time coming changes no stored data:
a piece scheduled for 9:00 is stored as the next piece of its predecessor
when it is scheduled, and shows as such from 9:00 on, without a write.

Related pieces are ranked by how many of the piece's topics they share, then
newest first, among the RELATED_WINDOW pieces filed under each of its topics
just before and just after it (in id order): a bounded set, so that a change
touches at most 2 x (RELATED_WINDOW + 1) pieces per topic, whatever the
archive's size.
"""

from bisect import bisect_left
from collections import defaultdict
from contextlib import contextmanager
from contextvars import ContextVar

from django.db.models import Q
from django.utils import timezone

from . import cachekeys
from .models import Commentary, TaggedCommentary

RELATED_LIMIT = 3
RELATED_WINDOW = 10
EMPTY = {}


# -- reading ---------------------------------------------------------------


def surrounding_ids(commentary) -> set[int]:
    """The ids the page may show around `commentary`, from the stored data."""
    stored = commentary.surroundings or EMPTY
    ids = {stored.get("previous"), stored.get("next"), *stored.get("related", ())}
    if commentary.responds_to_id is not None:
        ids.add(commentary.responds_to_id)
    ids.discard(None)
    return ids


def surrounding_pieces(commentary, queryset) -> list:
    """The live pieces around `commentary` (neighbours, related pieces, the
    piece it answers and the responses to it), in one query on `queryset`
    (published pieces ready for a list)."""
    wanted = Q(responds_to=commentary.pk)
    ids = surrounding_ids(commentary)
    if ids:
        wanted |= Q(pk__in=ids)
    return list(queryset.filter(wanted).exclude(pk=commentary.pk))


def neighbours(commentary, pieces) -> tuple:
    """(previous, next) in the series, among `pieces`; None where there is no
    live one."""
    stored = commentary.surroundings or EMPTY
    by_id = {piece.pk: piece for piece in pieces}
    return by_id.get(stored.get("previous")), by_id.get(stored.get("next"))


def related(commentary, pieces) -> list:
    """The first RELATED_LIMIT live pieces of the stored ranking, among `pieces`."""
    stored = commentary.surroundings or EMPTY
    by_id = {piece.pk: piece for piece in pieces}
    live = [by_id[pk] for pk in stored.get("related", ()) if pk in by_id]
    return live[:RELATED_LIMIT]


def responses(commentary, pieces) -> list:
    """The live responses to `commentary`, oldest first."""
    return sorted(
        (piece for piece in pieces if piece.responds_to_id == commentary.pk),
        key=lambda piece: (piece.published_at, piece.pk),
    )


def in_response_to(commentary, pieces):
    """The live piece `commentary` answers, or None."""
    return next((piece for piece in pieces if piece.pk == commentary.responds_to_id), None)


# -- working out -----------------------------------------------------------


def _published():
    return Commentary.objects.filter(status=Commentary.Status.PUBLISHED)


def _series_chains(series_ids) -> dict[int, dict]:
    """{piece id: {"previous": id, "next": id}} for every published piece of
    the series in `series_ids` (None: every series), by publish time."""
    rows = _published().order_by("series_id", "published_at", "id")
    if series_ids is not None:
        rows = rows.filter(series_id__in=series_ids)
    chains = {}
    last_series, last_id = None, None
    for series_id, pk in rows.values_list("series_id", "id"):
        if series_id != last_series:
            last_id = None
        chains[pk] = {"previous": last_id, "next": None}
        if last_id is not None:
            chains[last_id]["next"] = pk
        last_series, last_id = series_id, pk
    return chains


class Filing:
    """The published pieces filed under some topics (None: every topic): for
    each topic their ids in ascending order, and each piece's publish time."""

    def __init__(self, topic_ids=None):
        links = TaggedCommentary.objects.filter(content_object__status=Commentary.Status.PUBLISHED)
        if topic_ids is not None:
            links = links.filter(tag_id__in=topic_ids)
        rows = links.order_by("tag_id", "content_object_id").values_list(
            "tag_id", "content_object_id", "content_object__published_at"
        )
        self.lists, self.published_at = defaultdict(list), {}
        for tag_id, pk, when in rows:
            self.lists[tag_id].append(pk)
            self.published_at[pk] = when.timestamp()
        self.now = timezone.now().timestamp()
        self._members = {}

    def topics_by_piece(self) -> dict[int, list[int]]:
        topics = defaultdict(list)
        for topic_id, ids in self.lists.items():
            for pk in ids:
                topics[pk].append(topic_id)
        return topics

    def window(self, topic_id, pk, size) -> list[int]:
        """Up to `size` pieces filed under the topic on each side of piece
        `pk` (in id order; `pk` left out, whether or not it is filed there)."""
        ids = self.lists.get(topic_id, [])
        at = bisect_left(ids, pk)
        after = at + 1 if at < len(ids) and ids[at] == pk else at
        return ids[max(0, at - size) : at] + ids[after : after + size]

    def files(self, topic_id, pk) -> bool:
        if topic_id not in self._members:
            self._members[topic_id] = set(self.lists.get(topic_id, ()))
        return pk in self._members[topic_id]

    def related(self, pk, topic_ids) -> list[int]:
        """The related pieces of piece `pk` (filed under `topic_ids`) in rank
        order, down to the RELATED_LIMIT-th piece that is live now; scheduled
        ones in between are kept, to rank once their time comes."""
        candidates = {c for t in topic_ids for c in self.window(t, pk, RELATED_WINDOW)}
        shared = {c: sum(self.files(t, c) for t in topic_ids) for c in candidates}
        ranked = sorted(candidates, key=lambda c: (-shared[c], -self.published_at[c], -c))
        kept, live = [], 0
        for candidate in ranked:
            if live == RELATED_LIMIT:
                break
            kept.append(candidate)
            live += self.published_at[candidate] <= self.now
        return kept


def _topics_of(piece_ids) -> dict[int, list[int]]:
    topics = defaultdict(list)
    links = TaggedCommentary.objects.filter(content_object_id__in=piece_ids)
    for pk, tag_id in links.values_list("content_object_id", "tag_id"):
        topics[pk].append(tag_id)
    return topics


def work_out(piece_ids=None) -> dict[int, dict]:
    """The surroundings of the pieces in `piece_ids` (None: every piece) as
    they should be stored now: {} for a piece that is not published."""
    everything = piece_ids is None
    pieces = _published() if everything else _published().filter(pk__in=piece_ids)
    series = dict(pieces.values_list("pk", "series_id"))
    chains = _series_chains(None if everything else set(series.values()))
    if everything:
        filing = Filing()
        topics = filing.topics_by_piece()
    else:
        topics = _topics_of(list(series))
        filing = Filing({t for ids in topics.values() for t in ids})
    result = {} if everything else {pk: {} for pk in piece_ids}
    for pk in series:
        result[pk] = {
            "previous": chains[pk]["previous"],
            "next": chains[pk]["next"],
            "related": filing.related(pk, topics.get(pk, ())),
        }
    return result


def as_if_published(commentary) -> dict:
    """The surroundings a piece that is not published would have if it were
    published at its publish time (or now): for previews, never stored."""
    when = commentary.published_at or timezone.now()
    in_series = (
        _published()
        .filter(series_id=commentary.series_id)
        .exclude(pk=commentary.pk)
        .values_list("pk", flat=True)
    )
    earlier = Q(published_at__lt=when) | Q(published_at=when, pk__lt=commentary.pk or 0)
    topic_ids = [topic.pk for topic in commentary.topics.all()]
    return {
        "previous": in_series.filter(earlier).order_by("-published_at", "-id").first(),
        "next": in_series.exclude(earlier).order_by("published_at", "id").first(),
        "related": Filing(topic_ids).related(commentary.pk, topic_ids),
    }


def _store(result: dict[int, dict], stored: dict[int, dict], *, with_credits=None) -> int:
    """Write the surroundings in `result` that differ from `stored` (and,
    given, every piece's credits with them)."""
    changed = {pk: value for pk, value in result.items() if stored.get(pk, {}) != value}
    if with_credits is None:
        values = {pk: {"surroundings": value} for pk, value in changed.items()}
    else:
        values = {
            pk: {"surroundings": result.get(pk, {}), "credits": value}
            for pk, value in with_credits.items()
        }
    Commentary.objects.write_derived(values)
    # That sends no signal: the pages of these pieces link others now.
    cachekeys.surroundings_changed(list(changed))
    return len(changed)


_deferred: ContextVar[bool] = ContextVar("surroundings_deferred", default=False)


@contextmanager
def deferred():
    """Inside, `refresh` does nothing; on the way out (unless an error left
    it) every piece's surroundings are worked out once (`refresh_all`). For
    code that publishes a whole archive through the services (the demo
    loader), where refreshing after each piece works out most pieces again
    and again."""
    token = _deferred.set(True)
    try:
        yield
    finally:
        _deferred.reset(token)
    refresh_all()


def is_deferred() -> bool:
    """Inside `deferred`: derived data is worked out once, at its end."""
    return _deferred.get()


def refresh(*, pieces=(), topic_ids=()) -> int:
    """Work out again, and store, the surroundings that a change to `pieces`
    (published, scheduled, unscheduled, withdrawn, reinstated, new topics)
    touched: theirs, their old and new neighbours in the series, and the
    pieces filed near them under their topics and under `topic_ids` (the
    topics they had before the change, if that changed them). Returns how
    many pieces changed (none while `deferred`)."""
    changed = {piece.pk for piece in pieces}
    if not changed or _deferred.get():
        return 0
    topics = set(topic_ids) | set(
        TaggedCommentary.objects.filter(content_object_id__in=changed).values_list(
            "tag_id", flat=True
        )
    )
    filing = Filing(topics)
    # Its old neighbours: whoever stores it as theirs.
    affected = changed | set(
        Commentary.objects.filter(
            Q(surroundings__previous__in=changed) | Q(surroundings__next__in=changed)
        ).values_list("pk", flat=True)
    )
    for pk in changed:
        for topic_id in topics:
            affected.update(filing.window(topic_id, pk, RELATED_WINDOW + 1))
    result = work_out(affected)
    # The new neighbours of the changed pieces changed too.
    for pk in changed:
        new = result.get(pk) or EMPTY
        extra = {n for n in (new.get("previous"), new.get("next")) if n} - affected
        if extra:
            result.update(work_out(extra))
    stored = dict(Commentary.objects.filter(pk__in=list(result)).values_list("pk", "surroundings"))
    return _store(result, stored)


def refresh_all() -> int:
    """Work out every piece's surroundings again, and its credits
    (`commentaries.credits`: bulk writers insert bylines and topic links
    without signals) and every series' menus (`commentaries.menus`), after an
    import or edits made with raw SQL; returns how many pieces' surroundings
    changed."""
    from . import credits, menus

    worked_out = work_out_all()
    credits.refresh_all()
    menus.refresh_all()
    return store_all(worked_out)


def work_out_all() -> tuple[dict, dict]:
    """Every piece's surroundings as they should be, and as stored: reads
    only. `store_all` writes those that differ; `refresh_all` does both."""
    stored = dict(Commentary.objects.values_list("pk", "surroundings"))
    result = {pk: {} for pk in stored}
    result.update(work_out())
    return result, stored


def store_all(worked_out: tuple[dict, dict], *, with_credits: dict | None = None) -> int:
    """Write the surroundings `work_out_all` found changed; returns how many.
    `with_credits` ({pk: credits}, `credits.work_out_all`) writes those in the
    same pass, every row once, for a bulk writer whose rows all change."""
    result, stored = worked_out
    return _store(result, stored, with_credits=with_credits)
