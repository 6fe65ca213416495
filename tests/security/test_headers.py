"""Every security header, on a public page and on admin pages."""

import pytest
from django.urls import reverse

from tests.factories import BylineFactory, CommentaryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def commentary_url():
    piece = CommentaryFactory(published=True)
    BylineFactory(commentary=piece)
    return piece.get_absolute_url()


def csp_directives(response):
    policy = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in policy.split(";") if part.strip())
    }


@pytest.fixture(
    params=["home", "commentary", "admin_login", "admin_change_form"],
)
def page_response(request, client, admin_client, commentary_url):
    if request.param == "home":
        return client.get(reverse("commentaries:home"))
    if request.param == "commentary":
        return client.get(commentary_url)
    if request.param == "admin_login":
        return client.get(reverse("admin:login"))
    piece = CommentaryFactory()
    return admin_client.get(reverse("admin:commentaries_commentary_change", args=[piece.pk]))


def test_every_page_forbids_content_type_sniffing(page_response):
    assert page_response.status_code == 200
    assert page_response["X-Content-Type-Options"] == "nosniff"


def test_every_page_refuses_to_be_framed(page_response):
    assert page_response["X-Frame-Options"] == "DENY"
    assert csp_directives(page_response)["frame-ancestors"] == ["'none'"]


def test_every_page_sends_a_same_origin_referrer_policy(page_response):
    assert page_response["Referrer-Policy"] == "same-origin"


def test_every_page_isolates_its_browsing_context(page_response):
    assert page_response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_every_page_turns_off_powerful_browser_features(page_response):
    policy = page_response["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "payment"):
        assert f"{feature}=()" in policy


def test_every_page_runs_scripts_only_from_our_origin_or_with_a_nonce(page_response):
    directives = csp_directives(page_response)
    script_sources = directives["script-src"]
    assert "'self'" in script_sources
    assert "'unsafe-inline'" not in script_sources
    assert "'unsafe-eval'" not in script_sources
    assert all(source in {"'self'"} or source.startswith("'nonce-") for source in script_sources)
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert directives["default-src"] == ["'self'"]


def test_public_pages_allow_no_inline_styles(client, commentary_url):
    for url in (reverse("commentaries:home"), commentary_url):
        assert csp_directives(client.get(url))["style-src"] == ["'self'"]


def test_admin_allows_the_inline_styles_ckeditor_injects_but_no_inline_scripts(admin_client):
    response = admin_client.get(reverse("admin:commentaries_commentary_add"))
    directives = csp_directives(response)
    assert directives["style-src"] == ["'self'", "'unsafe-inline'"]
    assert "'unsafe-inline'" not in directives["script-src"]


def test_a_nonce_used_by_a_template_appears_in_the_policy(rf):
    from django.http import HttpResponse
    from django.template import Context, Template

    from pacforum.security import ContentSecurityPolicyMiddleware

    def view(request):
        html = Template('<script nonce="{{ nonce }}">1</script>').render(
            Context({"nonce": request.csp_nonce})
        )
        return HttpResponse(html)

    request = rf.get("/")
    response = ContentSecurityPolicyMiddleware(view)(request)
    nonce = response.content.decode().split('nonce="')[1].split('"')[0]
    assert f"'nonce-{nonce}'" in csp_directives(response)["script-src"]


def test_cookies_are_secure_and_same_site_when_debug_is_off(settings):
    # tests.settings keeps the production defaults (DEBUG off) for cookies.
    assert settings.SESSION_COOKIE_SECURE is True
    assert settings.CSRF_COOKIE_SECURE is True
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.CSRF_COOKIE_SAMESITE == "Lax"


def test_https_pages_carry_hsts(client):
    response = client.get(reverse("commentaries:home"), secure=True)
    assert response["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "includeSubDomains" in response["Strict-Transport-Security"]


def test_admin_session_cookie_is_secure_http_only_and_same_site(client, django_user_model):
    django_user_model.objects.create_superuser("editor", "editor@example.org", "a-long-passphrase!")
    response = client.post(
        reverse("admin:login"),
        {"username": "editor", "password": "a-long-passphrase!", "next": "/admin/"},
        secure=True,
    )
    assert response.status_code == 302
    cookie = response.cookies["sessionid"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_staff_sessions_expire_after_eight_hours_and_at_browser_close(admin_client, settings):
    admin_client.get(reverse("admin:index"))
    session = admin_client.session
    assert session.get_expiry_age() <= 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE is True


def test_a_policy_built_once_follows_changed_settings_and_each_paths_policy(client, settings):
    from csp.utils import build_policy, default_config

    page = client.get("/healthz")
    admin = client.get("/admin/login/")
    assert page["Content-Security-Policy"] == build_policy()
    assert admin["Content-Security-Policy"] == build_policy(
        config=default_config(settings.CSP_ADMIN_DIRECTIVES)
    )
    assert "Content-Security-Policy-Report-Only" not in page
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"img-src": ["'self'"]}}
    page = client.get("/healthz")
    assert page["Content-Security-Policy"] == build_policy() == "default-src 'none'"
    assert page["Content-Security-Policy-Report-Only"] == build_policy(report_only=True)
    assert "img-src 'self'" in page["Content-Security-Policy-Report-Only"]
