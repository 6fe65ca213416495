"""The admin site editors work in: a dashboard on the index page and the
upload endpoint the rich-text editor posts images to."""

from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed
from django.urls import path

# Admin pages that only show things: a POST to them is refused, not ignored.
READ_ONLY_SUFFIXES = ("_history", "_compare", "_snapshot", "_recoverlist")


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

    def admin_view(self, view, cacheable=False):
        """Every admin page, wrapped so that a crafted POST is refused plainly:
        405 on pages that only show things, 403 for a bulk action the user may
        not run (Django would otherwise redirect with “No action selected”)."""
        guarded = self._refuse_crafted_posts(view)
        return super().admin_view(guarded, cacheable)

    def _refuse_crafted_posts(self, view):
        @wraps(view)
        def guarded(request, *args, **kwargs):
            if request.method == "POST":
                name = getattr(request.resolver_match, "url_name", "") or ""
                if name.endswith(READ_ONLY_SUFFIXES):
                    return HttpResponseNotAllowed(["GET", "HEAD"])
                if name.endswith("_changelist"):
                    self._check_changelist_post(request)
            return view(request, *args, **kwargs)

        return guarded

    def _check_changelist_post(self, request):
        """A change list takes two POSTs: a bulk action the user may run, or
        the list's editable columns saved by someone who may change them."""
        model_admin = self._model_admin_for(request.resolver_match)
        if model_admin is None:
            return
        action = request.POST.get("action")
        if action:
            if action not in model_admin.get_actions(request):
                raise PermissionDenied("You may not run this action.")
            return
        if not (model_admin.list_editable and model_admin.has_change_permission(request)):
            raise PermissionDenied("Nothing on this page can be changed by you.")

    def _model_admin_for(self, match):
        for model, model_admin in self._registry.items():
            opts = model._meta
            if match.url_name == f"{opts.app_label}_{opts.model_name}_changelist":
                return model_admin
        return None

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
