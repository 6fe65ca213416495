import re
import unicodedata

from django import forms
from django.core.exceptions import ValidationError

from commentaries.models import Series

from .addresses import canonical_email

PK_RE = re.compile(r"[0-9]{1,18}")


def reject_control_characters(value):
    if any(unicodedata.category(char) == "Cc" for char in value):
        raise ValidationError(
            "Please remove line breaks, tabs and other control characters.",
            code="control_characters",
        )


class NormalisedEmailField(forms.EmailField):
    """An address in its one stored form (see `subscriptions.addresses`)."""

    def to_python(self, value):
        value = super().to_python(value)
        return canonical_email(value) if value else value


class SeriesChoiceField(forms.ModelMultipleChoiceField):
    widget = forms.CheckboxSelectMultiple

    def __init__(self, **kwargs):
        super().__init__(queryset=Series.objects.filter(subscribable=True), **kwargs)

    def label_from_instance(self, obj):
        return obj.name

    def _check_values(self, value):
        # Refuse what is not a plausible id before the database sees it: a
        # 30-digit number overflows SQLite and PostgreSQL integers.
        for pk in value:
            if not (isinstance(pk, str) and PK_RE.fullmatch(pk)):
                raise ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": pk},
                )
        return super()._check_values(value)


class SubscribeForm(forms.Form):
    name = forms.CharField(
        max_length=200, validators=[reject_control_characters], widget=forms.TextInput()
    )
    email = NormalisedEmailField(max_length=254)
    organization = forms.CharField(
        max_length=200,
        required=False,
        validators=[reject_control_characters],
        label="Organization (optional)",
    )
    series = SeriesChoiceField(
        label="Series",
        error_messages={"required": "Choose at least one series."},
    )
    consent = forms.BooleanField(
        error_messages={"required": "We can only send emails with your agreement."},
    )
    # Hidden from people by CSS and aria-hidden; bots that fill every field reveal themselves.
    website = forms.CharField(required=False, max_length=200, label="Leave this field empty")

    def __init__(self, *args, consent_text, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["consent"].label = consent_text
        self.fields["name"].widget.attrs.update({"autocomplete": "name"})
        self.fields["email"].widget.attrs.update({"autocomplete": "email"})
        self.fields["organization"].widget.attrs.update({"autocomplete": "organization"})
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})

    @property
    def is_bot(self):
        return bool(self.data.get("website"))


class ManageSeriesForm(forms.Form):
    series = SeriesChoiceField(
        label="Send me these series",
        required=False,
        help_text="Untick every series to unsubscribe.",
    )
