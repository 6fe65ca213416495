import logging

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from reversion import create_revision, set_comment, set_user
from reversion.admin import VersionAdmin
from reversion.models import Version
from taggit.models import Tag

from pacforum import object_tools
from pacforum.editing.mixins import EditingAdminMixin

from . import batching, numbering, readiness, rules
from .admin_forms import (
    PUBLISH,
    REINSTATE,
    RETURN,
    SUBMIT,
    UNPUBLISH,
    BylineFormSet,
    CommentaryAdminForm,
    CorrectionForm,
    RequestChangesForm,
    SeriesAdminForm,
    WithdrawForm,
    intent_of,
)
from .admin_history import compare_restore, compare_versions
from .admin_pickers import RespondsToPickerMixin
from .admin_signoff import SignoffAdminMixin
from .models import Byline, Commentary, Series, Topic
from .review import person
from .rules import Action
from .services import (
    commentary_add_correction,
    commentary_publish,
    commentary_reinstate,
    commentary_request_changes,
    commentary_restore,
    commentary_return_to_draft,
    commentary_save,
    commentary_submit,
    commentary_topics_changed,
    commentary_unschedule,
    commentary_withdraw,
    topics_delete,
)

logger = logging.getLogger(__name__)

ADMIN_CSS = {"all": ["admin/pacforum/admin.css"]}
# Review steps shown on a piece's form, newest first.
REVIEW_STEPS_SHOWN = 5


@admin.register(Series)
class SeriesAdmin(VersionAdmin):
    form = SeriesAdminForm
    list_display = ["name", "short_label", "numbering", "subscribable", "position"]
    list_editable = ["position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "short_label", "description", "disclaimer"]}),
        (
            "Numbering, subscriptions and feeds",
            {"fields": ["numbering", "subscribable", "feed_full_text", "position"]},
        ),
        ("Image for sharing", {"fields": ["image", "image_alt"]}),
    ]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "featured"]
    list_filter = ["featured"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]

    def delete_model(self, request, obj):
        topics_delete(topics=[obj])

    def delete_queryset(self, request, queryset):
        topics_delete(topics=list(queryset))


class BylineInline(admin.TabularInline):
    """Bylines are edited inside their piece only, under the piece's rules
    (there is no standalone byline admin). Reversion follows them through the
    piece's registration, so byline changes are in the piece's history."""

    model = Byline
    formset = BylineFormSet
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

    def _may_write(self, request, obj):
        if obj is None or obj.pk is None:
            return rules.allows(request.user, Action.CREATE)
        return rules.allows(request.user, Action.EDIT, obj)

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._may_write(request, obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._may_write(request, obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._may_write(request, obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.intent = intent_of(request)
        formset.stored = obj
        return formset


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [(state.value, state.label) for state in rules.State]

    def queryset(self, request, queryset):
        return {
            rules.State.DRAFT: queryset.drafts,
            rules.State.IN_REVIEW: queryset.in_review,
            rules.State.SCHEDULED: queryset.scheduled,
            rules.State.PUBLISHED: queryset.published,
            rules.State.WITHDRAWN: queryset.withdrawn,
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
    state = rules.state_of(commentary)
    return state.value, state.label


@admin.register(Commentary)
class CommentaryAdmin(EditingAdminMixin, SignoffAdminMixin, RespondsToPickerMixin, VersionAdmin):
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
    readonly_fields = [
        "status_badge",
        "last_edited_by",
        "review_notes",
        "checklist",
        "correction_list",
    ]
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
                    "review_notes",
                    "checklist",
                    "correction_list",
                    "published_at",
                    ("year", "number", "suffix"),
                ],
                "description": "Save keeps a draft a draft. “Publish” numbers the piece and "
                "shows it to readers at the publish time: now when it is empty, later when it "
                "lies in the future (scheduled).",
            },
        ),
        ("Related", {"fields": ["responds_to", "topics"]}),
        ("Image", {"fields": ["image", "image_alt"]}),
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
        if numbering.is_provisional(commentary):
            return format_html(
                "{} <span class='provisional'>(provisional)</span>", commentary.label
            )
        return commentary.label

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

    # Permissions: every decision is the rules module's, against the piece as
    # stored (a change view loads it from the database).

    def has_publish_permission(self, request, obj=None):
        return rules.role_of(request.user) == rules.Role.EDITOR

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        if allowed and obj is not None:
            return rules.allows(request.user, Action.EDIT, obj)
        return allowed

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        if allowed and obj is not None:
            return rules.allows(request.user, Action.DELETE, obj)
        return allowed

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and obj.review_steps.exists():
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "review_notes"]})
            for name, options in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not self.has_publish_permission(request):
            fields += self.publisher_fields
        elif obj is not None and rules.state_of(obj) in (
            rules.State.PUBLISHED,
            rules.State.WITHDRAWN,
        ):
            # Fixed once readers have seen the piece (the database agrees).
            fields += ["series", *self.publisher_fields]
        return fields

    @admin.display(description="checks before publishing")
    def checklist(self, commentary):
        if commentary.pk is None:
            return "Shown once the piece is saved."
        return format_html(
            "<ul class='checklist'>{}</ul>",
            format_html_join(
                "",
                "<li class='{}'>{} {}{}</li>",
                (
                    (
                        "check-ok" if check.ok else "check-missing",
                        "✓" if check.ok else "✗",
                        check.label,
                        "" if check.ok else f": {check.detail}",
                    )
                    for check in readiness.checklist(commentary)
                ),
            ),
        )

    @admin.display(description="review")
    def review_notes(self, commentary):
        """The piece's review steps, newest first: the editor's note when
        changes were requested, so the author reads it where they edit."""
        steps = commentary.review_steps.select_related("user")[:REVIEW_STEPS_SHOWN]
        return format_html(
            "<ol class='review-steps'>{}</ol>",
            format_html_join(
                "",
                "<li class='review-{}'><span class='review-when'>{} · {} by {}</span>{}</li>",
                (
                    (
                        step.kind,
                        f"{timezone.localtime(step.created_at):%Y-%m-%d %H:%M}",
                        step.get_kind_display(),
                        person(step.user),
                        format_html("<blockquote>{}</blockquote>", step.note) if step.note else "",
                    )
                    for step in steps
                ),
            ),
        )

    @admin.display(description="corrections")
    def correction_list(self, commentary):
        notes = commentary.correction_notes if commentary.pk else []
        if not notes:
            return "None."
        return format_html(
            "<ul class='corrections'>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {}</li>",
                ((f"{timezone.localtime(n['noted_at']):%Y-%m-%d}", n["text"]) for n in notes),
            ),
        )

    # Saving

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        intent = intent_of(request)
        obj = self.get_object(request, object_id) if object_id else None
        if intent:
            action = {
                PUBLISH: Action.PUBLISH,
                UNPUBLISH: Action.UNSCHEDULE,
                SUBMIT: Action.SUBMIT,
                RETURN: Action.RETURN,
                REINSTATE: Action.REINSTATE,
            }[intent]
            reason = rules.refusal(request.user, action, obj) if obj else None
            if obj is None and action not in (Action.PUBLISH, Action.SUBMIT):
                reason = "Save the piece first."
            if (
                obj is None
                and action == Action.PUBLISH
                and not self.has_publish_permission(request)
            ):
                reason = "Only editors may publish or schedule a piece."
            if reason:
                raise PermissionDenied(reason)
        context = {
            "has_publish_permission": self.has_publish_permission(request),
            "state": rules.state_of(obj).value if obj else rules.State.DRAFT.value,
            "may_submit": obj is None or rules.allows(request.user, Action.SUBMIT, obj),
            "may_return": obj is not None and rules.allows(request.user, Action.RETURN, obj),
            "may_request_changes": obj is not None
            and rules.allows(request.user, Action.REQUEST_CHANGES, obj),
            "may_withdraw": obj is not None and rules.allows(request.user, Action.WITHDRAW, obj),
            "may_correct": obj is not None and rules.allows(request.user, Action.CORRECT, obj),
            "may_reinstate": obj is not None and rules.allows(request.user, Action.REINSTATE, obj),
        }
        if object_id:
            context["preview_url"] = reverse("commentaries:preview", kwargs={"pk": object_id})
            context["withdraw_url"] = reverse(
                "admin:commentaries_commentary_withdraw", args=[object_id]
            )
            context["correct_url"] = reverse(
                "admin:commentaries_commentary_correct", args=[object_id]
            )
            context["request_changes_url"] = reverse(
                "admin:commentaries_commentary_request_changes", args=[object_id]
            )
        if obj is not None:
            # Links and buttons the apps above add (sending a piece to subscribers).
            context["app_object_tools"] = object_tools.tools_for(request, obj)
        return super().changeform_view(
            request, object_id, form_url, {**context, **(extra_context or {})}
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.intent = intent_of(request)
        return form

    def save_model(self, request, obj, form, change):
        commentary_save(commentary=obj, user=request.user)

    def save_related(self, request, form, formsets, change):
        commentary = form.instance
        topics_before = set(commentary.topics.values_list("pk", flat=True)) if change else set()
        with batching.batched():  # the credits and menus once, not per byline and topic
            super().save_related(request, form, formsets, change)
        if set(commentary.topics.values_list("pk", flat=True)) != topics_before:
            commentary_topics_changed(commentary=commentary, before=topics_before)
        intent = intent_of(request)
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
                        f"“{commentary}” is scheduled: readers see it from "
                        f"{when:%Y-%m-%d %H:%M}. Its number is provisional until then.",
                    )
                else:
                    messages.success(request, f"“{commentary}” is published.")
            elif intent == UNPUBLISH:
                commentary_unschedule(commentary=commentary, user=request.user)
                set_comment("Schedule cancelled: back to draft.")
                messages.success(request, f"“{commentary}” is a draft again.")
            elif intent == SUBMIT:
                commentary_submit(commentary=commentary, user=request.user)
                set_comment("Submitted for review.")
                messages.success(
                    request,
                    f"“{commentary}” is submitted for review: the editors are told by email.",
                )
            elif intent == RETURN:
                commentary_return_to_draft(commentary=commentary, user=request.user)
                set_comment("Returned to draft.")
                messages.success(request, f"“{commentary}” is a draft again.")
            elif intent == REINSTATE:
                commentary_reinstate(commentary=commentary, user=request.user)
                set_comment("Reinstated.")
                messages.success(request, f"“{commentary}” is published again.")
        except ValidationError as error:
            # Another editor took the number between validation and saving.
            messages.error(request, "Saved, but not published: " + " ".join(error.messages))
        for warning in numbering.order_warnings(commentary=commentary):
            messages.warning(request, warning)

    def view_on_site(self, obj):
        # Drafts and scheduled pieces have no public address yet: Preview instead.
        return obj.get_absolute_url() if obj.is_live else None

    def get_actions(self, request):
        # One piece at a time, with its own warning: withdrawing is the usual way.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_model(self, request, obj):
        logger.info("%s deleted %r (status %s)", request.user, str(obj), obj.status)
        super().delete_model(request, obj)

    # Bulk actions

    @admin.action(description="Publish selected pieces now…", permissions=["publish"])
    def publish_selected(self, request, queryset):
        """Asks first, listing the number each piece will take; publishes on
        confirmation."""
        pieces = list(
            queryset.filter(status__in=Commentary.UNPUBLISHED_STATUSES)
            .select_related("series", "responds_to")
            .order_by("pk")
        )
        if not pieces:
            messages.warning(request, "Nothing to publish: select drafts or pieces in review.")
            return None
        if request.POST.get("confirm") == "yes":
            self._bulk(request, pieces, commentary_publish, "published")
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": "Publish these pieces now?",
            "opts": self.model._meta,
            "plan": self._publish_plan(request, pieces),
            "selected": [p.pk for p in pieces],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "admin/commentaries/commentary/publish_confirmation.html", context
        )

    def _publish_plan(self, request, pieces):
        """The label each piece would take, found by publishing them for real
        in a transaction that is then rolled back: the same code path, so
        the confirmation cannot disagree with the result."""
        plan = []

        class Rollback(Exception):
            pass

        try:
            with transaction.atomic():
                for piece in pieces:
                    try:
                        with transaction.atomic():
                            done = commentary_publish(commentary=piece, user=request.user)
                        plan.append({"piece": piece, "label": done.label, "problems": []})
                    except ValidationError as error:
                        plan.append({"piece": piece, "label": None, "problems": error.messages})
                raise Rollback
        except Rollback:
            pass
        for row in plan:
            row["piece"].refresh_from_db()
        return plan

    @admin.action(description="Cancel the schedule of selected pieces", permissions=["publish"])
    def unpublish_selected(self, request, queryset):
        self._bulk(request, list(queryset.scheduled()), commentary_unschedule, "taken back")

    def _bulk(self, request, pieces, service, verb):
        done = []
        for commentary in pieces:
            try:
                with create_revision():
                    set_user(request.user)
                    set_comment(f"{verb.capitalize()} from the list of commentaries.")
                    service(commentary=commentary, user=request.user)
            except (ValidationError, PermissionDenied) as error:
                text = " ".join(getattr(error, "messages", [str(error)]))
                messages.error(request, f"{commentary}: {text}")
            else:
                done.append(str(commentary))
        if done:
            messages.success(request, f"{len(done)} {verb}: " + "; ".join(done))
        else:
            messages.warning(request, f"Nothing was {verb}.")

    # Withdrawal

    def withdraw_view(self, request, object_id):
        commentary = get_object_or_404(Commentary.objects.select_related("series"), pk=object_id)
        reason = rules.refusal(request.user, Action.WITHDRAW, commentary)
        if reason:
            raise PermissionDenied(reason)
        form = WithdrawForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            with create_revision():
                set_user(request.user)
                set_comment("Withdrawn: " + form.cleaned_data["note"])
                commentary_withdraw(
                    commentary=commentary, note=form.cleaned_data["note"], user=request.user
                )
            messages.success(
                request, f"“{commentary}” is withdrawn: its address shows the editors’ note."
            )
            return HttpResponseRedirect(
                reverse("admin:commentaries_commentary_change", args=[commentary.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": commentary,
            "title": f"Withdraw {commentary}",
            "form": form,
        }
        return TemplateResponse(request, "admin/commentaries/commentary/withdraw.html", context)

    def correct_view(self, request, object_id):
        commentary = get_object_or_404(Commentary.objects.select_related("series"), pk=object_id)
        reason = rules.refusal(request.user, Action.CORRECT, commentary)
        if reason:
            raise PermissionDenied(reason)
        form = CorrectionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            with create_revision():
                set_user(request.user)
                set_comment("Correction: " + form.cleaned_data["text"])
                commentary_add_correction(
                    commentary=commentary, text=form.cleaned_data["text"], user=request.user
                )
            messages.success(request, f"The correction is shown at the end of “{commentary}”.")
            return HttpResponseRedirect(
                reverse("admin:commentaries_commentary_change", args=[commentary.pk])
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": commentary,
            "title": f"Add a correction to {commentary}",
            "form": form,
        }
        return TemplateResponse(request, "admin/commentaries/commentary/correct.html", context)

    def request_changes_view(self, request, object_id):
        """An editor sends a piece in review back to its author with a note."""
        commentary = get_object_or_404(Commentary.objects.select_related("series"), pk=object_id)
        reason = rules.refusal(request.user, Action.REQUEST_CHANGES, commentary)
        if reason:
            raise PermissionDenied(reason)
        form = RequestChangesForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            with create_revision():
                set_user(request.user)
                set_comment("Changes requested: " + form.cleaned_data["note"])
                commentary_request_changes(
                    commentary=commentary, note=form.cleaned_data["note"], user=request.user
                )
            messages.success(
                request,
                f"“{commentary}” is a draft again; its author is emailed your note.",
            )
            return HttpResponseRedirect(reverse("admin:index"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": commentary,
            "title": f"Request changes to {commentary}",
            "form": form,
        }
        return TemplateResponse(
            request, "admin/commentaries/commentary/request_changes.html", context
        )

    # History: restore brings back content only, after showing what changes

    def revision_view(self, request, object_id, version_id, extra_context=None):
        commentary = get_object_or_404(Commentary.objects.select_related("series"), pk=object_id)
        version = get_object_or_404(
            Version.objects.get_for_object(commentary).select_related("revision__user"),
            pk=version_id,
        )
        reason = rules.refusal(request.user, Action.RESTORE, commentary)
        if reason:
            raise PermissionDenied(reason)
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            when = timezone.localtime(version.revision.date_created)
            try:
                with create_revision():
                    set_user(request.user)
                    set_comment(f"Restored the content of the version of {when:%Y-%m-%d %H:%M}.")
                    commentary_restore(commentary=commentary, version=version, user=request.user)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request,
                    f"Restored the content of {when:%Y-%m-%d %H:%M}. "
                    "Status, number and publish time are unchanged.",
                )
                return HttpResponseRedirect(
                    reverse("admin:commentaries_commentary_change", args=[commentary.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": commentary,
            "title": f"Restore an older version of {commentary}",
            "version": version,
            "rows": compare_restore(commentary, version),
            "state": rules.state_of(commentary),
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/commentaries/commentary/restore.html", context)

    def recover_view(self, request, version_id, extra_context=None):
        # Bringing back a deleted piece brings back its record: editors only.
        if not self.has_publish_permission(request):
            raise PermissionDenied("Only editors may recover deleted pieces.")
        return super().recover_view(request, version_id, extra_context)

    # History: compare two versions

    def get_urls(self):
        return [
            path(
                "<path:object_id>/history/compare/",
                self.admin_site.admin_view(self.compare_view),
                name="commentaries_commentary_compare",
            ),
            path(
                "<path:object_id>/correct/",
                self.admin_site.admin_view(self.correct_view),
                name="commentaries_commentary_correct",
            ),
            path(
                "<path:object_id>/request-changes/",
                self.admin_site.admin_view(self.request_changes_view),
                name="commentaries_commentary_request_changes",
            ),
            path(
                "<path:object_id>/withdraw/",
                self.admin_site.admin_view(self.withdraw_view),
                name="commentaries_commentary_withdraw",
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


# Topics are commentaries.Topic; taggit's own Tag table is unused, and its
# admin's “merge tags” page checks no permission at all.
admin.site.unregister(Tag)
