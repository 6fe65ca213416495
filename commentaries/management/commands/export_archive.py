import sys

from django.core.management.base import BaseCommand

from commentaries.archive import write_archive


class Command(BaseCommand):
    help = (
        "Write all content (series, commentaries with bylines, authors, organizations, "
        "affiliations, topics) to PATH as JSON Lines; see docs/archive-format.md. "
        "Use - for standard output."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="File to write, or - for standard output.")
        parser.add_argument(
            "--with-subscriptions",
            action="store_true",
            help="Also export subscription requests (names and email addresses: personal data).",
        )

    def handle(self, *args, path, with_subscriptions, **options):
        if path == "-":
            counts = write_archive(sys.stdout, include_subscriptions=with_subscriptions)
            return
        with open(path, "w", encoding="utf-8") as stream:
            counts = write_archive(stream, include_subscriptions=with_subscriptions)
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Exported {summary or 'nothing'} to {path}."))
