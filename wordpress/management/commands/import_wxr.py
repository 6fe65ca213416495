import sys
import time
import zoneinfo
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from commentaries.models import Series
from wordpress.importer import ImportReport, WxrError, WxrImporter, use_fast_commits
from wordpress.importer.report import MAX_LISTED
from wordpress.rules import RulesError, load_rules

NOT_SELECTED = "post type “"


class Command(BaseCommand):
    help = (
        "Import a WordPress export (WXR 1.0–1.2) as commentaries and static pages, with "
        "permanent redirects from the old addresses. Safe to run again: posts already "
        "imported are updated."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "export",
            nargs="+",
            help="The .xml file(s) from WordPress’s Tools › Export; .xml.gz and .zip "
            "(WordPress.com) too. Several files are imported as one archive.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Do everything, then roll it all back."
        )
        parser.add_argument(
            "--series-rules",
            metavar="FILE",
            help="A TOML file of title and category rules (see wordpress/rules.toml).",
        )
        parser.add_argument(
            "--uploads",
            metavar="DIR",
            help="A local copy of wp-content/uploads; images in bodies are copied into MEDIA.",
        )
        parser.add_argument(
            "--default-series",
            metavar="SLUG",
            help="Series for posts no rule places (default: the rules’ default_series).",
        )
        parser.add_argument(
            "--time-zone",
            metavar="ZONE",
            help="The publisher’s time zone, e.g. Pacific/Honolulu (default: TIME_ZONE). "
            "A number’s year is the year there.",
        )
        parser.add_argument(
            "--report",
            metavar="FILE.csv",
            help="Also write the report as CSV: one row per post, with its outcome and warnings.",
        )

    def handle(
        self,
        *args,
        export,
        dry_run,
        series_rules,
        uploads,
        default_series,
        time_zone,
        report,
        **options,
    ):
        exports = [Path(path) for path in export]
        for path in exports:
            if not path.is_file():
                raise CommandError(f"{path} does not exist or is not a file.")
        try:
            rules = load_rules(series_rules)
        except RulesError as exc:
            raise CommandError(str(exc)) from exc
        uploads_dir = Path(uploads) if uploads else None
        if uploads_dir is not None and not uploads_dir.is_dir():
            raise CommandError(f"--uploads {uploads} is not a directory.")
        tz = timezone.get_default_timezone()
        if time_zone:
            try:
                tz = zoneinfo.ZoneInfo(time_zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise CommandError(
                    f"Unknown time zone “{time_zone}”: use a name such as Pacific/Honolulu "
                    "or America/New_York."
                ) from None
        slug = default_series or rules.default_series
        series = None
        if slug:
            series = Series.objects.filter(slug=slug).first()
            if series is None:
                known = ", ".join(Series.objects.values_list("slug", flat=True)) or "none yet"
                raise CommandError(
                    f"No series with the slug “{slug}”. Create it in the admin first, or pick "
                    f"one of: {known}."
                )
        csv_file = None
        if report:
            try:
                csv_file = open(report, "w", newline="", encoding="utf-8")  # noqa: SIM115
            except OSError as exc:
                raise CommandError(f"cannot write the report {report}: {exc}") from exc

        self.verbosity = options["verbosity"]
        self.last_progress = 0.0
        self.interactive = sys.stderr.isatty()
        importer = WxrImporter(
            rules=rules,
            default_series=series,
            uploads=uploads_dir,
            dry_run=dry_run,
            time_zone=tz,
            progress=self.show_progress,
        )
        if not dry_run:
            use_fast_commits()
        name = ", ".join(map(str, exports))
        if self.verbosity:
            self.stderr.write(f"Reading {name} once to check it before anything is written …")
        self.started = time.monotonic()
        try:
            result = importer.run(exports)
        except WxrError as exc:
            if csv_file:
                csv_file.close()
            raise CommandError(f"{exc} Nothing was imported.") from exc
        if self.interactive and self.verbosity:
            self.stderr.write("")
        self.print_report(name, result, dry_run)
        if csv_file:
            with csv_file:
                result.write_csv(csv_file)
            self.stdout.write(f"Report written to {report} ({len(result.posts):,} posts).")
        if result.interrupted:
            written = (
                f"{result.written:,} posts had been written before it stopped "
                f"(created {result.created:,}, updated {result.updated:,}) and are kept"
                if result.written and not dry_run
                else "nothing had been written"
            )
            raise CommandError(
                f"{result.interrupted} {written}. Run the import again with the final file "
                "to finish: what is already imported is recognised."
            )

    def show_progress(self, report: ImportReport):
        if not self.verbosity:
            return
        done, now = report.processed, time.monotonic()
        every = 0.25 if self.interactive else 5.0
        if now - self.last_progress < every and done != report.total:
            return
        self.last_progress = now
        elapsed = max(now - self.started, 1e-6)
        rate = done / elapsed
        share = done * 100 // report.total if report.total else 100
        width = 30
        bar = "#" * (width * share // 100)
        line = (
            f"[{bar:<{width}}] {done:,}/{report.total:,} posts ({share}%), {rate:,.0f} posts/s, "
            f"created {report.created:,}, updated {report.updated:,}, "
            f"unchanged {report.unchanged:,}, skipped {sum(report.skipped.values()):,}"
        )
        if self.interactive:
            self.stderr.write("\r" + line, ending="")
            self.stderr.flush()
        else:
            self.stderr.write(line)

    def print_report(self, export, report: ImportReport, dry_run):
        out = self.stdout.write
        rate = report.processed / report.seconds if report.seconds else 0
        out(
            f"{'Dry run of ' if dry_run else 'Imported '}{export}: {report.total:,} posts "
            f"in {report.seconds:.1f} s ({rate:,.0f} posts/s)"
        )
        out(f"  created    {report.created:>8,}")
        out(f"  updated    {report.updated:>8,}")
        out(f"  unchanged  {report.unchanged:>8,}")
        skipped = report.skipped
        out(f"  skipped    {sum(skipped.values()):>8,}")
        for reason, count in skipped.most_common():
            out(f"    {count:>6,}  {reason}")
        listed = [
            log
            for log in report.posts
            if log.outcome == "skipped" and not log.reason.startswith(NOT_SELECTED)
        ]
        for log in listed[:MAX_LISTED]:
            out(f"    - {log} (line {log.line}): {log.reason}")
        if len(listed) > MAX_LISTED:
            out(f"    … and {len(listed) - MAX_LISTED:,} more (see --report FILE.csv)")
        out(f"  redirects  {report.redirects:>8,} created or changed")
        if report.responses_linked:
            out(f"  responses  {report.responses_linked:>8,} linked to the piece they answer")
        if report.copied_files:
            out(f"  files      {report.copied_files:>8,} copied into MEDIA")
        if report.comments:
            out(f"  comments   {report.comments:>8,} not imported")
        out(f"  warnings   {report.warning_count:>8,}")
        for n, warning in enumerate(report.warnings()):
            if n == MAX_LISTED:
                out(f"    … and {report.warning_count - MAX_LISTED:,} more (see --report FILE.csv)")
                break
            out(f"    - {warning}")
        missing = report.missing_files()
        if missing:
            out(
                f"  missing files {len(missing):,} (not copied; links to them keep pointing "
                "at WordPress):"
            )
            for path in missing[:MAX_LISTED]:
                out(f"    - {path}")
        if report.interrupted:
            out(self.style.ERROR(f"Stopped: {report.interrupted}"))
        elif dry_run:
            out(self.style.WARNING("Dry run: nothing was saved."))
        else:
            out(self.style.SUCCESS("Done."))
