from django.core.management.base import BaseCommand

from pacforum.pagecache import flush


class Command(BaseCommand):
    help = (
        "Make every cached public page stale, here and at the edge cache: after "
        "changes made behind the ORM's back (raw SQL, QuerySet.update(), a restore)."
    )

    def handle(self, *args, **options):
        flush()
        self.stdout.write("Every cached page will be rebuilt on its next visit.")
