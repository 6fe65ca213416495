"""Locks, versions and drafts: the one mechanism that keeps two editors of
one record from losing each other's typing.

- A form carries the version its record had when it was opened
  (`version_token`); a save from an older version is refused, shown as a
  side-by-side comparison, and kept as a draft (`draft_keep`).
- An open form sends a heartbeat (`lock_touch`) that holds an advisory lock
  and, when something changed, autosaves the form as a draft, never the
  record itself.
"""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import EditLock, FormDraft, PreviewLink

# Form fields never kept in a draft.
NOT_KEPT = {"csrfmiddlewaretoken", "_autosave", "_continue", "_save", "_publish", "_unpublish"}
REFUSED_KEPT = 5


def lock_seconds() -> int:
    return getattr(settings, "EDIT_LOCK_SECONDS", 90)


def pulse_seconds() -> int:
    return getattr(settings, "EDIT_PULSE_SECONDS", 30)


def version_token(obj) -> str:
    """The record's version: its last save time, to the microsecond."""
    if obj is None or obj.pk is None or not getattr(obj, "updated_at", None):
        return ""
    return obj.updated_at.isoformat()


def stored_version(obj) -> str:
    """The version the database holds now, with the row locked until the
    transaction ends, so that two saves are checked one after the other."""
    model = type(obj)
    updated_at = (
        model._default_manager.select_for_update()
        .filter(pk=obj.pk)
        .values_list("updated_at", flat=True)
        .first()
    )
    return updated_at.isoformat() if updated_at else ""


def _key(model, object_id) -> dict:
    return {
        "content_type": ContentType.objects.get_for_model(model),
        "object_id": "" if object_id is None else str(object_id),
    }


def lock_touch(*, user, model, object_id, now=None) -> EditLock:
    """Hold the lock on a record for `user`, or refresh it. A lock whose
    heartbeat stopped more than `lock_seconds()` ago has lapsed and passes
    to `user`; a live lock of someone else is left alone (and returned, so
    the page can say who is editing)."""
    now = now or timezone.now()
    key = _key(model, object_id)
    with transaction.atomic():
        lock = EditLock.objects.select_for_update().filter(**key).select_related("user").first()
        if lock is None:
            try:
                with transaction.atomic():
                    return EditLock.objects.create(**key, user=user, since=now, seen_at=now)
            except IntegrityError:  # another page took it a moment ago
                return EditLock.objects.select_related("user").get(**key)
        if lock.user_id == user.pk:
            lock.seen_at = now
            lock.save(update_fields=["seen_at"])
        elif lock.seen_at < now - timedelta(seconds=lock_seconds()):
            lock.user, lock.since, lock.seen_at = user, now, now
            lock.save(update_fields=["user", "since", "seen_at"])
        return lock


def lock_release(*, user, model, object_id) -> None:
    EditLock.objects.filter(**_key(model, object_id), user=user).delete()


def form_data(post) -> dict:
    """A submitted form's fields, {name: [values]}, without tokens or buttons."""
    return {name: post.getlist(name) for name in post if name not in NOT_KEPT}


def draft_autosave(*, user, model, object_id, base_version: str, post) -> FormDraft:
    """Keep the open form as `user`'s autosaved draft of the record (one per
    user and record, replaced each time)."""
    key = _key(model, object_id)
    draft = FormDraft.objects.filter(**key, user=user, kind=FormDraft.Kind.AUTOSAVE).first()
    if draft is None:
        draft = FormDraft(**key, user=user, kind=FormDraft.Kind.AUTOSAVE)
    draft.base_version = base_version
    draft.data = form_data(post)
    draft.save()
    return draft


def draft_keep_refused(*, user, model, object_id, base_version: str, post) -> FormDraft:
    """Keep a refused (stale) save, so that nothing typed is lost; the last
    REFUSED_KEPT per user and record are kept."""
    key = _key(model, object_id)
    draft = FormDraft.objects.create(
        **key,
        user=user,
        kind=FormDraft.Kind.REFUSED,
        base_version=base_version,
        data=form_data(post),
    )
    old = FormDraft.objects.filter(**key, user=user, kind=FormDraft.Kind.REFUSED).values_list(
        "pk", flat=True
    )[REFUSED_KEPT:]
    FormDraft.objects.filter(pk__in=list(old)).delete()
    return draft


def drafts_of(*, user, model, object_id):
    return FormDraft.objects.filter(**_key(model, object_id), user=user)


def draft_clear_autosave(*, user, model, object_id) -> None:
    """The form was saved: its autosaved draft has done its job."""
    drafts_of(user=user, model=model, object_id=object_id).filter(
        kind=FormDraft.Kind.AUTOSAVE
    ).delete()


def preview_link_create(*, obj, user, days: int = 7):
    """A new sign-off link to `obj`, valid for `days` days."""
    return PreviewLink.objects.create(
        **_key(type(obj), obj.pk),
        token=secrets.token_urlsafe(32),
        created_by=user,
        expires_at=timezone.now() + timedelta(days=days),
    )


def preview_link_revoke(*, link) -> None:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])


def preview_links_of(obj):
    return PreviewLink.objects.filter(**_key(type(obj), obj.pk))


def preview_link_valid(*, model, token: str):
    """The live (not revoked, not expired) link with this token to a `model`
    record, or None."""
    link = (
        PreviewLink.objects.filter(
            content_type=ContentType.objects.get_for_model(model), token=token
        )
        .select_related("content_type")
        .first()
    )
    if link is None or not link.is_valid(timezone.now()):
        return None
    return link
