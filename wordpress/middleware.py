from django.contrib.redirects.models import Redirect
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpResponseGone, HttpResponsePermanentRedirect


class WordPressShortlinkMiddleware:
    """Redirect WordPress short links (`/?p=123`, `/?page_id=123`).

    They point at the home page, which exists, so Django's redirect fallback
    (which acts only on a 404) never sees them. The redirects themselves are
    ordinary `django.contrib.redirects` rows, editable in the admin.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/" and request.method in ("GET", "HEAD"):
            post_id = request.GET.get("p") or request.GET.get("page_id")
            if post_id and post_id.isdigit():
                return self.redirect(request, int(post_id)) or self.get_response(request)
        return self.get_response(request)

    def redirect(self, request, post_id):
        candidates = [request.get_full_path(), f"/?p={post_id}"]
        site = get_current_site(request)
        found = {r.old_path: r for r in Redirect.objects.filter(site=site, old_path__in=candidates)}
        redirect = next((found[path] for path in candidates if path in found), None)
        if redirect is None:
            return None
        if not redirect.new_path:
            return HttpResponseGone()
        return HttpResponsePermanentRedirect(redirect.new_path)
