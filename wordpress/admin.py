from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import ImportedPost


@admin.register(ImportedPost)
class ImportedPostAdmin(admin.ModelAdmin):
    """What came from WordPress, read-only: the import command writes it."""

    list_display = ["__str__", "commentary_link", "post_type", "old_address", "updated_at"]
    list_filter = ["post_type", "commentary__series"]
    list_select_related = ["commentary__series"]
    search_fields = ["wp_post_id", "guid", "link", "commentary__title"]
    readonly_fields = [
        "wp_post_id",
        "guid",
        "post_type",
        "link",
        "commentary",
        "imported_at",
        "updated_at",
    ]
    fields = readonly_fields

    @admin.display(description="commentary", ordering="commentary__title")
    def commentary_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:commentaries_commentary_change", args=[obj.commentary_id]),
            obj.commentary,
        )

    @admin.display(description="old address", ordering="link")
    def old_address(self, obj):
        if not obj.link:
            return "—"
        return format_html('<a href="{}" rel="noreferrer">{}</a>', obj.link, obj.link)

    def has_add_permission(self, request):
        return False
