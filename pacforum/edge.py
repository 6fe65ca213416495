"""The edge cache in front of the application nodes: Varnish, or a CDN.

Cached public pages carry their cache keys (`pacforum.pagecache`) in the
edge's surrogate-key header; when content changes, the changed keys are
purged at the edge by a queued task (`purge_edge`, retried with back-off), so
the edge drops exactly the pages the application's own cache drops.

A backend is a small class: the header its pages carry the keys in, how keys
are written in it, and `purge(keys)`. Two ship here:

- `Varnish`: the `xkey` header (vmod-xkey, in Debian's `varnish-modules`);
  purging sends `PURGE /` with `xkey-purge: <keys>` to every Varnish in
  `EDGE_VARNISH_URLS` (ops/varnish.vcl answers it and strips `xkey` from
  what browsers get).
- `Cloudflare`: the `Cache-Tag` header (Cloudflare removes it before the
  response reaches a visitor); purging posts `{"tags": [...]}` to
  `/zones/<EDGE_CLOUDFLARE_ZONE>/purge_cache` with an API token
  (purge by tag is an Enterprise feature).

`EDGE_CACHE` (`varnish`, `cloudflare`, or empty for none) chooses one.
"""

import json
import logging
import urllib.error
import urllib.request
from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger("pacforum.edge")

MAX_ATTEMPTS = 8


class PurgeFailed(Exception):
    pass


class EdgeBackend:
    """What the application needs from an edge cache."""

    header = ""
    separator = " "
    batch = 100  # keys per purge request

    def header_value(self, keys) -> str:
        return self.separator.join(keys)

    def purge(self, keys) -> None:
        """Drop every cached response carrying one of `keys`; raise
        PurgeFailed when an edge did not confirm (the task retries)."""
        raise NotImplementedError

    def batches(self, keys):
        keys = list(keys)
        for start in range(0, len(keys), self.batch):
            yield keys[start : start + self.batch]


def _send(request, timeout) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except OSError as error:
        raise PurgeFailed(f"{request.full_url}: {error}") from error


class Varnish(EdgeBackend):
    header = "xkey"
    separator = " "

    def __init__(self, urls, timeout=5):
        self.urls = [url.rstrip("/") for url in urls]
        self.timeout = timeout

    def purge(self, keys) -> None:
        for url in self.urls:
            for batch in self.batches(keys):
                request = urllib.request.Request(  # noqa: S310  (configured http(s) address)
                    url + "/", method="PURGE", headers={"xkey-purge": " ".join(batch)}
                )
                status, body = _send(request, self.timeout)
                if status != 200:
                    raise PurgeFailed(f"{url}: {status} {body[:200]!r}")


class Cloudflare(EdgeBackend):
    header = "Cache-Tag"
    separator = ","
    batch = 30  # the documented limit for tags in one purge call on most plans
    api = "https://api.cloudflare.com/client/v4"

    def __init__(self, zone, token, timeout=10):
        self.zone = zone
        self.token = token
        self.timeout = timeout

    def request_for(self, tags) -> urllib.request.Request:
        return urllib.request.Request(  # noqa: S310  (a fixed https address)
            f"{self.api}/zones/{self.zone}/purge_cache",
            method="POST",
            data=json.dumps({"tags": list(tags)}).encode(),
            headers={
                "Authorization": f"Bearer {self.token}",
                "Content-Type": "application/json",
            },
        )

    def purge(self, keys) -> None:
        for batch in self.batches(keys):
            status, body = _send(self.request_for(batch), self.timeout)
            try:
                answer = json.loads(body or b"{}")
            except ValueError:
                answer = {}
            if status != 200 or not answer.get("success"):
                raise PurgeFailed(f"Cloudflare: {status} {answer.get('errors') or body[:200]!r}")


def backend() -> EdgeBackend | None:
    """The configured edge cache, or None."""
    kind = getattr(settings, "EDGE_CACHE", "")
    if kind == "varnish":
        return Varnish(getattr(settings, "EDGE_VARNISH_URLS", []))
    if kind == "cloudflare":
        return Cloudflare(
            getattr(settings, "EDGE_CLOUDFLARE_ZONE", ""),
            getattr(settings, "EDGE_CLOUDFLARE_TOKEN", ""),
        )
    return None


def retry_delay(attempt) -> timedelta:
    """10 s, 40 s, 160 s, … at most 10 minutes apart."""
    return timedelta(seconds=min(10 * 4 ** (attempt - 1), 600))


def purge_later(keys) -> None:
    """Queue the purge of `keys` at the edge, if there is one."""
    if backend() is not None:
        purge_edge.enqueue(keys=list(keys))


@task()
def purge_edge(*, keys, attempt=1):
    edge = backend()
    if edge is None:
        return "no edge"
    try:
        edge.purge(keys)
    except PurgeFailed:
        if attempt >= MAX_ATTEMPTS or not purge_edge.get_backend().supports_defer:
            raise
        delay = retry_delay(attempt)
        logger.warning(
            "Edge purge of %s keys failed (attempt %s); retrying in %s",
            len(keys),
            attempt,
            delay,
            exc_info=True,
        )
        purge_edge.using(run_after=timezone.now() + delay).enqueue(keys=keys, attempt=attempt + 1)
        return "retry scheduled"
    return "purged"
