from django.contrib import admin

from .models import Affiliation, Author, Organization


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    extra = 1
    autocomplete_fields = ["organization"]


@admin.register(Author)
class AuthorAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "show_email"]
    search_fields = ["name", "sort_name", "email", "affiliations__organization__name"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [AffiliationInline]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "url"]
    search_fields = ["name"]
