"""Security middleware and helpers shared by every app.

- `ContentSecurityPolicyMiddleware`: django-csp with two policies. Public
  pages get `CONTENT_SECURITY_POLICY` (scripts only from our origin or with the
  request's nonce, no inline styles). Paths under `CSP_ADMIN_PATH_PREFIXES`
  (the admin and the CKEditor upload view) get `CSP_ADMIN_DIRECTIVES`, which
  adds what CKEditor 5 needs: inline `<style>` elements it injects, and
  `data:`/`blob:` images while an upload is in progress. Scripts stay
  nonce/self-only there too.
- `PermissionsPolicyMiddleware`: the `Permissions-Policy` header (Django has no
  setting for it).
- `safe_next_url()`: the only way a view should follow a `next=` parameter.
- `require_otp_for_staff()`: turns an admin site into django-otp's
  `OTPAdminSite` (used when `OTP_REQUIRED_FOR_STAFF` is on).
"""

from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware, PolicyParts
from csp.utils import build_policy, default_config
from django.conf import settings
from django.core.signals import setting_changed
from django.utils.http import url_has_allowed_host_and_scheme


def is_admin_path(path):
    return path.startswith(tuple(getattr(settings, "CSP_ADMIN_PATH_PREFIXES", ())))


_POLICY_SETTINGS = {
    "CONTENT_SECURITY_POLICY",
    "CONTENT_SECURITY_POLICY_REPORT_ONLY",
    "CSP_ADMIN_DIRECTIVES",
}
# (header, the response attribute that exempts from it, its settings)
_HEADERS = (
    (HEADER, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
    (HEADER_REPORT_ONLY, "_csp_exempt_ro", "CONTENT_SECURITY_POLICY_REPORT_ONLY"),
)
# A view's @csp_update/@csp_replace/@csp decorators leave these on its response.
_RESPONSE_POLICY_ATTRIBUTES = tuple(
    f"_csp_{kind}{suffix}" for kind in ("config", "update", "replace") for suffix in ("", "_ro")
)


@cache
def _policy(*, admin: bool, report_only: bool) -> str:
    """A header value built from the settings alone (no nonce, no view's own
    policy): the same for every response, so built once."""
    config = default_config(settings.CSP_ADMIN_DIRECTIVES) if admin else None
    return build_policy(config=config, report_only=report_only)


def _forget_policies(*, setting, **kwargs):
    if setting in _POLICY_SETTINGS:
        _policy.cache_clear()


setting_changed.connect(_forget_policies)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    def process_response(self, request, response):
        """django-csp's, with the header value of a response that carries no
        nonce and no view's own policy (every cached page) built once per
        policy instead of twice per response: building both headers took a
        fifth of the time of a /healthz request (cProfile)."""
        if getattr(request, "_csp_nonce", None) is not None or any(
            getattr(response, name, None) is not None for name in _RESPONSE_POLICY_ATTRIBUTES
        ):
            return super().process_response(request, response)
        if response.status_code in (404, 500) and settings.DEBUG:
            return response  # django-csp leaves Django's debug pages alone
        path = request.path_info
        admin = is_admin_path(path)
        for header, exempt, setting_name in _HEADERS:
            value = _policy(admin=admin and header == HEADER, report_only=header != HEADER)
            excluded = (getattr(settings, setting_name, None) or {}).get("EXCLUDE_URL_PREFIXES")
            if (
                value
                and header not in response
                and getattr(response, exempt, False) is False
                and not path.startswith(tuple(excluded or ()))
            ):
                response[header] = value
        # As django-csp: a nonce asked for after the header is written is an error.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        if not report_only and parts.config is None and is_admin_path(request.path_info):
            parts = PolicyParts(
                config=default_config(settings.CSP_ADMIN_DIRECTIVES),
                update=parts.update,
                replace=parts.replace,
                nonce=parts.nonce,
            )
        return parts


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", None)
        if policy:
            response.headers.setdefault(
                "Permissions-Policy",
                ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in policy.items()),
            )
        return response


def safe_next_url(request, fallback="/"):
    """The `next` parameter if it points at this site, else `fallback`."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def require_otp_for_staff(site):
    """Make `site` (an AdminSite instance) ask staff for a TOTP code at login.

    Swapping the class keeps everything already registered on the site."""
    from django_otp.admin import OTPAdminSite

    if not isinstance(site, OTPAdminSite):
        site.__class__ = type(f"OTP{type(site).__name__}", (OTPAdminSite, type(site)), {})
    return site
