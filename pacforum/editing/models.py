"""Edit locks and form drafts, for any model edited in the admin."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.http import QueryDict


class EditLock(models.Model):
    """Who has a record's form open. Advisory: it warns others and never
    blocks a save. It lapses by itself when its holder's page stops sending
    heartbeats (EDIT_LOCK_SECONDS), so no cron job is needed."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    since = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        ordering = ["-seen_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["content_type", "object_id"], name="one_lock_per_record"
            )
        ]

    def __str__(self):
        return f"{self.user} editing {self.content_type.model} {self.object_id}"


class FormDraft(models.Model):
    """An admin form's fields as an editor had them, never applied to the
    record itself: autosaved from an open page, or a save that was refused
    because someone else had saved the record since the form was opened."""

    class Kind(models.TextChoices):
        AUTOSAVE = "autosave", "Autosaved"
        REFUSED = "refused", "Refused save"

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    # Empty for a record that is being created (the add form).
    object_id = models.CharField(max_length=64, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # The record's version the form was opened at.
    base_version = models.CharField(max_length=64, blank=True)
    # The form's fields as submitted: {name: [values]}; uploaded files are not kept.
    data = models.JSONField(default=dict)
    saved_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-saved_at"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "user"], name="form_draft_lookup")
        ]

    def __str__(self):
        return f"{self.get_kind_display()} of {self.content_type.model} {self.object_id or 'new'}"

    def querydict(self) -> QueryDict:
        data = QueryDict(mutable=True)
        for name, values in self.data.items():
            data.setlist(name, values)
        return data


class PreviewLink(models.Model):
    """A link that shows a record that is not published yet to someone
    without an account (an outside author signing off their piece).
    Unguessable (256 random bits), it expires, and an editor may revoke it."""

    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.CharField(max_length=64)
    token = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="preview_link_record")]

    def __str__(self):
        return f"Preview link for {self.content_type.model} {self.object_id}"

    def is_valid(self, now) -> bool:
        return self.revoked_at is None and self.expires_at > now
