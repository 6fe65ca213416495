from django.core.management.base import BaseCommand

from pacforum.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo archive (series, authors, commentaries). Safe to run again."

    def handle(self, *args, **options):
        created = load_demo()
        self.stdout.write(
            self.style.SUCCESS(
                "Demo content ready: created {series} series, {authors} authors, "
                "{commentaries} commentaries.".format(**created)
            )
        )
