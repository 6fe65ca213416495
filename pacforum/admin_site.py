"""The admin site editors work in: a dashboard on the index page and the
upload endpoint the rich-text editor posts images to."""

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.urls import path


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

    def index(self, request, extra_context=None):
        from .admin_dashboard import dashboard_context

        context = {**dashboard_context(request.user), **(extra_context or {})}
        return super().index(request, context)


class EditorsAdminConfig(AdminConfig):
    default_site = "pacforum.admin_site.EditorsAdminSite"
