"""A few confirmed demo subscribers, so that publishing under `make run` sends
an edition you can watch in the console. Safe to run again."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from commentaries.models import Series
from subscriptions.models import SubscriptionRequest

DEMO_READERS = [
    ("Ana Demo", "ana.demo@example.org", "Lanai Institute for Maritime Affairs"),
    ("Ben Demo", "ben.demo@example.org", ""),
    ("Chi Demo", "chi.demo@example.org", "Northern Straits University"),
]


class Command(BaseCommand):
    help = "Add three confirmed demo subscribers to every subscribable series (idempotent)."

    def handle(self, **options):
        series = list(Series.objects.filter(subscribable=True))
        now = timezone.now()
        for name, email, organization in DEMO_READERS:
            subscription, created = SubscriptionRequest.objects.get_or_create(
                email=email,
                defaults={
                    "name": name,
                    "organization": organization,
                    "status": SubscriptionRequest.Status.CONFIRMED,
                    "confirmed_at": now,
                    "source": "demo",
                    "consent_text": "Demo subscriber.",
                    "consent_version": "demo",
                },
            )
            if created:
                subscription.series.set(series)
        self.stdout.write(f"{len(DEMO_READERS)} demo subscribers on {len(series)} series.")
