import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from reversion import create_revision, set_comment, set_user
from reversion.admin import VersionAdmin
from reversion.models import Version

from pacforum.editing.mixins import EditingAdminMixin

from .admin_forms import PUBLISH, UNPUBLISH, CommentaryAdminForm, SeriesAdminForm
from .admin_history import compare_versions
from .models import Byline, Commentary, Series, Topic
from .services import commentary_publish, commentary_unpublish

logger = logging.getLogger(__name__)

ADMIN_CSS = {"all": ["admin/pacforum/admin.css"]}


@admin.register(Series)
class SeriesAdmin(VersionAdmin):
    form = SeriesAdminForm
    list_display = ["name", "short_label", "numbering", "subscribable", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "short_label", "description", "disclaimer"]}),
        ("Numbering and subscriptions", {"fields": ["numbering", "subscribable", "position"]}),
    ]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "featured"]
    list_filter = ["featured"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


class BylineInline(admin.TabularInline):
    model = Byline
    extra = 0
    min_num = 0
    autocomplete_fields = ["author"]
    fields = ["position", "author", "email", "bio"]
    verbose_name = "author"
    verbose_name_plural = "authors, in byline order"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "bio":
            field.widget = forms.Textarea(attrs={"rows": 2, "cols": 50})
            field.help_text = "Filled from the author’s profile; edit it freely."
        if db_field.name == "position":
            field.widget.attrs["class"] = "byline-position"
        return field


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("draft", "Draft"), ("scheduled", "Scheduled"), ("published", "Published")]

    def queryset(self, request, queryset):
        return {
            "draft": queryset.drafts,
            "scheduled": queryset.scheduled,
            "published": queryset.published,
        }.get(self.value(), queryset.all)()


class TopicFilter(admin.SimpleListFilter):
    title = "topic"
    parameter_name = "topic"

    def lookups(self, request, model_admin):
        return Topic.objects.values_list("slug", "name")

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(topics__slug=self.value())
        return queryset


def commentary_status(commentary):
    if commentary.status == Commentary.Status.DRAFT:
        return "draft", "Draft"
    if commentary.is_scheduled:
        return "scheduled", "Scheduled"
    return "published", "Published"


@admin.register(Commentary)
class CommentaryAdmin(EditingAdminMixin, VersionAdmin):
    editing_form_label = "piece"
    form = CommentaryAdminForm
    change_form_template = "admin/commentaries/commentary/change_form.html"
    object_history_template = "admin/commentaries/commentary/object_history.html"
    delete_confirmation_template = "admin/commentaries/commentary/delete_confirmation.html"
    list_display = [
        "series_number",
        "title",
        "status_badge",
        "published_at",
        "author_names",
        "last_edited_by",
    ]
    list_display_links = ["series_number", "title"]
    list_filter = [
        "series",
        StatusFilter,
        "year",
        TopicFilter,
        ("bylines__author", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["series", "last_edited_by"]
    search_fields = ["title", "summary", "bylines__author__name"]
    date_hierarchy = "published_at"
    prepopulated_fields = {"slug": ["title"]}
    autocomplete_fields = ["responds_to"]
    readonly_fields = ["status_badge", "last_edited_by"]
    inlines = [BylineInline]
    actions = ["publish_selected", "unpublish_selected"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    publisher_fields = ["published_at", "year", "number", "suffix"]
    fieldsets = [
        (None, {"fields": ["series", "title", "slug", "summary", "body"]}),
        (
            "Publishing",
            {
                "fields": [
                    ("status_badge", "last_edited_by"),
                    "published_at",
                    ("year", "number", "suffix"),
                ],
                "description": "Save keeps a draft a draft. “Publish” numbers the piece and "
                "shows it to readers at the publish time: now when it is empty, later when it "
                "lies in the future (scheduled).",
            },
        ),
        ("Related", {"fields": ["responds_to", "topics"]}),
        (
            "Files and provenance",
            {
                "fields": ["pdf", "original_publication", "original_url"],
                "classes": ["collapse"],
            },
        ),
    ]

    class Media:
        css = ADMIN_CSS
        js = ["admin/pacforum/commentary-form.js"]

    # Reading

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("bylines", queryset=Byline.objects.select_related("author")))
        )

    @admin.display(description="number", ordering="number")
    def series_number(self, commentary):
        if commentary.number is None:
            return format_html("{} <span class='unnumbered'>(no number)</span>", commentary.series)
        return f"{commentary.series.short_label} #{commentary.number}{commentary.suffix}"

    @admin.display(description="status", ordering="status")
    def status_badge(self, commentary):
        if commentary.pk is None:
            return "Draft (not saved yet)"
        key, label = commentary_status(commentary)
        return format_html('<span class="status status-{}">{}</span>', key, label)

    @admin.display(description="authors")
    def author_names(self, commentary):
        return ", ".join(byline.author.name for byline in commentary.bylines.all())

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "topics":
            return forms.ModelMultipleChoiceField(
                queryset=Topic.objects.all(),
                required=False,
                widget=AutocompleteSelectMultiple(db_field, self.admin_site),
                help_text="Start typing to find a topic.",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    # Permissions: contributors write drafts; publishing needs its own permission.

    def has_publish_permission(self, request, obj=None):
        return request.user.has_perm("commentaries.publish_commentary")

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None and obj.status != Commentary.Status.DRAFT:
            return self.has_publish_permission(request)
        return allowed

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if allowed and obj is not None and obj.status != Commentary.Status.DRAFT:
            return self.has_publish_permission(request)
        return allowed

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            fields += self.publisher_fields
        return fields

    # Saving

    def _intent(self, request):
        if request.method != "POST":
            return None
        if PUBLISH in request.POST:
            return PUBLISH
        if UNPUBLISH in request.POST:
            return UNPUBLISH
        return None

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        if self._intent(request) and not self.has_publish_permission(request):
            raise PermissionDenied("You may save drafts but not publish or unpublish.")
        context = {"has_publish_permission": self.has_publish_permission(request)}
        if object_id:
            context["preview_url"] = reverse("commentaries:preview", kwargs={"pk": object_id})
        return super().changeform_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.intent = self._intent(request)
        return form

    def save_model(self, request, obj, form, change):
        obj.last_edited_by = request.user
        if self._intent(request) == UNPUBLISH:
            # Status and form changes are saved together: a published piece
            # may lose its publish time only as it becomes a draft again.
            commentary_unpublish(commentary=obj, user=request.user)
            set_comment("Unpublished.")
            messages.success(request, f"“{obj}” is unpublished: readers no longer see it.")
            return
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        commentary = form.instance
        intent = self._intent(request)
        try:
            if intent == PUBLISH:
                commentary_publish(
                    commentary=commentary, user=request.user, at=commentary.published_at
                )
                when = timezone.localtime(commentary.published_at)
                set_comment(f"Published as {commentary.label} at {when:%Y-%m-%d %H:%M}.")
                if commentary.is_scheduled:
                    messages.success(
                        request,
                        f"“{commentary}” is scheduled: readers see it from {when:%Y-%m-%d %H:%M}.",
                    )
                else:
                    messages.success(request, f"“{commentary}” is published.")
        except ValidationError as error:
            # Another editor took the number between validation and saving.
            messages.error(
                request, "Saved as a draft, but not published: " + " ".join(error.messages)
            )

    def view_on_site(self, obj):
        # Drafts and scheduled pieces have no public address yet: Preview instead.
        return obj.get_absolute_url() if obj.is_live else None

    def get_actions(self, request):
        # One piece at a time, with its own warning: unpublishing is the usual way.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        logger.info("%s deleted %r (status %s)", request.user, str(obj), obj.status)
        super().delete_model(request, obj)

    # Bulk actions

    @admin.action(description="Publish selected pieces now", permissions=["publish"])
    def publish_selected(self, request, queryset):
        self._bulk(request, queryset.drafts(), commentary_publish, "published")

    @admin.action(description="Unpublish selected pieces", permissions=["publish"])
    def unpublish_selected(self, request, queryset):
        self._bulk(
            request,
            queryset.exclude(status=Commentary.Status.DRAFT),
            commentary_unpublish,
            "unpublished",
        )

    def _bulk(self, request, queryset, service, verb):
        done = []
        for commentary in queryset.select_related("series", "responds_to"):
            try:
                with create_revision():
                    set_user(request.user)
                    set_comment(f"{verb.capitalize()} from the list of commentaries.")
                    service(commentary=commentary, user=request.user)
            except ValidationError as error:
                messages.error(request, f"{commentary}: " + " ".join(error.messages))
            else:
                done.append(str(commentary))
        if done:
            messages.success(request, f"{len(done)} {verb}: " + "; ".join(done))
        else:
            messages.warning(request, f"Nothing was {verb}.")

    # History: compare two versions

    def get_urls(self):
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_view),
                name="commentaries_commentary_compare",
            ),
            *super().get_urls(),
        ]

    def compare_view(self, request, object_id):
        commentary = get_object_or_404(Commentary, pk=object_id)
        if not self.has_view_or_change_permission(request, commentary):
            raise PermissionDenied
        versions = Version.objects.get_for_object(commentary).select_related("revision__user")
        try:
            older = versions.get(pk=int(request.GET.get("from", "")))
            newer = versions.get(pk=int(request.GET.get("to", "")))
        except (ValueError, Version.DoesNotExist):
            messages.error(request, "Choose two versions to compare.")
            return self.history_view(request, object_id)
        if older.revision.date_created > newer.revision.date_created:
            older, newer = newer, older
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": commentary,
            "title": f"Compare versions of {commentary}",
            "older": older,
            "newer": newer,
            "rows": compare_versions(older, newer),
            "restore_url": reverse(
                "admin:commentaries_commentary_revision", args=[commentary.pk, older.pk]
            ),
        }
        return TemplateResponse(request, "admin/commentaries/commentary/compare.html", context)

    def history_view(self, request, object_id, extra_context=None):
        versions = (
            Version.objects.get_for_object_reference(Commentary, object_id)
            .select_related("revision__user")
            .order_by(*self.get_version_ordering(request))
        )
        context = {
            "compare_url": reverse("admin:commentaries_commentary_compare", args=[object_id]),
            "action_list": [
                {
                    "revision": version.revision,
                    "version_id": version.pk,
                    "url": reverse(
                        "admin:commentaries_commentary_revision", args=[object_id, version.pk]
                    ),
                }
                for version in versions
            ],
        }
        return super().history_view(request, object_id, {**context, **(extra_context or {})})

    def get_version_ordering(self, request):
        return ("-revision__date_created", "-pk")


@admin.register(Byline)
class BylineAdmin(admin.ModelAdmin):
    """Not in the menu: needed so reversion and the author merge can follow bylines."""

    def has_module_permission(self, request):
        return False
