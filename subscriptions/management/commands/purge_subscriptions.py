import re
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from subscriptions.services import subscription_purge_unconfirmed

UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_age(value):
    """'30d', '12h', '2w', '90m' -> timedelta."""
    match = re.fullmatch(r"\s*(\d{1,5})\s*([mhdw])\s*", value)
    if not match:
        raise CommandError(f"--older-than must look like 30d, 12h, 2w or 90m (got {value!r}).")
    return timedelta(**{UNITS[match.group(2)]: int(match.group(1))})


class Command(BaseCommand):
    help = (
        "Delete subscription requests that stayed pending (never confirmed) and were not "
        "renewed for longer than --older-than."
    )

    def add_arguments(self, parser):
        parser.add_argument("--older-than", default="30d", help="Age, e.g. 30d (default), 12h, 2w.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only report how many would be deleted."
        )

    def handle(self, *args, older_than, dry_run, **options):
        age = parse_age(older_than)
        count = subscription_purge_unconfirmed(older_than=age, dry_run=dry_run)
        if dry_run:
            self.stdout.write(
                f"Dry run: {count} unconfirmed request(s) older than {older_than} would be deleted."
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Deleted {count} unconfirmed request(s) older than {older_than}."
                )
            )
