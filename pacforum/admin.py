"""The static pages' admin (“About”, “History of the Forum”)."""

from django.contrib import admin
from django.contrib.flatpages.admin import FlatPageAdmin
from django.contrib.flatpages.forms import FlatpageForm
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.shortcuts import get_current_site
from django_ckeditor_5.widgets import CKEditor5Widget

from pacforum.sanitizer import sanitize_html


class PageAdminForm(FlatpageForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["content"].widget = CKEditor5Widget(config_name="default")
        self.fields["content"].widget.use_required_attribute = lambda initial: False

    def clean_content(self):
        return sanitize_html(self.cleaned_data["content"])


admin.site.unregister(FlatPage)


@admin.register(FlatPage)
class PageAdmin(FlatPageAdmin):
    """Static pages (“About”, “History of the Forum”) with the same editor."""

    form = PageAdminForm

    def get_changeform_initial_data(self, request):
        # A new page belongs to this site unless the editor says otherwise.
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("sites", [get_current_site(request).pk])
        return initial
