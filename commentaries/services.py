"""Writes to commentaries: saving, review (submit, request changes; approval
is publishing), publishing and scheduling, withdrawals, history restores and
renumbering.

Every function checks the rules (`rules.authorize`) against the piece as the
database holds it, under a row lock, before it writes; `user=None` is the
system (management commands, the importer), which the database still holds
to the invariants. Going live has one place: `_after_go_live_change`.
Every change to what readers see around a piece (its place in its series,
its topics, its state) ends with `surroundings.refresh`, which keeps the
neighbours and related pieces stored on the pieces current.
"""

from datetime import datetime
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from . import batching, numbering, readiness, surroundings
from .models import Byline, Commentary, ReviewStep, Series, Topic
from .rules import Action, Role, authorize, role_of

# The fields a history restore brings back: the piece's content, never its
# state, number, address or publish time.
CONTENT_FIELDS = ("title", "summary", "body")
# Fields only the publishing services change (`surroundings` is derived data
# they keep current: a form's copy may be older than the stored one).
STATE_FIELDS = ("status", "withdrawn_at", "created_by_id", "number_origin", "surroundings")
# Fields an editor may set on a piece that is not live yet (a hand-set number,
# a planned publish time); fixed once it is live.
PUBLISHER_FIELDS = ("published_at", "year", "number", "suffix")
# What a live piece keeps whoever edits it; the database refuses a change to
# the first four too (triggers.py).
LIVE_FIXED_FIELDS = ("series_id", "year", "number", "suffix", "published_at")

# Kept for callers that format labels or deal numbers directly.
next_number = numbering.next_number
next_response_suffix = numbering.next_response_suffix
assign_number = numbering.assign_number


def _stored(commentary: Commentary) -> Commentary | None:
    """The piece as the database holds it, locked for this transaction."""
    if commentary.pk is None:
        return None
    return Commentary.objects.select_for_update().select_related("series").get(pk=commentary.pk)


def unique_slug(*, commentary: Commentary) -> str:
    siblings = Commentary.objects.filter(series=commentary.series, year=commentary.year).exclude(
        pk=commentary.pk
    )
    base, slug, n = commentary.slug, commentary.slug, 1
    while siblings.filter(slug=slug).exists():
        n += 1
        slug = f"{base[: 200 - len(str(n)) - 1]}-{n}"
    return slug


@transaction.atomic
def commentary_save(*, commentary: Commentary, user=None) -> Commentary:
    """Save a piece's content and settings (the change form's Save).

    Never changes its state. A contributor's piece stays a draft, and their
    publisher fields (publish time, number) are those stored. On a live piece
    the number, year, series and publish time stay as they are. A changed
    schedule or number on a scheduled piece deals the provisional numbers of
    its scope again."""
    stored = _stored(commentary)
    contributor = user is not None and role_of(user) != Role.EDITOR
    if stored is None:
        authorize(user, Action.CREATE)
        if user is not None:
            commentary.created_by = user
            commentary.status = Commentary.Status.DRAFT
            commentary.withdrawn_at = None
        if contributor:
            commentary.published_at = commentary.year = commentary.number = None
            commentary.suffix = ""
    else:
        authorize(user, Action.EDIT, stored)
        for field in STATE_FIELDS:
            setattr(commentary, field, getattr(stored, field))
        if contributor:
            for field in PUBLISHER_FIELDS:
                setattr(commentary, field, getattr(stored, field))
        seen = stored.is_live or stored.status == Commentary.Status.WITHDRAWN
        if seen and any(getattr(commentary, f) != getattr(stored, f) for f in LIVE_FIXED_FIELDS):
            raise ValidationError(
                "A published piece keeps its series, number, year and publish time."
            )
    if user is not None:
        commentary.last_edited_by = user
    commentary.suffix = numbering.normalise_suffix(commentary.suffix)
    if commentary.number is None:
        commentary.number_origin = Commentary.NumberOrigin.ASSIGNED
    elif stored is None or (commentary.number, commentary.suffix) != (
        stored.number,
        stored.suffix,
    ):
        commentary.number_origin = Commentary.NumberOrigin.HAND
    rescheduled = (
        stored is not None
        and stored.is_scheduled
        and (
            commentary.published_at != stored.published_at
            or (commentary.number, commentary.suffix) != (stored.number, stored.suffix)
            or commentary.series_id != stored.series_id
        )
    )
    if (
        stored is not None
        and commentary.status == Commentary.Status.PUBLISHED
        and (
            commentary.published_at != stored.published_at
            or commentary.responds_to_id != stored.responds_to_id
        )
    ):
        _check_response_order(commentary, commentary.published_at)
    if rescheduled:
        if commentary.published_at is None or commentary.published_at <= timezone.now():
            raise ValidationError(
                {
                    "published_at": "A scheduled piece needs a time in the future; "
                    "to publish it now, use Publish."
                }
            )
        numbering.lock_series(commentary.series_id)
        numbering.assign_number(commentary=commentary)
        if commentary.number_origin == Commentary.NumberOrigin.ASSIGNED and not commentary.suffix:
            commentary.number = None  # dealt below, in publish-time order
    commentary.full_clean()
    commentary.save()
    if rescheduled:
        _redeal(stored, commentary)
        surroundings.refresh(pieces=[commentary])
        _after_go_live_change(commentary)
    return commentary


def _when(moment) -> str:
    return f"{timezone.localtime(moment):%-d %b %Y at %H:%M}"


def _check_response_order(commentary: Commentary, when) -> None:
    """A response goes live no earlier than the piece it answers, so that its
    number can follow its original's to the end: once live, a number no
    longer moves, and #68R would be left answering a piece renumbered #69.
    Checked from both sides whenever a publish time (`when`) is set or moved."""
    if when is None:
        return  # refused elsewhere: a published piece has a publish time
    original = commentary.responds_to
    if original is not None and original.status != Commentary.Status.WITHDRAWN:
        if original.status != Commentary.Status.PUBLISHED:
            raise ValidationError(
                f"It answers “{original}”, which is not published: publish this response "
                "once its original is live, or schedule it for after the original."
            )
        if original.published_at > when:
            raise ValidationError(
                f"It answers “{original}”, which goes live on {_when(original.published_at)}: "
                "schedule this response for then or later."
            )
    # Only a scheduled response can still be moved; one already live keeps
    # its number whatever this piece does.
    early = (
        Commentary.objects.filter(
            responds_to=commentary,
            status=Commentary.Status.PUBLISHED,
            published_at__lt=when,
            published_at__gt=timezone.now(),
        )
        .order_by("published_at")
        .first()
        if commentary.pk is not None
        else None
    )
    if early is not None:
        raise ValidationError(
            f"Its response “{early}” goes live on {_when(early.published_at)}, and a response "
            "goes live no earlier than the piece it answers: publish this piece by then, "
            "or move the response first."
        )


def _redeal(before: Commentary, after: Commentary) -> None:
    """Deal provisional numbers again in the scopes a piece left and entered."""
    scopes = {(after.series_id, after.year), (before.series_id, before.year)}
    for series_id, year in scopes:
        if year is not None:
            numbering.deal_numbers(series=Series.objects.get(pk=series_id), year=year)
    after.refresh_from_db(fields=["number", "year", "suffix"])


def _move_before_publication(commentary, user, action, status) -> Commentary:
    """Move a piece between draft and review: the rules decide, on the stored row."""
    stored = _stored(commentary)
    authorize(user, action, stored)
    stored.status = status
    stored.last_edited_by = user or stored.last_edited_by
    stored.save(update_fields=["status", "last_edited_by", "updated_at"])
    commentary.status = stored.status
    return stored


def _queue_review_email(step: ReviewStep) -> None:
    """Emails leave through the task queue once the step is committed, never
    inside the request that took it."""
    from .tasks import send_review_email

    transaction.on_commit(partial(send_review_email.enqueue, step_id=step.pk), robust=True)


@transaction.atomic
def commentary_submit(*, commentary: Commentary, user=None) -> Commentary:
    """Draft → in review. Records who submitted (the author the review answers
    to) and emails the editors a link to the piece."""
    stored = _move_before_publication(commentary, user, Action.SUBMIT, Commentary.Status.REVIEW)
    step = ReviewStep.objects.create(commentary=stored, kind=ReviewStep.Kind.SUBMITTED, user=user)
    _queue_review_email(step)
    return stored


@transaction.atomic
def commentary_request_changes(*, commentary: Commentary, note: str, user=None) -> Commentary:
    """In review → draft, with the editor's note. The note is kept with the
    piece (shown on its form) and emailed to whoever submitted it."""
    stored = _stored(commentary)
    authorize(user, Action.REQUEST_CHANGES, stored)
    if not (note or "").strip():
        raise ValidationError({"note": "Say what the author should change."})
    stored.status = Commentary.Status.DRAFT
    stored.last_edited_by = user or stored.last_edited_by
    stored.save(update_fields=["status", "last_edited_by", "updated_at"])
    commentary.status = stored.status
    step = ReviewStep.objects.create(
        commentary=stored,
        kind=ReviewStep.Kind.CHANGES_REQUESTED,
        user=user,
        note=note.strip(),
    )
    _queue_review_email(step)
    return stored


@transaction.atomic
def commentary_return_to_draft(*, commentary: Commentary, user=None) -> Commentary:
    """In review → draft."""
    return _move_before_publication(commentary, user, Action.RETURN, Commentary.Status.DRAFT)


@transaction.atomic
def commentary_publish(*, commentary: Commentary, user=None, at: datetime | None = None):
    """Publish now, or schedule when `at` is in the future.

    The piece must pass the checks before publishing (`readiness`). Assigned
    numbers follow publish time: a piece scheduled before others takes the
    earlier number, and theirs move up. The series row is locked so that two
    editors publishing at once deal numbers one after the other; the unique
    constraint is the final guard."""
    numbering.lock_series(commentary.series_id)
    stored = _stored(commentary)
    if stored is not None:
        authorize(user, Action.PUBLISH, stored)
    else:
        authorize(user, Action.CREATE)
    problems = readiness.problems(commentary)
    if problems:
        raise ValidationError(["Not ready to publish:", *problems])
    before_year = stored.year if stored is not None else None
    if (
        commentary.number is not None
        and (stored is None or not stored.is_scheduled)
        and commentary.number_origin == Commentary.NumberOrigin.ASSIGNED
    ):
        # A number already on a draft was set by hand (or imported): kept.
        commentary.number_origin = Commentary.NumberOrigin.HAND
    when = at or timezone.now()
    _check_response_order(commentary, when)
    commentary.status = Commentary.Status.PUBLISHED
    commentary.published_at = when
    commentary.withdrawn_at = None
    if user is not None:
        commentary.last_edited_by = user
    dealt = numbering.assign_number(commentary=commentary)
    if dealt:
        plan = numbering.plan_numbers(
            series=commentary.series, year=commentary.year, newcomer=commentary
        )
        numbering.clear_moving(plan)
        commentary.number = plan[commentary]
    commentary.slug = unique_slug(commentary=commentary)
    commentary.full_clean()
    commentary.save()
    if dealt:
        numbering.write_plan(plan, skip=commentary)
    if stored is not None and before_year not in (None, commentary.year):
        numbering.deal_numbers(series=commentary.series, year=before_year)
    if numbering.follow_originals(series=commentary.series):
        # A response that rejoined its original may have closed a gap before
        # this piece.
        commentary.refresh_from_db(fields=["year", "number", "suffix"])
    surroundings.refresh(pieces=[commentary])
    if stored is not None and stored.status == Commentary.Status.REVIEW:
        # Publishing or scheduling a piece in review is its approval.
        ReviewStep.objects.create(commentary=commentary, kind=ReviewStep.Kind.APPROVED, user=user)
    _after_go_live_change(commentary)
    return commentary


def _after_go_live_change(commentary: Commentary) -> None:
    """Going live has side effects (newsletter editions, cache purges) that the
    go-live tick runs and announces with `signals.piece_went_live`. Published
    now: nudge the tick to run at once. Scheduled: make sure a tick is queued."""
    from .tasks import ensure_tick

    transaction.on_commit(partial(ensure_tick, now=commentary.is_live), robust=True)


@transaction.atomic
def commentary_unschedule(*, commentary: Commentary, user=None) -> Commentary:
    """Scheduled → draft. Its provisional number goes back to the pool and
    the other scheduled pieces of its scope close the gap."""
    numbering.lock_series(commentary.series_id)
    stored = _stored(commentary)
    authorize(user, Action.UNSCHEDULE, stored)
    year = stored.year
    commentary.status = Commentary.Status.DRAFT
    if stored.number_origin == Commentary.NumberOrigin.ASSIGNED:
        commentary.number = None
        commentary.suffix = ""
    if user is not None:
        commentary.last_edited_by = user
    for field in ("number_origin", "created_by_id"):
        setattr(commentary, field, getattr(stored, field))
    commentary.full_clean()
    commentary.save()
    if year is not None:
        numbering.deal_numbers(series=commentary.series, year=year)
    surroundings.refresh(pieces=[commentary])
    return commentary


# Kept under its old name for scripts: on a scheduled piece, unpublishing is
# cancelling the schedule; a live piece is withdrawn instead.
commentary_unpublish = commentary_unschedule


@transaction.atomic
def commentary_withdraw(*, commentary: Commentary, note: str, user=None) -> Commentary:
    """Published → withdrawn. The piece keeps its number and address, which
    answer a tombstone page with the editors' note."""
    stored = _stored(commentary)
    authorize(user, Action.WITHDRAW, stored)
    if not note.strip():
        raise ValidationError({"withdrawal_note": "Say why the piece is withdrawn."})
    stored.status = Commentary.Status.WITHDRAWN
    stored.withdrawn_at = timezone.now()
    stored.withdrawal_note = note.strip()
    if user is not None:
        stored.last_edited_by = user
    stored.full_clean()
    stored.save()
    surroundings.refresh(pieces=[stored])
    return stored


@transaction.atomic
def commentary_add_correction(*, commentary: Commentary, text: str, user=None) -> Commentary:
    """Add a dated correction note to a live piece. It is shown at the end of
    the piece, in its feed entry and in its structured data. It is not a new
    publication: the publish time and number stay, and nothing goes live."""
    stored = _stored(commentary)
    authorize(user, Action.CORRECT, stored)
    if not text.strip():
        raise ValidationError({"text": "Say what was corrected."})
    stored.corrections = [
        *(stored.corrections or []),
        {"noted_at": timezone.now().isoformat(), "text": text.strip()},
    ]
    fields = ["corrections", "updated_at"]
    if user is not None:
        stored.last_edited_by = user
        fields.append("last_edited_by")
    stored.save(update_fields=fields)
    return stored


@transaction.atomic
def commentary_reinstate(*, commentary: Commentary, user=None) -> Commentary:
    """Withdrawn → published again, with its number and publish time."""
    stored = _stored(commentary)
    authorize(user, Action.REINSTATE, stored)
    stored.status = Commentary.Status.PUBLISHED
    stored.withdrawn_at = None
    if user is not None:
        stored.last_edited_by = user
    stored.full_clean()
    stored.save()
    surroundings.refresh(pieces=[stored])
    return stored


@transaction.atomic
def commentary_restore(*, commentary: Commentary, version, user=None) -> Commentary:
    """Bring back an older version's content (title, summary, body, bylines,
    topics) as the piece's new content. Status, number, address and publish
    time stay as they are. A piece readers see must still pass the checks
    before publishing."""
    from .history import version_content

    stored = _stored(commentary)
    authorize(user, Action.RESTORE, stored)
    content = version_content(version)
    for field in CONTENT_FIELDS:
        setattr(stored, field, content["fields"].get(field) or "")
    if user is not None:
        stored.last_edited_by = user
    stored.full_clean()
    stored.save()
    _replace_bylines(stored, content["bylines"])
    if content["topics"] is not None:
        before = set(stored.topics.values_list("pk", flat=True))
        stored.topics.set(list(Topic.objects.filter(pk__in=content["topics"])))
        commentary_topics_changed(commentary=stored, before=before)
    if stored.status in Commentary.PUBLIC_STATUSES:
        problems = readiness.problems(stored)
        if problems:
            raise ValidationError(["This version cannot go on a published piece:", *problems])
    return stored


def _replace_bylines(commentary: Commentary, rows: list[dict]) -> None:
    keep = {row["author_id"] for row in rows}
    commentary.bylines.exclude(author_id__in=keep).delete()
    current = {b.author_id: b for b in commentary.bylines.all()}
    for row in rows:
        byline = current.get(row["author_id"]) or Byline(
            commentary=commentary, author_id=row["author_id"]
        )
        byline.position = row["position"]
        byline.bio = row["bio"]
        byline.email = row["email"]
        byline.save()


@transaction.atomic
def commentary_renumber(
    *, commentary: Commentary, number: int | None, suffix: str = "", user=None, reason: str
) -> Commentary:
    """The one service that may change a live piece's number: for correcting
    a real mistake (a piece imported under the wrong number). Editors only;
    the reason is required and kept in the piece's history. The database lets
    this change through for this piece and this transaction only (a row in
    the renumbering permit table, removed before commit)."""
    from .models import RenumberPermit

    numbering.lock_series(commentary.series_id)
    stored = _stored(commentary)
    authorize(user, Action.RENUMBER, stored)
    if not reason.strip():
        raise ValidationError("Say why the piece is renumbered.")
    stored.number = number
    stored.suffix = numbering.normalise_suffix(suffix) if number is not None else ""
    stored.number_origin = Commentary.NumberOrigin.HAND
    if user is not None:
        stored.last_edited_by = user
    stored.full_clean()
    permit = RenumberPermit.objects.create(commentary=stored, reason=reason.strip())
    stored.save()
    permit.delete()
    return stored


def bylines_move_on_merge(*, keep, duplicate, **kwargs) -> None:
    """Receiver of `authors.signals.author_merging`: the duplicate's bylines
    move to `keep` (their bio and email snapshots untouched, so published
    pieces read as before); where both sign the same piece the duplicate's
    byline goes."""
    signed_by_keep = Byline.objects.filter(author=keep).values("commentary")
    Byline.objects.filter(author=duplicate, commentary__in=signed_by_keep).delete()
    Byline.objects.filter(author=duplicate).update(author=keep)


@transaction.atomic
def commentary_set_topics(*, commentary: Commentary, topics, user=None) -> Commentary:
    """File a piece under `topics` (Topic objects) instead of its current ones."""
    stored = _stored(commentary)
    authorize(user, Action.EDIT, stored)
    before = set(stored.topics.values_list("pk", flat=True))
    stored.topics.set(list(topics))
    commentary_topics_changed(commentary=stored, before=before)
    return stored


def commentary_topics_changed(*, commentary: Commentary, before: set[int]) -> None:
    """A piece's topics were `before` (topic ids) and are now what the
    database holds (the change form saves them itself, then calls this): the
    related pieces around it, under the old topics and the new, are worked
    out again. Drafts and pieces in review are in nobody's related pieces."""
    if commentary.status == Commentary.Status.PUBLISHED:
        surroundings.refresh(pieces=[commentary], topic_ids=before)


@transaction.atomic
def topics_delete(*, topics) -> None:
    """Delete topics; the related pieces of the pieces filed under them are
    worked out again."""
    ids = [topic.pk for topic in topics]
    pieces = list(
        Commentary.objects.filter(tagged_items__tag_id__in=ids, status=Commentary.Status.PUBLISHED)
        .distinct()
        .only("pk")
    )
    # The credits and menus of every piece that loses a topic, once.
    with batching.batched():
        for topic in topics:
            topic.delete()
    surroundings.refresh(pieces=pieces, topic_ids=ids)
