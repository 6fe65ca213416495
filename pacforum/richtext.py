"""The rich-text admin form every app's admin shares: CKEditor 5 on the
fields it names, and their HTML sanitised (nh3) before it is saved."""

from django import forms
from django_ckeditor_5.widgets import CKEditor5Widget

from pacforum.sanitizer import sanitize_html


class RichTextAdminForm(forms.ModelForm):
    """Any admin form whose `rich_text_fields` use the CKEditor 5 toolbar."""

    rich_text_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.rich_text_fields:
            if name in self.fields:
                self.fields[name].widget = CKEditor5Widget(config_name="default")
                # CKEditor owns the textarea; the browser must not block an
                # empty required one it cannot show.
                self.fields[name].widget.use_required_attribute = lambda initial: False

    def clean(self):
        cleaned = super().clean()
        for name in self.rich_text_fields:
            if cleaned.get(name):
                cleaned[name] = self.clean_rich_text(name, cleaned[name])
        return cleaned

    def clean_rich_text(self, name, value):
        """The field's HTML as it will be stored (the model's save() does the
        same, for every other entry point)."""
        return sanitize_html(value)
