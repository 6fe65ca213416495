from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from commentaries.models import Series

from . import services
from .admin_editions import DeliveryHistoryInline
from .export import subscribers_csv_response
from .models import SubscriptionRequest
from .privacy import subscriber_erase, subscriber_export

Status = SubscriptionRequest.Status


class ExportForm(forms.Form):
    series = forms.ModelMultipleChoiceField(
        queryset=Series.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Confirmed subscribers of any of these series are exported.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Every series ticked: submitted as shown, the form exports everyone.
        self.fields["series"].initial = list(Series.objects.values_list("pk", flat=True))


@admin.register(SubscriptionRequest)
class SubscriptionRequestAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "email",
        "organization",
        "status",
        "series_names",
        "created_at",
        "last_requested_at",
        "confirmed_at",
    ]
    list_filter = ["status", "series", "created_at", "confirmed_at", "unsubscribed_at"]
    search_fields = ["name", "email", "organization"]
    date_hierarchy = "created_at"
    fields = [
        "name",
        "email",
        "organization",
        "series",
        "status",
        "consent_text",
        "consent_version",
        "created_at",
        "last_requested_at",
        "confirmation_sent_at",
        "confirmed_at",
        "unsubscribed_at",
    ]
    readonly_fields = [
        "status",
        "consent_text",
        "consent_version",
        "created_at",
        "last_requested_at",
        "confirmation_sent_at",
        "confirmed_at",
        "unsubscribed_at",
    ]
    filter_horizontal = ["series"]
    inlines = [DeliveryHistoryInline]
    actions = [
        "resend_confirmation",
        "mark_unsubscribed",
        "export_confirmed",
        "export_everything_held",
        "erase",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("series")

    def has_add_permission(self, request):
        # Addresses only come in through the double opt-in form.
        return False

    @admin.display(description="series")
    def series_names(self, obj):
        return ", ".join(series.name for series in obj.series.all())

    @admin.action(description="Resend the confirmation email", permissions=["change"])
    def resend_confirmation(self, request, queryset):
        site_url = request.build_absolute_uri("/")
        sent = sum(
            services.subscription_resend_confirmation(subscription=item, site_url=site_url)
            for item in queryset
        )
        skipped = queryset.count() - sent
        self.message_user(request, f"Confirmation emails queued: {sent}.", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                f"{skipped} not pending (already confirmed or unsubscribed): nothing sent.",
                messages.WARNING,
            )

    @admin.action(description="Mark as unsubscribed", permissions=["change"])
    def mark_unsubscribed(self, request, queryset):
        for item in queryset:
            services.subscription_unsubscribe(subscription=item)
        self.message_user(request, f"Unsubscribed: {queryset.count()}.", messages.SUCCESS)

    @admin.action(description="Export the confirmed among the selected as CSV")
    def export_confirmed(self, request, queryset):
        return subscribers_csv_response(
            queryset.confirmed().prefetch_related("series").iterator(chunk_size=500)
        )

    @admin.action(
        description="Download everything held about the selected address (JSON)",
        permissions=["view"],
    )
    def export_everything_held(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one address.", messages.ERROR)
            return None
        subscription = queryset.get()
        response = JsonResponse(
            subscriber_export(subscription=subscription), json_dumps_params={"indent": 2}
        )
        response["Content-Disposition"] = (
            f'attachment; filename="subscriber-{subscription.pk}.json"'
        )
        return response

    @admin.action(
        description="Erase the selected addresses (keeps only anonymous delivery counts)",
        permissions=["delete"],
    )
    def erase(self, request, queryset):
        count = 0
        for subscription in queryset:
            subscriber_erase(subscription=subscription)
            count += 1
        self.message_user(request, f"Erased {count} address(es).", messages.SUCCESS)

    def delete_model(self, request, obj):
        subscriber_erase(subscription=obj)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            subscriber_erase(subscription=subscription)

    def get_urls(self):
        return [
            path(
                "export/",
                self.admin_site.admin_view(self.export_view),
                name="subscriptions_subscriptionrequest_export",
            ),
            *super().get_urls(),
        ]

    def export_view(self, request):
        """Confirmed subscribers of the chosen series, as a streamed CSV."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = ExportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            subscribers = (
                SubscriptionRequest.objects.confirmed()
                .filter(series__in=form.cleaned_data["series"])
                .distinct()
                .order_by("email")
                .prefetch_related("series")
            )
            slugs = "-".join(s.slug for s in form.cleaned_data["series"])[:80]
            return subscribers_csv_response(
                subscribers.iterator(chunk_size=500), label=f"subscribers-{slugs}"
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Export confirmed subscribers",
            "form": form,
        }
        return TemplateResponse(
            request, "admin/subscriptions/subscriptionrequest/export.html", context
        )

    def changelist_view(self, request, extra_context=None):
        by_status = {
            status: Count("subscription_requests", filter=Q(subscription_requests__status=status))
            for status in Status.values
        }
        series_counts = Series.objects.annotate(**by_status).order_by("position", "name")
        totals = dict(
            SubscriptionRequest.objects.values_list("status").annotate(n=Count("pk")).order_by()
        )
        extra_context = {
            **(extra_context or {}),
            "series_counts": [
                {"series": s, "counts": [getattr(s, status) for status in Status.values]}
                for s in series_counts
            ],
            "status_labels": Status.labels,
            "status_totals": [totals.get(status, 0) for status in Status.values],
            "export_url": reverse("admin:subscriptions_subscriptionrequest_export"),
        }
        return super().changelist_view(request, extra_context=extra_context)


from . import admin_editions  # noqa: E402, F401  (registers the edition admin)
