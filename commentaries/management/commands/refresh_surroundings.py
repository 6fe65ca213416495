from django.core.management.base import BaseCommand

from commentaries.surroundings import refresh_all


class Command(BaseCommand):
    help = (
        "Work out again the neighbours, related pieces and credits stored on every piece, and "
        "every series' menus. The "
        "services and importers keep them current; run this after editing pieces or their "
        "topics with raw SQL."
    )

    def handle(self, **options):
        changed = refresh_all()
        self.stdout.write(f"Surroundings worked out again: {changed:,} pieces changed.")
