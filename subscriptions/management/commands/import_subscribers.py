from django.core.management.base import BaseCommand, CommandError

from commentaries.models import Series
from subscriptions.importer import ImportError_, import_subscribers


class Command(BaseCommand):
    help = (
        "Import subscribers from a CSV file (a Mailchimp or WordPress export). Records "
        "with a consent time are imported confirmed, keeping that time and their source."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The CSV file (UTF-8, with a header line).")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="Name the column for a field: email, name, first_name, last_name, "
            "organization, series, consent_time, source. Repeatable.",
        )
        parser.add_argument(
            "--series",
            action="append",
            default=[],
            help="Series (slug) for rows without a series column value. Repeatable.",
        )
        parser.add_argument(
            "--source", default="import", help="Recorded as the source when a row has none."
        )
        parser.add_argument(
            "--without-consent",
            choices=["skip", "pending"],
            default="skip",
            help="Rows without a consent time: skip them (default), or import them pending, "
            "to be confirmed by the subscriber.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Report, change nothing.")

    def handle(self, file, map, series, source, without_consent, dry_run, **options):
        overrides = {}
        for item in map:
            name, _, column = item.partition("=")
            if not column:
                raise CommandError(f"--map needs FIELD=COLUMN, got “{item}”.")
            overrides[name.strip()] = column
        default_series = list(Series.objects.filter(slug__in=series, subscribable=True))
        if len(default_series) != len(set(series)):
            raise CommandError("Unknown or unsubscribable series in --series.")
        try:
            with open(file, newline="", encoding="utf-8-sig") as handle:
                report = import_subscribers(
                    handle,
                    overrides=overrides,
                    default_series=default_series,
                    source=source,
                    without_consent=without_consent,
                    dry_run=dry_run,
                )
        except (OSError, UnicodeDecodeError, ImportError_) as error:
            raise CommandError(str(error)) from error
        for line, reason in report.skipped:
            self.stdout.write(f"line {line}: skipped, {reason}")
        prefix = "Dry run, nothing saved: would import" if dry_run else "Imported"
        self.stdout.write(
            f"{prefix} {report.imported} confirmed, {report.pending} pending; "
            f"skipped {len(report.skipped)}."
        )
