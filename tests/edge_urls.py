"""The site's addresses plus two probes for the edge tests
(tests/pacforum/test_edge_varnish.py), served by the gunicorn they start."""

import uuid

from django.http import HttpResponse
from django.urls import path

from pacforum.pagecache import page_shows, public_page
from pacforum.urls import urlpatterns as site_patterns


def sets_a_cookie(request):
    """A response that says "cache me" to shared caches, with keys, and sets a
    cookie: the edge must still never give it (or its cookie) to anyone else."""
    token = uuid.uuid4().hex
    response = HttpResponse(f"token {token}")
    response["Cache-Control"] = "public, max-age=600, s-maxage=600"
    response["xkey"] = "site"
    response.set_cookie("probe", token)
    return response


def who_am_i(request):
    """A cached public page that differs for staff (who get it private)."""
    page_shows("probe")
    user = request.user
    return HttpResponse(f"staff {user.username}" if user.is_authenticated else "anonymous reader")


urlpatterns = [
    path("edge-probe/cookie/", sets_a_cookie),
    path("edge-probe/who/", public_page(who_am_i)),
    *site_patterns,
]
