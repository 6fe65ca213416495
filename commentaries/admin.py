from django.contrib import admin

from .models import Byline, Commentary, Series, Topic


@admin.register(Series)
class SeriesAdmin(admin.ModelAdmin):
    list_display = ["name", "short_label", "numbering", "subscribable", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "featured"]
    list_filter = ["featured"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class BylineInline(admin.TabularInline):
    model = Byline
    extra = 1
    autocomplete_fields = ["author"]
    fields = ["position", "author", "email", "bio"]


@admin.register(Commentary)
class CommentaryAdmin(admin.ModelAdmin):
    list_display = ["__str__", "series", "status", "published_at"]
    list_filter = ["series", "status"]
    list_select_related = ["series"]
    search_fields = ["title", "summary"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["responds_to"]
    inlines = [BylineInline]
