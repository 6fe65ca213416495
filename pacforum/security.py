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

from csp.middleware import CSPMiddleware, PolicyParts
from csp.utils import default_config
from django.conf import settings
from django.utils.http import url_has_allowed_host_and_scheme


def is_admin_path(path):
    return path.startswith(tuple(getattr(settings, "CSP_ADMIN_PATH_PREFIXES", ())))


class ContentSecurityPolicyMiddleware(CSPMiddleware):
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
