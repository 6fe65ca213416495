from django.apps import AppConfig


class CommentariesConfig(AppConfig):
    verbose_name = "Publications"
    name = "commentaries"

    def ready(self):
        # Page-cache invalidation has to follow every code path that saves
        # content (admin, shell, importers), hence signal receivers.
        from django.db.models.signals import post_migrate

        from . import checks  # noqa: F401  (registers the deploy checks)
        from .cache import connect_invalidation
        from .triggers import ensure_triggers

        connect_invalidation()
        post_migrate.connect(ensure_triggers, sender=self, dispatch_uid="commentaries-triggers")
