"""Brute-force lockout (django-axes), open redirects and password strength."""

import pytest
from django.contrib.admin import AdminSite
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import path, reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from pacforum.security import require_otp_for_staff, safe_next_url

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_user(
        "editor", "editor@example.org", PASSWORD, is_staff=True
    )


@pytest.fixture
def axes_on(settings):
    settings.AXES_ENABLED = True
    from axes.utils import reset

    reset()
    yield
    reset()


def sign_in(client, password, *, ip="203.0.113.7", username="editor"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=ip,
    )


def test_five_wrong_passwords_lock_the_account_from_that_address(client, editor, axes_on):
    for _ in range(4):
        response = sign_in(client, "wrong")
        assert response.status_code == 200
    response = sign_in(client, "wrong")
    assert response.status_code == 429
    assert "Sign-in temporarily locked" in response.content.decode()


def test_a_locked_out_user_cannot_sign_in_even_with_the_right_password(client, editor, axes_on):
    for _ in range(5):
        sign_in(client, "wrong")
    response = sign_in(client, PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_lockout_is_per_address_so_the_editor_can_still_sign_in_elsewhere(
    client, editor, axes_on
):
    for _ in range(5):
        sign_in(client, "wrong", ip="203.0.113.7")
    response = sign_in(client, PASSWORD, ip="198.51.100.20")
    assert response.status_code == 302
    assert response["Location"] == "/admin/"


def test_a_successful_sign_in_resets_the_failure_count(client, editor, axes_on):
    for _ in range(4):
        sign_in(client, "wrong")
    assert sign_in(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, "wrong").status_code == 200
    assert sign_in(client, PASSWORD).status_code == 302


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/phish",
        "//evil.example/phish",
        "/\\evil.example",
        "https:evil.example",
        "javascript:alert(1)",
    ],
)
def test_admin_login_never_redirects_off_site(client, editor, target):
    response = client.post(
        reverse("admin:login"), {"username": "editor", "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")
    assert "_auth_user_id" in client.session


def test_admin_login_follows_a_next_on_our_own_site(client, editor):
    response = client.post(
        reverse("admin:login"),
        {"username": "editor", "password": PASSWORD, "next": "/admin/commentaries/"},
    )
    assert response["Location"] == "/admin/commentaries/"


def test_admin_logout_never_redirects_off_site(admin_client):
    response = admin_client.post(
        reverse("admin:logout") + "?next=https://evil.example/", follow=False
    )
    assert "evil.example" not in response.get("Location", "")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/pacnet/", "/pacnet/"),
        ("https://testserver/authors/", "https://testserver/authors/"),
        ("https://evil.example/", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
    ],
)
def test_safe_next_url_keeps_only_addresses_on_our_host(target, expected):
    request = RequestFactory().get("/subscribe/", {"next": target}, secure=True)
    assert safe_next_url(request) == expected


@pytest.mark.parametrize(
    "password", ["short1!", "password1234", "12345678901234", "editor.example.org"]
)
def test_weak_staff_passwords_are_refused(editor, password):
    with pytest.raises(ValidationError):
        validate_password(password, user=editor)


def test_a_long_passphrase_is_accepted(editor):
    validate_password("tidewater lanterns ninety", user=editor)


otp_site = AdminSite(name="otp_check")
require_otp_for_staff(otp_site)
urlpatterns = [path("otp-admin/", otp_site.urls)]


def _totp_token(device):
    return (
        f"{TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).token():06d}"
    )


def test_the_admin_asks_for_no_totp_code_unless_the_setting_is_on():
    from django.contrib import admin
    from django_otp.admin import OTPAdminSite

    assert not isinstance(admin.site, OTPAdminSite)


@pytest.mark.urls(__name__)
def test_with_otp_required_staff_need_a_valid_totp_code(client, editor):
    device = TOTPDevice.objects.create(user=editor, name="phone", confirmed=True)
    response = client.post(
        "/otp-admin/login/?next=/otp-admin/",
        {
            "username": "editor",
            "password": PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": _totp_token(device),
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    assert client.get("/otp-admin/").status_code == 200


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("token", ["", "000000"])
def test_with_otp_required_a_password_alone_or_a_wrong_code_is_not_enough(client, editor, token):
    device = TOTPDevice.objects.create(user=editor, name="phone", confirmed=True)
    if token == _totp_token(device):
        token = "111111"
    response = client.post(
        "/otp-admin/login/?next=/otp-admin/",
        {
            "username": "editor",
            "password": PASSWORD,
            "otp_device": device.persistent_id,
            "otp_token": token,
        },
    )
    assert response.status_code == 200
    assert client.get("/otp-admin/").status_code == 302


@pytest.mark.urls(__name__)
def test_with_otp_required_staff_without_a_device_cannot_enter_the_admin(client, editor):
    client.post(
        "/otp-admin/login/?next=/otp-admin/",
        {"username": "editor", "password": PASSWORD, "otp_token": "123456"},
    )
    assert client.get("/otp-admin/").status_code == 302
