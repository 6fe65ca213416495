from django.apps import AppConfig


class PacforumConfig(AppConfig):
    """The site itself: system checks, the page cache's invalidation, the
    static-pages admin and the site-wide commands (`load_demo`, `setup_roles`)."""

    name = "pacforum"
    verbose_name = "Site"

    def ready(self):
        from . import checks  # noqa: F401  (registers the deploy checks)
        from .pagecache import connect_invalidation

        # Page-cache invalidation has to follow every code path that saves
        # content (admin, shell, importers), hence signal receivers.
        connect_invalidation()
