"""System checks for a production deployment (`manage.py check --deploy`)."""

from django.conf import settings
from django.core.checks import Tags, Warning, register

PER_PROCESS_BACKENDS = {
    "django.core.cache.backends.locmem.LocMemCache": "kept in each process's memory",
    "django.core.cache.backends.dummy.DummyCache": "off (CACHE_DISABLED)",
}


@register(Tags.caches, deploy=True)
def shared_cache(app_configs=None, **kwargs):
    """The page cache's invalidation and the subscription rate limits only
    hold across processes when the cache is shared (Redis)."""
    backend = settings.CACHES["default"]["BACKEND"]
    if backend not in PER_PROCESS_BACKENDS:
        return []
    return [
        Warning(
            f"The cache is {PER_PROCESS_BACKENDS[backend]}: with more than one process, "
            "a publish or edit reaches the other processes' cached pages only when they "
            "expire (PUBLIC_PAGE_CACHE_SECONDS), and each process counts subscription "
            "attempts on its own.",
            hint="Set REDIS_URL. A deployment with a single process may silence this "
            "with SILENCED_SYSTEM_CHECKS=pacforum.W001.",
            id="pacforum.W001",
        )
    ]
