from django.contrib import admin

from .models import SubscriptionRequest


@admin.register(SubscriptionRequest)
class SubscriptionRequestAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "organization", "status", "created_at", "confirmed_at"]
    list_filter = ["status", "series"]
    search_fields = ["name", "email", "organization"]
    readonly_fields = [
        "consent_text",
        "consent_version",
        "created_at",
        "confirmed_at",
        "unsubscribed_at",
    ]
