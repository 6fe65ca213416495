"""The site's icons at the addresses browsers ask for without being told.

Browsers request /favicon.ico on every site, whatever the page links; a 404
there is a console error on every page. The icon set itself lives in
static/icons/ (drawn by scripts/make_icons.py) and is linked from base.html;
the web app manifest names the site from SITE_NAME."""

import json
from functools import cache

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

ICON_SECONDS = 7 * 24 * 3600


@cache
def _favicon_bytes() -> bytes:
    with open(finders.find("icons/favicon.ico"), "rb") as icon:
        return icon.read()


@require_safe
def favicon(request):
    response = HttpResponse(_favicon_bytes(), content_type="image/x-icon")
    patch_cache_control(response, public=True, max_age=ICON_SECONDS)
    return response


@require_safe
def webmanifest(request):
    manifest = {
        "name": settings.SITE_NAME,
        "short_name": settings.SITE_NAME[:12],
        "icons": [
            {
                "src": static(f"icons/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
            }
            for size in (192, 512)
        ],
        "start_url": "/",
        "display": "browser",
        "theme_color": "#0b4f8a",
        "background_color": "#ffffff",
    }
    response = HttpResponse(json.dumps(manifest), content_type="application/manifest+json")
    patch_cache_control(response, public=True, max_age=ICON_SECONDS)
    return response
