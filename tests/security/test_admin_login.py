"""Brute-force lockout (django-axes), open redirects and password strength."""

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.urls import reverse

from pacforum.security import safe_next_url

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
