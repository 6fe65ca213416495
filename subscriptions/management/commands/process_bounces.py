from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from subscriptions.bounces import process_maildir


class Command(BaseCommand):
    help = (
        "Read bounce reports (RFC 3464) and spam complaints (ARF) from a Maildir and "
        "attribute each to its delivery through the VERP address. Run it from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "maildir",
            nargs="?",
            default=getattr(settings, "NEWSLETTER_BOUNCE_MAILDIR", ""),
            help="The Maildir that receives bounces+…@ mail (default: NEWSLETTER_BOUNCE_MAILDIR).",
        )
        parser.add_argument(
            "--keep", action="store_true", help="Leave the messages unread (for a trial run)."
        )

    def handle(self, maildir, keep, **options):
        if not maildir:
            raise CommandError("Give the Maildir path (or set NEWSLETTER_BOUNCE_MAILDIR).")
        try:
            counts = process_maildir(maildir, keep=keep)
        except FileNotFoundError as error:
            raise CommandError(f"No Maildir at {maildir}") from error
        self.stdout.write(", ".join(f"{name}: {count}" for name, count in counts.items()))
