from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from .models import ImportedPost


@admin.register(ImportedPost)
class ImportedPostAdmin(admin.ModelAdmin):
    """What came from WordPress, read-only: the import command writes it."""

    list_display = ["__str__", "became", "post_type", "old_address", "updated_at"]
    list_filter = ["post_type", "commentary__series"]
    list_select_related = ["commentary__series", "page"]
    search_fields = ["wp_post_id", "guid", "link", "commentary__title", "page__title"]
    readonly_fields = [
        "wp_post_id",
        "guid",
        "post_type",
        "link",
        "commentary",
        "page",
        "imported_at",
        "updated_at",
    ]
    fields = readonly_fields

    @admin.display(description="became")
    def became(self, obj):
        if obj.commentary_id:
            url = reverse("admin:commentaries_commentary_change", args=[obj.commentary_id])
            return format_html('<a href="{}">{}</a>', url, obj.commentary)
        url = reverse("admin:flatpages_flatpage_change", args=[obj.page_id])
        return format_html('<a href="{}">static page {}</a>', url, obj.page.url)

    @admin.display(description="old address", ordering="link")
    def old_address(self, obj):
        if not obj.link:
            return "—"
        return format_html('<a href="{}" rel="noreferrer">{}</a>', obj.link, obj.link)

    def has_add_permission(self, request):
        return False
