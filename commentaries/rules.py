"""Who may do what to the publication record, in which state.

This is the one place the rules live. The services call `authorize()` before
they write, whatever called them (the change form, an inline, a bulk action,
a history restore, the importer, the shell); the admin asks the same
functions to decide what it shows. What must hold even for a raw `.save()`
(a live piece keeps its number, year and series) is enforced again by the
database (`triggers.py`).

States: draft → in review → scheduled → published → withdrawn. “Scheduled”
is a published piece whose publish time has not come: readers' visibility
depends on the time alone, with no clock job.

Roles:

| action                         | from states                    | Contributor          | Editor |
|--------------------------------|--------------------------------|----------------------|--------|
| create a draft                 | —                              | yes                  | yes    |
| edit content, bylines, topics  | draft                          | own drafts only      | yes    |
| edit content, bylines, topics  | in review, scheduled, published, withdrawn | no       | yes    |
| submit for review              | draft                          | own drafts only      | yes    |
| return to draft                | in review                      | own pieces only      | yes    |
| request changes, with a note   | in review                      | no                   | yes    |
| publish or schedule (approve)  | draft, in review, scheduled    | no                   | yes    |
| cancel a schedule              | scheduled                      | no                   | yes    |
| withdraw                       | published                      | no                   | yes    |
| reinstate                      | withdrawn                      | no                   | yes    |
| add a correction note          | published                      | no                   | yes    |
| restore content from history   | draft (own)                    | own drafts only      | yes    |
| restore content from history   | in review and later            | no                   | yes    |
| delete                         | draft                          | no                   | yes    |
| renumber (the one service)     | any numbered                   | no                   | yes    |
| change an author/organization  | on no published piece          | yes                  | yes    |
| change an author/organization  | on a published piece           | no                   | yes    |

“Published piece” for authors means any piece readers see or will see:
scheduled, published or withdrawn.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils import timezone

PUBLISH_PERMISSION = "commentaries.publish_commentary"


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "review", "In review"
    SCHEDULED = "scheduled", "Scheduled"
    PUBLISHED = "published", "Published"
    WITHDRAWN = "withdrawn", "Withdrawn"


class Role(models.TextChoices):
    CONTRIBUTOR = "contributor", "Contributor"
    EDITOR = "editor", "Editor"


class Action(models.TextChoices):
    CREATE = "create", "create a draft"
    EDIT = "edit", "edit"
    SUBMIT = "submit", "submit for review"
    RETURN = "return", "return to draft"
    REQUEST_CHANGES = "request_changes", "request changes on"
    PUBLISH = "publish", "publish or schedule"
    UNSCHEDULE = "unschedule", "cancel the schedule of"
    WITHDRAW = "withdraw", "withdraw"
    REINSTATE = "reinstate", "reinstate"
    CORRECT = "correct", "add a correction to"
    RESTORE = "restore", "restore an older version of"
    DELETE = "delete", "delete"
    RENUMBER = "renumber", "renumber"


@dataclass(frozen=True)
class Rule:
    """An action's states before (`from_states`) and after (`to_state`, None
    when the state does not change), and who may take it."""

    from_states: frozenset
    to_state: State | None
    contributor: bool = False
    # Contributors may act only on pieces they created.
    own_only: bool = True


_ALL = frozenset(State)
_NOT_LIVE = frozenset({State.DRAFT, State.IN_REVIEW, State.SCHEDULED})

RULES: dict[Action, Rule] = {
    Action.CREATE: Rule(frozenset({State.DRAFT}), None, contributor=True, own_only=False),
    Action.EDIT: Rule(_ALL, None, contributor=True),
    Action.SUBMIT: Rule(frozenset({State.DRAFT}), State.IN_REVIEW, contributor=True),
    Action.RETURN: Rule(frozenset({State.IN_REVIEW}), State.DRAFT, contributor=True),
    Action.REQUEST_CHANGES: Rule(frozenset({State.IN_REVIEW}), State.DRAFT),
    Action.PUBLISH: Rule(_NOT_LIVE, State.PUBLISHED),
    Action.UNSCHEDULE: Rule(frozenset({State.SCHEDULED}), State.DRAFT),
    Action.WITHDRAW: Rule(frozenset({State.PUBLISHED}), State.WITHDRAWN),
    Action.REINSTATE: Rule(frozenset({State.WITHDRAWN}), State.PUBLISHED),
    Action.CORRECT: Rule(frozenset({State.PUBLISHED}), None),
    Action.RESTORE: Rule(_ALL, None, contributor=True),
    Action.DELETE: Rule(frozenset({State.DRAFT, State.IN_REVIEW}), None),
    Action.RENUMBER: Rule(_ALL, None),
}

# The states in which a contributor may write a piece at all (edit, restore).
CONTRIBUTOR_WRITABLE = frozenset({State.DRAFT})


def state_of(commentary, now: datetime | None = None) -> State:
    from .models import Commentary

    status = commentary.status
    if status == Commentary.Status.DRAFT:
        return State.DRAFT
    if status == Commentary.Status.REVIEW:
        return State.IN_REVIEW
    if status == Commentary.Status.WITHDRAWN:
        return State.WITHDRAWN
    now = now or timezone.now()
    if commentary.published_at is not None and commentary.published_at > now:
        return State.SCHEDULED
    return State.PUBLISHED


def role_of(user) -> Role | None:
    """Editors hold the publish permission; Contributors may write drafts."""
    if user is None or not user.is_active or not user.is_staff:
        return None
    if user.has_perm(PUBLISH_PERMISSION):
        return Role.EDITOR
    if user.has_perm("commentaries.add_commentary") or user.has_perm(
        "commentaries.change_commentary"
    ):
        return Role.CONTRIBUTOR
    return None


def _owns(user, commentary) -> bool:
    return commentary.pk is None or (
        commentary.created_by_id is not None and commentary.created_by_id == user.pk
    )


def refusal(user, action: Action, commentary, *, state: State | None = None) -> str | None:
    """Why `user` may not take `action` on `commentary` in its current state
    (or `state`), or None when they may."""
    rule = RULES[action]
    state = state or (State.DRAFT if commentary is None else state_of(commentary))
    role = role_of(user)
    verb = action.label
    if role is None:
        return f"You may not {verb} commentaries."
    if state not in rule.from_states:
        return f"A piece that is {state.label.lower()} cannot be {_past(action)}."
    if role == Role.EDITOR:
        return None
    if not rule.contributor:
        return f"Only editors may {verb} a piece."
    if action in (Action.EDIT, Action.RESTORE) and state not in CONTRIBUTOR_WRITABLE:
        return (
            f"This piece is {state.label.lower()}: only editors may change it. "
            "Contributors change their own drafts."
        )
    if rule.own_only and commentary is not None and not _owns(user, commentary):
        return "Contributors may change only the drafts they created."
    return None


def _past(action: Action) -> str:
    return {
        Action.EDIT: "edited",
        Action.SUBMIT: "submitted for review",
        Action.RETURN: "returned to draft",
        Action.REQUEST_CHANGES: "sent back with changes requested",
        Action.PUBLISH: "published or scheduled",
        Action.UNSCHEDULE: "taken off the schedule",
        Action.WITHDRAW: "withdrawn",
        Action.REINSTATE: "reinstated",
        Action.CORRECT: "corrected",
        Action.RESTORE: "restored",
        Action.DELETE: "deleted",
        Action.RENUMBER: "renumbered",
        Action.CREATE: "created",
    }[action]


def allows(user, action: Action, commentary=None, *, state: State | None = None) -> bool:
    return refusal(user, action, commentary, state=state) is None


def authorize(user, action: Action, commentary=None, *, after=None) -> None:
    """Raise PermissionDenied unless `user` may take `action` on the piece as
    it stands in the database (`commentary`), and, when `after` is given, may
    also hold the piece in the state the change leaves it in.

    `user=None` is the system itself (a management command, the importer):
    no role applies, but the states still do."""
    if user is None:
        state = State.DRAFT if commentary is None else state_of(commentary)
        if state not in RULES[action].from_states:
            raise PermissionDenied(
                f"A piece that is {state.label.lower()} cannot be {_past(action)}."
            )
        return
    reason = refusal(user, action, commentary)
    if reason:
        raise PermissionDenied(reason)
    if after is not None:
        rule = RULES[action]
        expected = rule.to_state or (state_of(commentary) if commentary else State.DRAFT)
        actual = state_of(after)
        if expected != actual and not (
            # Publishing lands in “scheduled” when the time lies ahead.
            rule.to_state == State.PUBLISHED and actual == State.SCHEDULED
        ):
            raise PermissionDenied(
                f"To {action.label} is not to make a piece {actual.label.lower()}."
            )
        if role_of(user) == Role.CONTRIBUTOR and actual not in (
            CONTRIBUTOR_WRITABLE | {State.IN_REVIEW}
        ):
            raise PermissionDenied("Contributors may not make a piece public.")


# Authors and organizations: their public text shows on every piece they sign.


def author_is_public(author) -> bool:
    """Does the author sign a piece readers see, or will see, or saw?"""
    from .models import Byline, Commentary

    if author.pk is None:
        return False
    return Byline.objects.filter(
        author=author, commentary__status__in=Commentary.PUBLIC_STATUSES
    ).exists()


def organization_is_public(organization) -> bool:
    from .models import Byline, Commentary

    if organization.pk is None:
        return False
    return Byline.objects.filter(
        author__affiliations__organization=organization,
        commentary__status__in=Commentary.PUBLIC_STATUSES,
    ).exists()


def author_refusal(user, author) -> str | None:
    role = role_of(user)
    if role == Role.EDITOR:
        return None
    if role is None:
        return "You may not change authors."
    if author_is_public(author):
        return (
            f"{author} signs a published or scheduled piece: only editors may change this author."
        )
    return None


def organization_refusal(user, organization) -> str | None:
    role = role_of(user)
    if role == Role.EDITOR:
        return None
    if role is None:
        return "You may not change organizations."
    if organization_is_public(organization):
        return (
            f"{organization} is the affiliation of an author of a published piece: "
            "only editors may change it."
        )
    return None


def authorize_author(user, author) -> None:
    if user is None:
        return
    reason = author_refusal(user, author)
    if reason:
        raise PermissionDenied(reason)


def authorize_organization(user, organization) -> None:
    if user is None:
        return
    reason = organization_refusal(user, organization)
    if reason:
        raise PermissionDenied(reason)
