"""The staff side of editions: live counts, test send, send, cancel, resend,
and each subscriber's delivery history. Only staff with the edition
permissions (the Editors group, `setup_roles`) see any of it."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from pacforum.object_tools import Tool

from . import sending
from .models import Delivery, Edition, SeriesNewsletter

State = Delivery.State
COUNTED = {
    "queued": [State.QUEUED, State.DEFERRED, State.SENDING],
    "sent": [State.SENT],
    "unknown": [State.UNKNOWN],
    "failed": [State.FAILED],
    "bounced": [State.BOUNCED, State.COMPLAINED],
    "skipped": [State.SKIPPED, State.CANCELLED],
}


def with_counts(queryset):
    return queryset.annotate(
        total=Count("deliveries"),
        **{
            f"n_{name}": Count("deliveries", filter=Q(deliveries__state__in=states))
            for name, states in COUNTED.items()
        },
    )


def back_url(edition, request) -> str:
    """Where an edition's action returns: the piece's change form when it was
    started there (?back=piece), else the edition's page."""
    if request.GET.get("back") == "piece":
        return reverse("admin:commentaries_commentary_change", args=[edition.commentary_id])
    return reverse("admin:subscriptions_edition_change", args=[edition.pk])


def audience_label(count: int, series) -> str:
    """The edition's audience in words: "1,234 PacNet subscribers"."""
    return f"{count:,} {series.name} subscriber{'' if count == 1 else 's'}"


def piece_tools(request, commentary) -> list[Tool]:
    """The send-on-demand buttons on a live piece's change form, for editors,
    when its series sends on demand: a test to the editor's own address
    first; after it, "Send to 1,234 PacNet subscribers", which asks for
    confirmation. Registered with pacforum.object_tools in SubscriptionsConfig."""
    if not request.user.has_perm("subscriptions.change_edition") or not commentary.is_live:
        return []
    series = commentary.series
    if not series.subscribable or sending.send_mode(series) != SeriesNewsletter.Mode.ON_DEMAND:
        return []
    edition = Edition.objects.filter(commentary=commentary).first()
    if edition is None:
        return []  # prepared by the go-live tick, within a minute of going live
    if edition.status != Edition.Status.WAITING:
        url = reverse("admin:subscriptions_edition_change", args=[edition.pk])
        return [Tool(f"Edition: {edition.get_status_display().lower()}", url)]
    address = request.user.email or "no address"
    tools = [
        Tool(
            f"Send a test to me ({address})",
            reverse("admin:subscriptions_edition_test_send", args=[edition.pk]) + "?back=piece",
            method="post",
        )
    ]
    if edition.test_sent_at is not None:
        count = sending.audience(edition)
        tools.append(
            Tool(
                f"Send to {audience_label(count, series)}",
                reverse("admin:subscriptions_edition_send", args=[edition.pk]) + "?back=piece",
            )
        )
    return tools


@admin.register(SeriesNewsletter)
class SeriesNewsletterAdmin(admin.ModelAdmin):
    list_display = ["series", "mode"]
    list_editable = ["mode"]


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = [
        "subject",
        "series",
        "status",
        "created_at",
        "queued",
        "sent",
        "unknown",
        "failed",
        "bounced",
        "progress",
    ]
    list_filter = ["status", "series"]
    search_fields = ["subject"]
    date_hierarchy = "created_at"
    fields = [
        "subject",
        "commentary",
        "series",
        "status",
        "created_at",
        "test_sent_at",
        "send_requested_at",
        "send_requested_by",
        "prepared_at",
        "finished_at",
        "cancelled_at",
    ]
    readonly_fields = fields
    change_form_template = "admin/subscriptions/edition/change_form.html"

    def get_queryset(self, request):
        return with_counts(super().get_queryset(request).select_related("series"))

    def has_add_permission(self, request):
        return False  # editions are made when a piece goes live

    def has_delete_permission(self, request, obj=None):
        return False  # their counts are the record of what was sent

    @admin.display(description="queued", ordering="n_queued")
    def queued(self, obj):
        return obj.n_queued

    @admin.display(description="sent", ordering="n_sent")
    def sent(self, obj):
        return obj.n_sent

    @admin.display(description="unknown", ordering="n_unknown")
    def unknown(self, obj):
        return obj.n_unknown

    @admin.display(description="failed", ordering="n_failed")
    def failed(self, obj):
        return obj.n_failed

    @admin.display(description="bounced", ordering="n_bounced")
    def bounced(self, obj):
        return obj.n_bounced

    @admin.display(description="progress")
    def progress(self, obj):
        if not obj.total:
            return "–"
        done = obj.total - obj.n_queued
        return format_html(
            '<progress max="{}" value="{}">{}%</progress> {}%',
            obj.total,
            done,
            done * 100 // obj.total,
            done * 100 // obj.total,
        )

    def get_urls(self):
        def view(name, function):
            return path(
                f"<int:pk>/{name}/",
                self.admin_site.admin_view(function),
                name=f"subscriptions_edition_{name.replace('-', '_')}",
            )

        return [
            view("test-send", self.test_send_view),
            view("send", self.send_view),
            view("cancel", self.cancel_view),
            view("resend", self.resend_view),
            *super().get_urls(),
        ]

    def _edition_for_action(self, request, pk, *, allow_get=False):
        if request.method != "POST" and not allow_get:
            raise PermissionDenied
        edition = get_object_or_404(Edition, pk=pk)
        if not self.has_change_permission(request, edition):
            raise PermissionDenied
        return edition

    def _back(self, edition, request):
        return redirect(back_url(edition, request))

    def test_send_view(self, request, pk):
        edition = self._edition_for_action(request, pk)
        if sending.edition_test_send(edition=edition, user=request.user):
            self.message_user(
                request, f"A test is on its way to {request.user.email}.", messages.SUCCESS
            )
        else:
            self.message_user(
                request, "Your account has no email address: add one first.", messages.ERROR
            )
        return self._back(edition, request)

    def send_view(self, request, pk):
        """GET: the confirmation page; POST: start sending (twice changes nothing)."""
        edition = self._edition_for_action(request, pk, allow_get=True)
        if not sending.piece_is_live(edition):
            self.message_user(
                request,
                "The piece is not live (withdrawn, or back to draft): this edition cannot be sent.",
                messages.ERROR,
            )
            return self._back(edition, request)
        if edition.test_sent_at is None:
            self.message_user(request, "Send yourself a test first.", messages.WARNING)
            return self._back(edition, request)
        count = sending.audience(edition)
        if request.method == "POST":
            if sending.edition_start(edition=edition, user=request.user):
                self.message_user(
                    request, f"Sending to {count:,} subscribers has started.", messages.SUCCESS
                )
            else:
                self.message_user(request, "This edition was already sent.", messages.WARNING)
            return self._back(edition, request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Send this edition?",
            "edition": edition,
            "count": count,
            "audience_label": audience_label(count, edition.series),
            "back_url": back_url(edition, request),
        }
        return TemplateResponse(request, "admin/subscriptions/edition/send_confirm.html", context)

    def cancel_view(self, request, pk):
        edition = self._edition_for_action(request, pk)
        cancelled = sending.edition_cancel(edition=edition)
        self.message_user(
            request, f"Cancelled; {cancelled:,} deliveries will not be sent.", messages.SUCCESS
        )
        return self._back(edition, request)

    def resend_view(self, request, pk):
        edition = self._edition_for_action(request, pk)
        if not sending.piece_is_live(edition):
            self.message_user(
                request,
                "The piece is not live (withdrawn, or back to draft): nothing is resent.",
                messages.ERROR,
            )
            return self._back(edition, request)
        requeued = sending.edition_resend(edition=edition)
        self.message_user(
            request,
            f"{requeued:,} failed or unknown deliveries queued again. Subscribers whose "
            "delivery was unknown may receive this edition twice.",
            messages.SUCCESS if requeued else messages.WARNING,
        )
        return self._back(edition, request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        edition = get_object_or_404(self.get_queryset(request), pk=object_id)
        extra_context = {
            **(extra_context or {}),
            "edition": edition,
            "counts": {name: getattr(edition, f"n_{name}") for name in COUNTED},
            "total": edition.total,
            "audience_label": audience_label(sending.audience(edition), edition.series)
            if edition.status == "waiting"
            else None,
            "can_act": self.has_change_permission(request, edition),
            "deliveries_url": reverse("admin:subscriptions_delivery_changelist")
            + f"?edition__id__exact={edition.pk}",
        }
        return super().change_view(request, object_id, form_url, extra_context)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["pk", "edition", "subscriber", "state", "attempts", "updated_at", "last_error"]
    list_filter = ["state", "edition"]
    search_fields = ["subscription__email"]
    list_select_related = ["edition", "subscription"]
    fields = [
        "edition",
        "subscription",
        "state",
        "attempts",
        "last_error",
        "next_attempt_at",
        "created_at",
        "updated_at",
        "sent_at",
    ]
    readonly_fields = fields

    @admin.display(description="subscriber")
    def subscriber(self, obj):
        return obj.subscription.email if obj.subscription else "(erased)"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class DeliveryHistoryInline(admin.TabularInline):
    """A subscriber's delivery history, newest first."""

    model = Delivery
    fields = ["edition", "state", "attempts", "sent_at", "updated_at", "last_error"]
    readonly_fields = fields
    ordering = ["-created_at"]
    extra = 0
    max_num = 0
    can_delete = False
    verbose_name_plural = "delivery history"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("edition")

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("subscriptions.view_delivery")
