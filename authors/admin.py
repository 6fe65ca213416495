from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Max
from django.http import JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from reversion import add_to_revision, create_revision, set_comment, set_user
from reversion.admin import VersionAdmin

from pacforum.editing.mixins import EditingAdminMixin
from pacforum.richtext import RichTextAdminForm

from .models import Affiliation, Author, Organization
from .permissions import author_refusal, organization_refusal
from .services import (
    COMBINABLE_FIELDS,
    MERGE_FIELDS,
    author_merge,
    merge_defaults,
    unique_author_slug,
)


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

    def clean_slug(self):
        """A new author whose name another author already has gets the next
        free address (ana-lee-2) instead of an error."""
        slug = self.cleaned_data["slug"]
        if self.instance.pk is None and slug:
            slug = unique_author_slug(slug)
        return slug


class AffiliationInline(admin.TabularInline):
    model = Affiliation
    extra = 0
    autocomplete_fields = ["organization"]
    fields = ["organization", "role", "is_current", "start_date", "end_date"]

    # An author's affiliations are part of their public record: the author's rule.
    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and not (
            obj and author_refusal(request.user, obj)
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not (
            obj and author_refusal(request.user, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (
            obj and author_refusal(request.user, obj)
        )


def piece_summary(author) -> str:
    """“3 pieces, latest 12 May 2024”, from the annotations `AuthorAdmin` adds."""
    count = getattr(author, "piece_count", 0)
    if not count:
        return "no pieces yet"
    text = f"{count} piece{'s' if count != 1 else ''}"
    latest = getattr(author, "latest_piece_at", None)
    if latest:
        text += f", latest {latest:%-d %b %Y}"
    return text


def author_details(author) -> str:
    """What tells two same-name records apart, on one line."""
    affiliations = getattr(author, "current_affiliations", None)
    if affiliations is None:
        affiliations = [a for a in author.affiliations.all() if a.is_current]
    parts = [author.name, author.email or "no email"]
    if affiliations:
        parts.append(str(affiliations[0]))
    parts.append(piece_summary(author))
    return " · ".join(parts)


def latest_pieces(authors) -> list:
    """Each author's most recent piece (by publish time, then newest draft)."""
    latest = []
    for author in authors:
        byline = (
            author.bylines.select_related("commentary__series")
            .order_by(F("commentary__published_at").desc(nulls_last=True), "-commentary__id")
            .first()
        )
        latest.append(byline.commentary if byline else None)
    return latest


class MergeForm(forms.Form):
    """Which record stays (its address and id), and, field by field, whose
    value the merged author keeps."""

    def __init__(self, *args, authors, **kwargs):
        super().__init__(*args, **kwargs)
        self.authors = list(authors)
        keep = self.authors[0]
        defaults = merge_defaults(keep=keep, duplicates=self.authors[1:])
        records = [(str(a.pk), author_details(a)) for a in self.authors]
        self.fields["keep"] = forms.ChoiceField(
            choices=records,
            widget=forms.RadioSelect,
            initial=str(keep.pk),
            label="Keep this record",
            help_text="Its address stays; the others’ addresses redirect to it. Their bylines "
            "and affiliations move to it; then they are deleted.",
        )
        for field in MERGE_FIELDS:
            choices = [(str(a.pk), a.name) for a in self.authors]
            if field in COMBINABLE_FIELDS:
                choices.append(("both", "Both, one after the other"))
            self.fields[field] = forms.ChoiceField(
                choices=choices,
                widget=forms.RadioSelect,
                initial=str(defaults[field]),
                required=False,  # left out: the kept record's value, unless it is blank
                label=Author._meta.get_field(field).verbose_name,
            )

    def rows(self):
        """One row a field: each record's value beside its radio button."""
        rows = []
        for field in MERGE_FIELDS:
            bound = self[field]
            chosen = str(bound.value())
            cells = [
                {
                    "value": str(author.pk),
                    "shown": display_value(author, field),
                    "checked": chosen == str(author.pk),
                    "id": f"id_{field}_{author.pk}",
                }
                for author in self.authors
            ]
            rows.append(
                {
                    "name": field,
                    "label": bound.label,
                    "cells": cells,
                    "combinable": field in COMBINABLE_FIELDS,
                    "both_checked": chosen == "both",
                    "errors": bound.errors,
                }
            )
        return rows

    def choices(self):
        chosen = {field: self.cleaned_data[field] for field in MERGE_FIELDS}
        return {field: choice for field, choice in chosen.items() if choice}


def display_value(author, field):
    value = getattr(author, field)
    if field == "show_email":
        return "yes" if value else "no"
    if field == "photo":
        return value.name.rsplit("/", 1)[-1] if value else "—"
    if field == "long_bio":
        return format_html("<div class='merge-bio'>{}</div>", mark_safe(value)) if value else "—"
    return value or "—"


@admin.register(Author)
class AuthorAdmin(EditingAdminMixin, VersionAdmin):
    form = AuthorAdminForm
    list_display = ["name", "email", "show_email", "current_affiliation", "pieces"]
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
        # Through the bylines' reverse relation: authors never import commentaries.
        return (
            super()
            .get_queryset(request)
            .with_current_affiliations()
            .annotate(
                piece_count=Count("bylines", distinct=True),
                latest_piece_at=Max("bylines__commentary__published_at"),
            )
        )

    @admin.display(description="pieces", ordering="piece_count")
    def pieces(self, author):
        return piece_summary(author)

    def autocomplete_text(self, author):
        """The byline picker's line for an author: two Ana Lees told apart."""
        return author_details(author)

    # Authors who sign a published piece are part of the record: editors only.
    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and not (obj is not None and author_refusal(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and not (obj is not None and author_refusal(request.user, obj))

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
        return JsonResponse({"short_bio": author.byline_bio(), "email": author.email})

    @admin.action(description="Merge selected duplicate authors", permissions=["delete"])
    def merge_authors(self, request, queryset):
        if queryset.count() < 2:
            messages.warning(request, "Select at least two records of the same person to merge.")
            return None
        form = MergeForm(request.POST if "merge" in request.POST else None, authors=queryset)
        if form.is_valid():
            keep = queryset.get(pk=form.cleaned_data["keep"])
            duplicates = list(queryset.exclude(pk=keep.pk))
            names = ", ".join(str(author) for author in duplicates)
            # Snapshot every record first: reversion only keeps versions of
            # objects that still exist when a revision closes.
            with create_revision():
                set_user(request.user)
                set_comment(f"Before merging {names} into {keep}.")
                for author in [keep, *duplicates]:
                    add_to_revision(author)
            try:
                with create_revision():
                    set_user(request.user)
                    set_comment(f"Merged {names} into {keep}.")
                    author_merge(keep=keep, duplicates=duplicates, choices=form.choices())
            except ValidationError as error:
                found = (
                    error.message_dict if hasattr(error, "error_dict") else {None: error.messages}
                )
                for field, messages_ in found.items():
                    form.add_error(field if field in form.fields else None, messages_)
            else:
                self.message_user(request, f"Merged {names} into {keep}.", messages.SUCCESS)
                return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Merge duplicate authors",
            "opts": self.model._meta,
            "form": form,
            "authors": form.authors,
            "latest_pieces": latest_pieces(form.authors),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/authors/author/merge.html", context)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["name", "url"]
    search_fields = ["name"]

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and not (obj is not None and organization_refusal(request.user, obj))

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and not (obj is not None and organization_refusal(request.user, obj))
