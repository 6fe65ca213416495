from django.core.management.base import BaseCommand

from commentaries.tasks import ensure_tick


class Command(BaseCommand):
    help = (
        "Queue the periodic go-live tick for `db_worker` unless one is already waiting. "
        "Safe to run on every deploy and every start."
    )

    def handle(self, **options):
        queued = ensure_tick()
        self.stdout.write("Go-live tick queued." if queued else "Go-live tick already queued.")
