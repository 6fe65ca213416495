from django.core.management.base import BaseCommand, CommandError

from archive.exchange import write_archive


class Command(BaseCommand):
    help = (
        "Write all content (series, commentaries with bylines, authors, organizations, "
        "affiliations, topics) to PATH as JSON Lines; see docs/archive-format.md."
    )

    def add_arguments(self, parser):
        # No "-" for standard output: the JSON logs go there too.
        parser.add_argument("path", help="File to write (replaced if it exists).")
        parser.add_argument(
            "--with-subscriptions",
            action="store_true",
            help="Also export subscription requests (names and email addresses: personal data).",
        )

    def handle(self, *args, path, with_subscriptions, **options):
        try:
            with open(path, "w", encoding="utf-8") as stream:
                counts = write_archive(stream, include_subscriptions=with_subscriptions)
        except OSError as error:
            raise CommandError(f"Cannot write {path}: {error.strerror}.") from None
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Exported {summary or 'nothing'} to {path}."))
