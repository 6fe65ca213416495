"""Create or refresh the Editors and Contributors groups. Safe to run again."""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand

CONTENT_MODELS = {
    "commentaries": ["commentary", "series", "topic", "byline", "taggedcommentary"],
    "authors": ["author", "organization", "affiliation"],
    "flatpages": ["flatpage"],
}

ROLES = {
    "Editors": {
        # Everything on content, publishing, and the subscription requests.
        **{
            (app, model): ["add", "change", "delete", "view"]
            for app, models in CONTENT_MODELS.items()
            for model in models
        },
        ("commentaries", "commentary"): ["add", "change", "delete", "view", "publish"],
        ("subscriptions", "subscriptionrequest"): ["change", "view", "delete"],
        ("subscriptions", "edition"): ["change", "view"],
        ("subscriptions", "delivery"): ["view"],
        ("subscriptions", "seriesnewsletter"): ["add", "change", "delete", "view"],
    },
    "Contributors": {
        # Drafts only: no publishing, no deleting, no subscribers.
        ("commentaries", "commentary"): ["add", "change", "view"],
        ("commentaries", "byline"): ["add", "change", "delete", "view"],
        ("commentaries", "series"): ["view"],
        ("commentaries", "topic"): ["view"],
        ("authors", "author"): ["add", "change", "view"],
        ("authors", "organization"): ["add", "change", "view"],
        ("authors", "affiliation"): ["add", "change", "delete", "view"],
    },
}


class Command(BaseCommand):
    help = "Create the Editors and Contributors groups with their permissions (idempotent)."

    def handle(self, *args, **options):
        for name, grants in ROLES.items():
            wanted = []
            for (app, model), actions in grants.items():
                for action in actions:
                    wanted.append(
                        Permission.objects.get(
                            content_type__app_label=app, codename=f"{action}_{model}"
                        )
                    )
            group, created = Group.objects.get_or_create(name=name)
            group.permissions.set(wanted)
            verb = "Created" if created else "Updated"
            self.stdout.write(f"{verb} group {name} with {len(wanted)} permissions.")
