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


@register(Tags.caches)
def edge_cache(app_configs=None, **kwargs):
    """An edge cache that cannot be purged would keep changed pages for a day."""
    from django.core.checks import Error

    kind = getattr(settings, "EDGE_CACHE", "")
    needs = {
        "": [],
        "varnish": ["EDGE_VARNISH_URLS"],
        "cloudflare": ["EDGE_CLOUDFLARE_ZONE", "EDGE_CLOUDFLARE_TOKEN"],
    }
    if kind not in needs:
        return [
            Error(
                f"EDGE_CACHE={kind!r} is not an edge cache pacforum knows.",
                hint="Use varnish, cloudflare, or leave it empty.",
                id="pacforum.E002",
            )
        ]
    missing = [name for name in needs[kind] if not getattr(settings, name, None)]
    if missing:
        return [
            Error(
                f"EDGE_CACHE={kind} needs {', '.join(missing)} to purge changed pages.",
                id="pacforum.E003",
            )
        ]
    return []
