from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from reversion import add_to_revision, create_revision, set_comment, set_user
from reversion.admin import VersionAdmin

from pacforum.richtext import RichTextAdminForm

from .models import Affiliation, Author, Organization
from .services import author_merge


class AuthorAdminForm(RichTextAdminForm):
    rich_text_fields = ("long_bio",)

    class Meta:
        model = Author
        fields = [
            "name",
            "sort_name",
            "slug",
            "email",
            "show_email",
            "photo",
            "short_bio",
            "long_bio",
        ]


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    extra = 0
    autocomplete_fields = ["organization"]
    fields = ["organization", "role", "is_current", "start_date", "end_date"]


class MergeForm(forms.Form):
    keep = forms.ModelChoiceField(
        queryset=Author.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        label="Keep this record",
        help_text="The others’ bylines and affiliations move to it; then they are deleted.",
    )

    def __init__(self, *args, authors, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["keep"].queryset = authors


@admin.register(Author)
class AuthorAdmin(VersionAdmin):
    form = AuthorAdminForm
    list_display = ["name", "email", "show_email", "current_affiliation"]
    search_fields = ["name", "sort_name", "email", "affiliations__organization__name"]
    list_filter = ["show_email"]
    prepopulated_fields = {"slug": ["name"]}
    readonly_fields = ["commentaries"]
    inlines = [AffiliationInline]
    actions = ["merge_authors"]
    fieldsets = [
        (None, {"fields": ["name", "sort_name", "slug", "photo"]}),
        ("Contact", {"fields": ["email", "show_email"]}),
        ("Biography", {"fields": ["short_bio", "long_bio"]}),
        ("Commentaries", {"fields": ["commentaries"]}),
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).with_current_affiliations()

    @admin.display(description="current affiliation")
    def current_affiliation(self, author):
        return "; ".join(str(a) for a in author.current_affiliations)

    @admin.display(description="commentaries by this author")
    def commentaries(self, author):
        if author.pk is None:
            return "None yet."
        # Through the bylines' reverse relation: authors never import commentaries.
        pieces = [
            byline.commentary
            for byline in author.bylines.select_related("commentary__series").order_by(
                "-commentary__published_at", "-commentary__id"
            )
        ]
        if not pieces:
            return "None yet."
        return format_html(
            "<ul class='author-commentaries'>{}</ul>",
            format_html_join(
                "",
                "<li><a href='{}'>{}</a> ({})</li>",
                (
                    (
                        reverse("admin:commentaries_commentary_change", args=[piece.pk]),
                        piece,
                        piece.get_status_display().lower(),
                    )
                    for piece in pieces
                ),
            ),
        )

    def changelist_view(self, request, extra_context=None):
        # Not inside reversion's request-wide revision: the merge action saves
        # its own "before" revision, which must close before records go.
        return admin.ModelAdmin.changelist_view(self, request, extra_context)

    def get_urls(self):
        return [
            path(
                "<int:pk>/snapshot/",
                self.admin_site.admin_view(self.snapshot_view),
                name="authors_author_snapshot",
            ),
            *super().get_urls(),
        ]

    def snapshot_view(self, request, pk):
        """The bio and email a new byline starts from."""
        if not self.has_view_permission(request):
            return JsonResponse({"error": "Not allowed."}, status=403)
        author = get_object_or_404(Author, pk=pk)
        return JsonResponse({"short_bio": author.short_bio, "email": author.email})

    @admin.action(description="Merge selected duplicate authors", permissions=["delete"])
    def merge_authors(self, request, queryset):
        if queryset.count() < 2:
            messages.warning(request, "Select at least two records of the same person to merge.")
            return None
        form = MergeForm(request.POST if "merge" in request.POST else None, authors=queryset)
        if form.is_valid():
            keep = form.cleaned_data["keep"]
            duplicates = list(queryset.exclude(pk=keep.pk))
            names = ", ".join(str(author) for author in duplicates)
            # Snapshot every record first: reversion only keeps versions of
            # objects that still exist when a revision closes.
            with create_revision():
                set_user(request.user)
                set_comment(f"Before merging {names} into {keep}.")
                for author in [keep, *duplicates]:
                    add_to_revision(author)
            with create_revision():
                set_user(request.user)
                set_comment(f"Merged {names} into {keep}.")
                author_merge(keep=keep, duplicates=duplicates)
            self.message_user(request, f"Merged {names} into {keep}.", messages.SUCCESS)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge duplicate authors",
            "opts": self.model._meta,
            "form": form,
            "authors": queryset.prefetch_related("bylines"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/authors/author/merge.html", context)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "url"]
    search_fields = ["name"]
