import re

from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path

from commentaries.sitemaps import sitemap_index, sitemap_section
from pacforum import health, icons
from pacforum.pagecache import public_page
from pacforum.robots import robots_txt
from pacforum.security import require_otp_for_staff
from pacforum.uploads import serve_upload

if settings.OTP_REQUIRED_FOR_STAFF:
    require_otp_for_staff(admin.site)

handler500 = "pacforum.health.handler500"


def email_service_webhooks(backend: str) -> list:
    """The tracking webhook (bounces, complaints, unsubscribes) of the email
    service `backend` names (anymail.backends.<service>.EmailBackend), at
    /anymail/<service>/tracking/; none for SMTP. Only that service's: another
    service's view, unconfigured, could only fail."""
    match = re.fullmatch(r"anymail\.backends\.(\w+)\.EmailBackend", backend)
    if not match:
        return []
    from anymail import urls as anymail_urls

    route = f"{match.group(1)}/tracking/"
    wanted = [
        path(str(p.pattern), _refusing_unreadable(p.callback.view_class), name=p.name)
        for p in anymail_urls.urlpatterns
        if str(p.pattern) == route
    ]
    return [path("anymail/", include((wanted, "anymail")))] if wanted else []


def _refusing_unreadable(view_class):
    """anymail's webhook view, answering 400 to a post (already authenticated)
    whose body its parser cannot read, where anymail would fail with a 500
    that the service retries for days. The events of a readable post are
    applied as before."""
    from anymail.exceptions import AnymailWebhookValidationFailure

    class WebhookView(view_class):
        def parse_events(self, request):
            try:
                return super().parse_events(request)
            except (ValueError, TypeError, KeyError, IndexError, AttributeError) as error:
                raise AnymailWebhookValidationFailure(
                    f"unreadable {self.esp_name} webhook post ({type(error).__name__})"
                ) from error

    WebhookView.__name__ = WebhookView.__qualname__ = view_class.__name__
    return WebhookView.as_view()


urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("authors/", include("commentaries.author_urls")),
    # Readers' site: sitemap and robots.txt.
    path("sitemap.xml", public_page(sitemap_index), name="sitemap"),
    path(
        "sitemap-<slug:section>.xml",
        public_page(sitemap_section, query=("p",)),
        name="sitemap_section",
    ),
    path("robots.txt", robots_txt, name="robots"),
    path("favicon.ico", icons.favicon, name="favicon"),
    path("site.webmanifest", icons.webmanifest, name="webmanifest"),
    path("", include("subscriptions.urls")),
    *email_service_webhooks(settings.EMAIL_BACKEND),
    path("", include("commentaries.urls")),
]

if settings.SERVE_MEDIA and settings.MEDIA_URL.startswith("/"):
    # Uploads with Content-Disposition and nosniff (pacforum/uploads.py); in
    # production the web server usually serves MEDIA_ROOT the same way.
    urlpatterns = [
        re_path(
            rf"^{re.escape(settings.MEDIA_URL.lstrip('/'))}(?P<path>.+)$",
            serve_upload,
            name="media",
        ),
        *urlpatterns,
    ]
