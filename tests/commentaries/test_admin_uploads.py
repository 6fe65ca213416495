"""Images uploaded from the rich-text editor: staff only, real images only."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

UPLOAD = reverse("admin:editor_image_upload")


def image_file(name="map.png", image_format="PNG", size=(20, 10)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "navy").save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue())


@pytest.fixture
def staff(client):
    user = UserFactory(groups=["Contributors"])
    client.force_login(user)
    return user


def error_of(response):
    return response.json()["error"]["message"]


def test_staff_can_upload_a_png_and_get_its_url(client, staff, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = client.post(UPLOAD, {"upload": image_file()})
    assert response.status_code == 200
    url = response.json()["url"]
    assert url.startswith("/media/editor/") and url.endswith(".png")
    assert list(tmp_path.glob("editor/*/*/*.png"))


def test_anonymous_visitors_cannot_upload(client):
    response = client.post(UPLOAD, {"upload": image_file()})
    assert response.status_code == 403
    assert error_of(response) == "Only staff can upload images."


def test_non_staff_users_cannot_upload(client):
    client.force_login(UserFactory(is_staff=False))
    assert client.post(UPLOAD, {"upload": image_file()}).status_code == 403


def test_svg_is_refused_with_the_accepted_types(client, staff):
    svg = SimpleUploadedFile("logo.svg", b"<svg onload='alert(1)'></svg>")
    response = client.post(UPLOAD, {"upload": svg})
    assert response.status_code == 400
    assert error_of(response) == (
        "“logo.svg”: SVG images are not accepted: upload a PNG, JPEG, GIF or WebP instead."
    )


def test_a_text_file_named_like_an_image_is_refused(client, staff):
    fake = SimpleUploadedFile("photo.jpg", b"<script>alert(1)</script>")
    response = client.post(UPLOAD, {"upload": fake})
    assert response.status_code == 400
    assert error_of(response) == (
        "“photo.jpg”: This file is not an image we can accept: upload a PNG, JPEG, GIF or WebP."
    )


def test_an_image_whose_content_does_not_match_its_name_is_refused(client, staff):
    response = client.post(UPLOAD, {"upload": image_file(name="photo.jpg", image_format="GIF")})
    assert response.status_code == 400
    assert "the file is a GIF image" in error_of(response)


def test_a_file_over_the_size_limit_is_refused(client, staff, settings):
    settings.UPLOAD_MAX_IMAGE_BYTES = 1000
    response = client.post(
        UPLOAD, {"upload": image_file(size=(400, 400), image_format="BMP", name="big.png")}
    )
    assert response.status_code == 400
    assert "the limit is 1000" in error_of(response)


def test_a_request_without_a_file_explains_what_is_missing(client, staff):
    response = client.post(UPLOAD, {})
    assert response.status_code == 400
    assert error_of(response) == "Choose an image file to upload."
