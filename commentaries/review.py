"""Review: who a piece's review emails go to, and what they say.

A contributor submits a piece; every editor (staff with the publish
permission and an email address) gets a link to it. An editor requests
changes with a note; the author who submitted it gets the note. Approving is
publishing or scheduling (`services.commentary_publish`). The emails leave
through the task queue (`tasks.send_review_email`).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db.models import F, OuterRef, Prefetch, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from .models import Byline, Commentary, ReviewStep
from .rules import PUBLISH_PERMISSION

logger = logging.getLogger(__name__)

# A review email whose send failed (the mail server down or refusing) is
# queued again this long after each failure, up to this many tries in all.
EMAIL_RETRY_AFTER = timedelta(minutes=10)
EMAIL_TRIES = 6


def change_form_url(commentary) -> str:
    path = reverse("admin:commentaries_commentary_change", args=[commentary.pk])
    return settings.SITE_URL.rstrip("/") + path


def person(user) -> str:
    if user is None:
        return "someone no longer on staff"
    return user.get_full_name() or user.get_username()


def editors_to_notify(*, exclude=None) -> list[str]:
    """The addresses of active staff who may publish."""
    editors = (
        get_user_model()
        .objects.with_perm(
            PUBLISH_PERMISSION,
            is_active=True,
            include_superusers=True,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .filter(is_staff=True)
        .exclude(email="")
    )
    if exclude is not None:
        editors = editors.exclude(pk=exclude.pk)
    return sorted({user.email for user in editors})


def submitter(commentary, *, before=None):
    """Who submitted the piece most recently (before `before`, a step): the
    author the review answers to. Falls back to whoever created the piece."""
    submissions = commentary.review_steps.filter(kind=ReviewStep.Kind.SUBMITTED)
    if before is not None:
        submissions = submissions.filter(created_at__lte=before.created_at).exclude(pk=before.pk)
    latest = submissions.select_related("user").first()
    if latest is not None and latest.user is not None:
        return latest.user
    return commentary.created_by


def message(step: ReviewStep) -> EmailMessage | None:
    """The email a review step sends, or None when it has nobody to go to."""
    commentary = step.commentary
    context = {
        "site_name": settings.SITE_NAME,
        "commentary": commentary,
        "step": step,
        "by": person(step.user),
        "url": change_form_url(commentary),
    }
    if step.kind == ReviewStep.Kind.SUBMITTED:
        to = editors_to_notify(exclude=step.user)
        subject = f"For review: {commentary}"
        template = "commentaries/email/review_submitted.txt"
    elif step.kind == ReviewStep.Kind.CHANGES_REQUESTED:
        author = submitter(commentary, before=step)
        to = [author.email] if author is not None and author.email else []
        subject = f"Changes requested: {commentary}"
        template = "commentaries/email/changes_requested.txt"
    else:
        return None
    if not to:
        return None
    # Subjects are one line whatever a title holds.
    return EmailMessage(
        subject=" ".join(subject.split()),
        body=render_to_string(template, context),
        to=to,
    )


def review_queue():
    """Pieces in review, the longest waiting first, each with `submitted_at`
    and `submitted_by` (the latest submission), its series and bylines: three
    queries however long the queue."""
    latest = ReviewStep.objects.filter(
        commentary=OuterRef("pk"), kind=ReviewStep.Kind.SUBMITTED
    ).order_by("-created_at", "-id")
    return (
        Commentary.objects.in_review()
        .select_related("series")
        .defer("body", "search_vector")
        .annotate(
            submitted_at=Subquery(latest.values("created_at")[:1]),
            submitted_by_id=Subquery(latest.values("user")[:1]),
        )
        .prefetch_related(Prefetch("bylines", queryset=Byline.objects.select_related("author")))
        .order_by(F("submitted_at").asc(nulls_first=True), "updated_at", "pk")
    )


def with_submitters(pieces) -> list:
    """Give each piece of `review_queue()` its `submitted_by` user (one query)."""
    pieces = list(pieces)
    ids = {p.submitted_by_id for p in pieces if p.submitted_by_id}
    users = get_user_model().objects.in_bulk(ids) if ids else {}
    for piece in pieces:
        piece.submitted_by = users.get(piece.submitted_by_id)
        piece.submitted_by_name = person(piece.submitted_by) if piece.submitted_by else ""
    return pieces


def email_failed(step) -> None:
    """Count a failed send of `step`'s email; the last try is logged."""
    ReviewStep.objects.filter(pk=step.pk).update(
        email_failures=F("email_failures") + 1, email_failed_at=timezone.now()
    )
    if step.email_failures + 1 >= EMAIL_TRIES:
        logger.error(
            "The review email of step %s (piece %s) failed %s times; it is not sent again",
            step.pk,
            step.commentary_id,
            EMAIL_TRIES,
        )


def retry_failed_emails(now=None) -> int:
    """Queue again each review email whose last send failed at least
    EMAIL_RETRY_AFTER ago and that has tries left; run by the go-live tick.
    Each is claimed (its failure time moved to now) before it is queued, so a
    tick that comes before the retry has run does not queue it twice."""
    from .tasks import send_review_email

    now = now or timezone.now()
    due = ReviewStep.objects.filter(
        emailed_at__isnull=True,
        email_failures__gte=1,
        email_failures__lt=EMAIL_TRIES,
        email_failed_at__lte=now - EMAIL_RETRY_AFTER,
    )
    queued = 0
    for pk in due.values_list("pk", flat=True):
        claimed = ReviewStep.objects.filter(
            pk=pk, email_failed_at__lte=now - EMAIL_RETRY_AFTER, emailed_at__isnull=True
        ).update(email_failed_at=now)
        if claimed:
            send_review_email.enqueue(step_id=pk)
            queued += 1
    return queued
