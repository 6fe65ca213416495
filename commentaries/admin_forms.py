"""Forms behind the editors' admin."""

import copy

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from pacforum.richtext import RichTextAdminForm

from . import readiness, rules
from .models import Commentary, Series
from .numbering import assign_number

# The buttons of the change form, each a change of state (services.py).
PUBLISH = "_publish"
UNPUBLISH = "_unpublish"  # on a scheduled piece: cancel the schedule
SUBMIT = "_submit"
RETURN = "_return"
REINSTATE = "_reinstate"
INTENTS = (PUBLISH, UNPUBLISH, SUBMIT, RETURN, REINSTATE)


def intent_of(request):
    """The state change a change-form POST asks for, or None for a plain save."""
    if request.method != "POST":
        return None
    return next((intent for intent in INTENTS if intent in request.POST), None)


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
            "feed_full_text",
            "position",
            "image",
            "image_alt",
        ]


class CommentaryAdminForm(RichTextAdminForm):
    rich_text_fields = ("body",)

    def clean_rich_text(self, name, value):
        # The footnotes' markers (ids the sanitiser drops) must be read first.
        return (
            Commentary.clean_body(value) if name == "body" else super().clean_rich_text(name, value)
        )

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
            "image",
            "image_alt",
            "original_publication",
            "original_url",
        ]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
        }

    def clean(self):
        cleaned = super().clean()
        state = rules.state_of(self.instance) if self.instance.pk else rules.State.DRAFT
        if (
            self.instance.status == Commentary.Status.PUBLISHED
            and self.intent != UNPUBLISH
            and "published_at" in self.fields
            and not cleaned.get("published_at")
        ):
            self.add_error(
                "published_at",
                "A published piece needs a publish time. To take it down, use "
                "Cancel schedule (scheduled) or Withdraw (published).",
            )
        elif (
            state == rules.State.SCHEDULED
            and self.intent not in (PUBLISH, UNPUBLISH)
            and "published_at" in self.fields
            and cleaned.get("published_at")
            and cleaned["published_at"] <= timezone.now()
        ):
            self.add_error(
                "published_at",
                "A scheduled piece needs a time in the future; to publish it now, use Publish.",
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
        if self.instance.pk and "number" in self.changed_data:
            trial.number_origin = Commentary.NumberOrigin.HAND
        assign_number(commentary=trial)
        if trial.number is None:
            return  # dealt in publish-time order when publishing, never taken
        try:
            trial.validate_unique()
        except ValidationError as error:
            field = "number" if "number" in self.fields else None
            for message in error.messages:
                self.add_error(field, message)


class BylineFormSet(forms.BaseInlineFormSet):
    """The bylines of a piece. When the piece is being published, or readers
    see it already, the checks before publishing run here, on the form's
    values, so a failing piece comes back as a form with the reasons."""

    intent = None
    stored = None

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        public = self.stored is not None and self.stored.status in Commentary.PUBLIC_STATUSES
        if (self.intent != PUBLISH and not public) or self.intent == UNPUBLISH:
            return
        rows = []
        for form in self.forms:
            data = form.cleaned_data
            if not data or not data.get("author") or data.get("DELETE"):
                continue
            # An empty bio is filled from the author's profile when saved.
            rows.append((data["author"].name, data.get("bio") or data["author"].short_bio))
        problems = readiness.problems(self.instance, bylines=rows)
        if problems:
            raise ValidationError(["Not ready to publish:", *problems])


class WithdrawForm(forms.Form):
    note = forms.CharField(
        label="Editors’ note",
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Shown on the piece’s page in place of the text: why it was withdrawn.",
    )


class CorrectionForm(forms.Form):
    text = forms.CharField(
        label="Correction",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Shown, dated, at the end of the piece: what was wrong and what it now says.",
    )


class RequestChangesForm(forms.Form):
    note = forms.CharField(
        label="Note to the author",
        widget=forms.Textarea(attrs={"rows": 6, "cols": 60}),
        help_text="What should change before the piece can be published. It is emailed to "
        "whoever submitted the piece and shown on the piece’s form.",
    )
