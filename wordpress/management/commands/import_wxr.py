import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from commentaries.models import Series
from wordpress.importer import ImportReport, WxrImporter, use_fast_commits
from wordpress.rules import RulesError, load_rules
from wordpress.wxr import WxrError


class Command(BaseCommand):
    help = (
        "Import a WordPress export (WXR 1.1/1.2) as commentaries, with permanent redirects "
        "from the old addresses. Safe to run again: posts already imported are updated."
    )

    def add_arguments(self, parser):
        parser.add_argument("export", help="The .xml file from WordPress’s Tools › Export.")
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

    def handle(self, *args, export, dry_run, series_rules, uploads, default_series, **options):
        export = Path(export)
        if not export.is_file():
            raise CommandError(f"{export} does not exist or is not a file.")
        try:
            rules = load_rules(series_rules)
        except RulesError as exc:
            raise CommandError(str(exc)) from exc
        uploads_dir = Path(uploads) if uploads else None
        if uploads_dir is not None and not uploads_dir.is_dir():
            raise CommandError(f"--uploads {uploads} is not a directory.")
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

        self.verbosity = options["verbosity"]
        self.last_progress = 0.0
        self.interactive = sys.stderr.isatty()
        importer = WxrImporter(
            rules=rules,
            default_series=series,
            uploads=uploads_dir,
            dry_run=dry_run,
            progress=self.show_progress,
        )
        if not dry_run:
            use_fast_commits()
        if self.verbosity:
            self.stderr.write(f"Reading {export} once to check it before anything is written …")
        self.started = time.monotonic()
        try:
            report = importer.run(export)
        except WxrError as exc:
            raise CommandError(f"{exc} Nothing was imported.") from exc
        if self.interactive and self.verbosity:
            self.stderr.write("")
        self.print_report(export, report, dry_run)

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
        out(f"  skipped    {sum(report.skipped.values()):>8,}")
        for reason, count in report.skipped.most_common():
            out(f"    {count:>6,}  {reason}")
        for line in report.broken:
            out(f"    - {line}")
        out(f"  redirects  {report.redirects:>8,} created or changed")
        if report.responses_linked:
            out(f"  responses  {report.responses_linked:>8,} linked to the piece they answer")
        if report.copied_files:
            out(f"  files      {report.copied_files:>8,} copied into MEDIA")
        out(f"  warnings   {report.warning_count:>8,}")
        for warning in report.warnings:
            out(f"    - {warning}")
        if report.warning_count > len(report.warnings):
            out(f"    … and {report.warning_count - len(report.warnings):,} more")
        if report.missing_files:
            out(
                f"  missing files {len(report.missing_files):,} (links left pointing at WordPress):"
            )
            for path in sorted(report.missing_files)[:200]:
                out(f"    - {path}")
        if dry_run:
            out(self.style.WARNING("Dry run: nothing was saved."))
        else:
            out(self.style.SUCCESS("Done."))
