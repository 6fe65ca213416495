import re
from urllib.parse import unquote_plus

from django.contrib.redirects import middleware as redirects
from django.contrib.redirects.models import Redirect
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpResponseGone, HttpResponsePermanentRedirect
from django.utils.encoding import escape_uri_path

# ASCII digits only: str.isdigit() also accepts "²" and "٣", which int() refuses
# or reads as another number.
WORDPRESS_ID = re.compile(r"[0-9]{1,18}")

# Parameters that newsletters, social sites and ad networks add to links. They
# never name a page, so an old address carrying them redirects like the bare one.
TRACKING_PARAMETER = re.compile(r"^(?:utm_\w+|fbclid|gclid|mc_cid|mc_eid)$", re.IGNORECASE)


def path_without_tracking(request) -> str | None:
    """The request's full path without tracking parameters, or None when it has none."""
    query = request.META.get("QUERY_STRING", "")
    parts = [part for part in query.split("&") if part]
    kept = [
        part for part in parts if not TRACKING_PARAMETER.match(unquote_plus(part.partition("=")[0]))
    ]
    if len(kept) == len(parts):
        return None
    path = escape_uri_path(request.path)
    return f"{path}?{'&'.join(kept)}" if kept else path


class RedirectFallbackMiddleware(redirects.RedirectFallbackMiddleware):
    """Django's redirect fallback (on a 404, look the address up in the
    redirects table), which also tries the address without tracking
    parameters: `/2010/08/06/some-post/?fbclid=…` redirects like the bare path."""

    def process_response(self, request, response):
        response = super().process_response(request, response)
        if response.status_code != 404:
            return response
        path = path_without_tracking(request)
        if path is None:
            return response
        candidates = [path]
        if not path.partition("?")[0].endswith("/"):
            bare, _, query = path.partition("?")
            candidates.append(f"{bare}/?{query}" if query else f"{bare}/")
        site = get_current_site(request)
        found = {r.old_path: r for r in Redirect.objects.filter(site=site, old_path__in=candidates)}
        redirect = next((found[c] for c in candidates if c in found), None)
        if redirect is None:
            return response
        if not redirect.new_path:
            return self.response_gone_class()
        return self.response_redirect_class(redirect.new_path)


class WordPressShortlinkMiddleware:
    """Redirect WordPress short links (`/?p=123`, `/?page_id=123`).

    They point at the home page, which exists, so Django's redirect fallback
    (which acts only on a 404) never sees them. The redirects themselves are
    ordinary `django.contrib.redirects` rows, editable in the admin. Tracking
    parameters (`/?p=123&utm_source=…`) are ignored.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/" and request.method in ("GET", "HEAD"):
            post_id = request.GET.get("p")
            key = "p"
            if not post_id:
                post_id, key = request.GET.get("page_id"), "page_id"
            if post_id and WORDPRESS_ID.fullmatch(post_id):
                return self.redirect(request, key, int(post_id)) or self.get_response(request)
        return self.get_response(request)

    def redirect(self, request, key, post_id):
        candidates = [request.get_full_path(), f"/?{key}={post_id}", f"/?p={post_id}"]
        stripped = path_without_tracking(request)
        if stripped:
            candidates.insert(1, stripped)
        site = get_current_site(request)
        found = {r.old_path: r for r in Redirect.objects.filter(site=site, old_path__in=candidates)}
        redirect = next((found[path] for path in candidates if path in found), None)
        if redirect is None:
            return None
        if not redirect.new_path:
            return HttpResponseGone()
        return HttpResponsePermanentRedirect(redirect.new_path)
