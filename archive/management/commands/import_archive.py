import sys

from django.core.management.base import BaseCommand, CommandError

from archive.exchange import ArchiveError, read_archive


class Command(BaseCommand):
    help = (
        "Load an archive written by export_archive into an empty database "
        "(all or nothing). Use - to read standard input."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Archive file, or - for standard input.")

    def handle(self, *args, path, **options):
        try:
            if path == "-":
                counts = read_archive(sys.stdin)
            else:
                with open(path, encoding="utf-8") as stream:
                    counts = read_archive(stream)
        except OSError as error:
            raise CommandError(f"Cannot read {path}: {error.strerror}.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{path} is not a UTF-8 text file.") from None
        except ArchiveError as error:
            raise CommandError(f"Nothing was imported: {error}.") from None
        summary = ", ".join(f"{count} {kind}" for kind, count in counts.items())
        self.stdout.write(self.style.SUCCESS(f"Imported {summary or 'nothing'} from {path}."))
