from django.apps import AppConfig


def _site_changed(**kwargs):
    from .pagecache import SITE, invalidate

    invalidate(SITE)


class PacforumConfig(AppConfig):
    """The site itself: system checks, the page cache's invalidation for the
    site-wide models, the static-pages admin and the site-wide commands
    (`load_demo`, `setup_roles`, `flush_page_cache`)."""

    name = "pacforum"
    verbose_name = "Site"

    def ready(self):
        from django.apps import apps
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from . import checks  # noqa: F401  (registers the deploy checks)

        # Static pages, redirects and the site show on (or answer for) any
        # page: a change to them makes every cached page stale. The content
        # apps connect their own models (commentaries/cachekeys.py).
        for label in ("flatpages.FlatPage", "redirects.Redirect", "sites.Site"):
            model = apps.get_model(label)
            uid = f"page-cache:{label}"
            post_save.connect(_site_changed, sender=model, dispatch_uid=uid + ":save")
            post_delete.connect(_site_changed, sender=model, dispatch_uid=uid + ":delete")
        flatpage_sites = apps.get_model("flatpages.FlatPage").sites.through
        m2m_changed.connect(_site_changed, sender=flatpage_sites, dispatch_uid="page-cache:fps")
