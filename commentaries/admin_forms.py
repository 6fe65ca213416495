"""Forms behind the editors' admin."""

import copy

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from pacforum.richtext import RichTextAdminForm

from .models import Commentary, Series
from .services import assign_number

PUBLISH = "_publish"
UNPUBLISH = "_unpublish"


def https_by_default(db_field, **kwargs):
    """Form fields for a model's fields, with scheme-less URLs taken as https."""
    if isinstance(db_field, models.URLField):
        kwargs.setdefault("assume_scheme", "https")
    return db_field.formfield(**kwargs)


class SeriesAdminForm(RichTextAdminForm):
    rich_text_fields = ("disclaimer",)

    class Meta:
        model = Series
        fields = [
            "name",
            "slug",
            "short_label",
            "description",
            "disclaimer",
            "numbering",
            "subscribable",
            "position",
        ]


class CommentaryAdminForm(RichTextAdminForm):
    rich_text_fields = ("body",)
    # Set by the admin from the button pressed: publish, unpublish or None.
    intent = None

    class Meta:
        model = Commentary
        formfield_callback = https_by_default
        fields = [
            "series",
            "title",
            "slug",
            "summary",
            "body",
            "published_at",
            "year",
            "number",
            "suffix",
            "responds_to",
            "topics",
            "pdf",
            "original_publication",
            "original_url",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
        }

    def clean(self):
        cleaned = super().clean()
        if (
            self.instance.status == Commentary.Status.PUBLISHED
            and self.intent != UNPUBLISH
            and "published_at" in self.fields
            and not cleaned.get("published_at")
        ):
            self.add_error(
                "published_at",
                "A published piece needs a publish time. To take it down, use Unpublish.",
            )
        return cleaned

    def _post_clean(self):
        super()._post_clean()
        if not self.errors:
            self._check_whole_instance()
        if self.intent == PUBLISH and not self.errors:
            self._check_number_is_free()

    def _check_whole_instance(self):
        """Django skips constraints that touch a field missing from the form
        (read-only for contributors); check them all, so the database never
        has to refuse a save."""
        trial = copy.copy(self.instance)
        if self.intent == UNPUBLISH:
            trial.status = Commentary.Status.DRAFT
        try:
            trial.validate_unique()
            trial.validate_constraints()
        except ValidationError as error:
            for message in error.messages:
                self.add_error(None, message)

    def _check_number_is_free(self):
        """Number the piece as publishing would, and report a clash on the form
        ("PacNet #68 (2019) already exists.") instead of failing on save."""
        trial = copy.copy(self.instance)
        trial.published_at = trial.published_at or timezone.now()
        trial.status = Commentary.Status.PUBLISHED
        assign_number(commentary=trial)
        try:
            trial.validate_unique()
        except ValidationError as error:
            field = "number" if "number" in self.fields else None
            for message in error.messages:
                self.add_error(field, message)
