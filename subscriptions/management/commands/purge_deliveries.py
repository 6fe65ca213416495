from django.conf import settings
from django.core.management.base import BaseCommand

from subscriptions.privacy import deliveries_purge


class Command(BaseCommand):
    help = (
        "Delete delivery records older than NEWSLETTER_RETENTION_DAYS (about 13 months by "
        "default). Run it daily from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count, delete nothing.")

    def handle(self, dry_run, **options):
        count = deliveries_purge(dry_run=dry_run)
        verb = "Would delete" if dry_run else "Deleted"
        days = settings.NEWSLETTER_RETENTION.days
        self.stdout.write(f"{verb} {count} delivery records older than {days} days.")
