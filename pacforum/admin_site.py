"""The admin site editors work in: a dashboard on the index page and the
upload endpoint the rich-text editor posts images to."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.urls import path


class DetailedAutocompleteJsonView(AutocompleteJsonView):
    """The pickers' search results, each described by its model admin's
    `autocomplete_text(obj)` when it has one (two authors of the same name
    told apart by email and affiliation; a piece by series, number and year)."""

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        describe = getattr(self.model_admin, "autocomplete_text", None)
        if describe is not None:
            result["text"] = describe(obj)
        return result


class EditorsAdminSite(admin.AdminSite):
    site_header = "Pacific Forum newsroom"
    site_title = "Pacific Forum newsroom"
    index_title = "Dashboard"

    def get_urls(self):
        from .admin_uploads import editor_image_upload

        return [
            path("editor-upload/", editor_image_upload, name="editor_image_upload"),
            *super().get_urls(),
        ]

    def autocomplete_view(self, request):
        return DetailedAutocompleteJsonView.as_view(admin_site=self)(request)

    def index(self, request, extra_context=None):
        from .admin_dashboard import dashboard_context

        context = {**dashboard_context(request.user), **(extra_context or {})}
        return super().index(request, context)


class EditorsAdminConfig(AdminConfig):
    default_site = "pacforum.admin_site.EditorsAdminSite"
