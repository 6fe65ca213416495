import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from authors.models import Author
from tests.commentaries.test_admin import opened_at
from tests.factories import AuthorFactory

pytestmark = pytest.mark.django_db


def image(name="face.png", image_format="PNG"):
    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), "navy").save(buffer, format=image_format)
    return SimpleUploadedFile(name, buffer.getvalue())


def author_form(author, photo):
    return {
        "name": author.name,
        "sort_name": author.sort_name,
        "slug": author.slug,
        "email": author.email,
        "short_bio": author.short_bio,
        "long_bio": "",
        "photo": photo,
        "affiliations-TOTAL_FORMS": "0",
        "affiliations-INITIAL_FORMS": "0",
    }


def test_an_svg_photo_is_refused_with_a_message_and_nothing_is_stored(
    admin_client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    author = AuthorFactory()
    svg = SimpleUploadedFile("face.svg", b"<svg onload='alert(1)'/>", content_type="image/svg+xml")
    response = admin_client.post(
        reverse("admin:authors_author_change", args=[author.pk]), author_form(author, svg)
    )
    assert response.status_code == 200
    assert "Upload a valid image" in response.content.decode()
    assert not Author.objects.get(pk=author.pk).photo
    assert not list(tmp_path.rglob("*.svg"))


def test_a_real_image_photo_is_kept(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    author = AuthorFactory()
    response = admin_client.post(
        reverse("admin:authors_author_change", args=[author.pk]),
        author_form(author, image()) | opened_at(author),
    )
    assert response.status_code == 302
    assert Author.objects.get(pk=author.pk).photo.name.startswith("authors/")


def test_an_image_format_we_do_not_serve_is_refused_by_content(admin_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    author = AuthorFactory()
    bitmap = image(name="face.bmp", image_format="BMP")
    response = admin_client.post(
        reverse("admin:authors_author_change", args=[author.pk]), author_form(author, bitmap)
    )
    assert response.status_code == 200
    assert "BMP images are not accepted" in response.content.decode()
    assert not Author.objects.get(pk=author.pk).photo
