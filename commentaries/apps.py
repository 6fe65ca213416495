from django.apps import AppConfig


class CommentariesConfig(AppConfig):
    verbose_name = "Publications"
    name = "commentaries"

    def ready(self):
        # Page-cache invalidation has to follow every code path that saves
        # content (admin, shell, importers), hence signal receivers.
        from .cache import connect_invalidation

        connect_invalidation()
