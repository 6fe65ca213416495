"""Every entry point that stores a file goes through one pipeline: names are
generated, images re-encoded without metadata, PDFs parsed (pacforum/uploads.py)."""

import io
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models
from django.urls import reverse
from PIL import Image

from authors.models import Author
from tests.commentaries.test_admin import opened_at
from tests.factories import AuthorFactory, CommentaryFactory, UserFactory, pdf_bytes

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>alert(document.domain)</script></body></html>"


def polyglot_png():
    """A valid PNG that also carries HTML, in a text chunk and after its end."""
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", HTML.decode())
    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue() + HTML


def jpeg_with_gps():
    """A JPEG whose EXIF says where it was taken (GPS IFD) and who took it."""
    image = Image.new("RGB", (32, 24), "olive")
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc."  # Make
    exif[0x013B] = "Secret Photographer"  # Artist
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (21.0, 18.0, 25.0)
    gps[3] = "W"
    gps[4] = (157.0, 51.0, 30.0)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    data = buffer.getvalue()
    assert b"Secret Photographer" in data
    return data


def assert_clean_image(data: bytes, image_format: str):
    assert b"<script" not in data and b"<html" not in data
    assert b"Secret Photographer" not in data and b"SpyCam" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == image_format
        assert not image.getexif()
        assert not image.getexif().get_ifd(0x8825)
        assert not {"comment", "Comment", "exif", "icc_profile"} & set(image.info)


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(groups=["Contributors"]))
    return client


# --- the editor's image upload ---------------------------------------------


def test_the_editor_upload_stores_a_polyglot_png_without_its_html(staff_client, media):
    upload = SimpleUploadedFile("chart.png", polyglot_png())
    response = staff_client.post(reverse("admin:editor_image_upload"), {"upload": upload})
    assert response.status_code == 200
    (stored,) = [p for p in media.rglob("*") if p.is_file()]
    assert_clean_image(stored.read_bytes(), "PNG")


def test_the_editor_upload_drops_exif_and_gps_from_a_jpeg(staff_client, media):
    upload = SimpleUploadedFile("harbour.jpg", jpeg_with_gps())
    response = staff_client.post(reverse("admin:editor_image_upload"), {"upload": upload})
    assert response.status_code == 200
    (stored,) = [p for p in media.rglob("*") if p.is_file()]
    assert_clean_image(stored.read_bytes(), "JPEG")
    with Image.open(stored) as image:
        assert image.size == (32, 24)


def test_the_editor_upload_stores_the_file_under_a_generated_name(staff_client, media):
    upload = SimpleUploadedFile("My Secret Plan <draft>.png", polyglot_png())
    url = staff_client.post(reverse("admin:editor_image_upload"), {"upload": upload}).json()["url"]
    assert "Secret" not in url and "Plan" not in url
    assert re.fullmatch(r"/media/editor/\d{4}/\d{2}/[0-9a-f]{32}\.png", url), url


# --- model fields: author photos, commentary PDFs, any field added later ----


def file_fields():
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, models.FileField):
                yield model, field


def test_every_file_field_of_the_project_goes_through_the_pipeline():
    from pacforum.uploads import ImageUploadField, PDFUploadField

    found = list(file_fields())
    assert found, "no file field found: the enumeration is broken"
    for model, field in found:
        expected = ImageUploadField if isinstance(field, models.ImageField) else PDFUploadField
        assert isinstance(field, expected), f"{model.__name__}.{field.name} skips the pipeline"


def test_an_author_photo_uploaded_in_the_admin_is_re_encoded_under_a_generated_name(
    admin_client, media
):
    author = AuthorFactory()
    response = admin_client.post(
        reverse("admin:authors_author_change", args=[author.pk]),
        {
            "name": author.name,
            "sort_name": author.sort_name,
            "slug": author.slug,
            "email": author.email,
            "short_bio": author.short_bio,
            "long_bio": "",
            "photo": SimpleUploadedFile("home-address.jpg", jpeg_with_gps()),
            "affiliations-TOTAL_FORMS": "0",
            "affiliations-INITIAL_FORMS": "0",
            **opened_at(author),
        },
    )
    assert response.status_code == 302, response.content[:2000]
    author.refresh_from_db()
    assert re.fullmatch(r"authors/[0-9a-f]{32}\.jpg", author.photo.name), author.photo.name
    assert_clean_image(Path(author.photo.path).read_bytes(), "JPEG")


def test_a_photo_saved_from_the_shell_goes_through_the_pipeline_too(media):
    author = AuthorFactory()
    author.photo.save("portrait.png", ContentFile(polyglot_png()), save=True)
    assert re.fullmatch(r"authors/[0-9a-f]{32}\.png", author.photo.name)
    assert_clean_image(Path(author.photo.path).read_bytes(), "PNG")
    with pytest.raises(Exception, match="not an image"):
        author.photo.save("portrait.png", ContentFile(HTML), save=True)
    assert Author.objects.get(pk=author.pk).photo.name == author.photo.name


def test_a_model_saved_without_validation_still_cannot_store_html_as_a_photo(media):
    author = AuthorFactory.build()
    author.photo = SimpleUploadedFile("face.png", HTML)
    with pytest.raises(Exception, match="not an image"):
        author.save()
    assert not [p for p in media.rglob("*") if p.is_file()]


def test_a_commentary_pdf_is_stored_under_a_generated_name(media):
    piece = CommentaryFactory()
    piece.pdf = SimpleUploadedFile("Confidential draft v3.pdf", pdf_bytes())
    piece.full_clean(exclude=["series"])
    piece.save()
    assert re.fullmatch(r"pdf/\d{4}/[0-9a-f]{32}\.pdf", piece.pdf.name), piece.pdf.name


def test_an_animated_gif_keeps_its_frames(media):
    frames = [Image.new("RGB", (10, 10), color) for color in ("red", "green", "blue")]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=80)
    author = AuthorFactory()
    author.photo.save("wave.gif", ContentFile(buffer.getvalue()), save=True)
    with Image.open(author.photo.path) as image:
        assert (image.format, image.n_frames) == ("GIF", 3)


# --- PDFs --------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(HTML + b"<!-- %PDF-1.4 -->", id="html-ending-in-a-signature"),
        pytest.param(b"<!-- %PDF-1.4 -->" + HTML, id="signature-not-at-offset-0"),
        pytest.param(b"%PDF-1.4\n" + HTML, id="signature-then-html"),
        pytest.param(b"%PDF-1.4\n1 0 obj <<>> endobj\n" + HTML + b"\n%%EOF", id="no-trailer"),
    ],
)
def test_a_file_that_only_mentions_the_pdf_signature_is_refused(content, media):
    piece = CommentaryFactory()
    piece.pdf = SimpleUploadedFile("brief.pdf", content)
    with pytest.raises(Exception, match="not a PDF"):
        piece.full_clean(exclude=["series"])
    with pytest.raises(Exception, match="not a PDF"):
        piece.save()
    assert not [p for p in media.rglob("*") if p.is_file()]


# --- the WordPress importer ----------------------------------------------------


def test_the_importer_copies_files_through_the_pipeline_and_refuses_html(media, tmp_path):
    from tests.wordpress.conftest import FIXTURES

    uploads = tmp_path / "wp-uploads"
    (uploads / "2021/03").mkdir(parents=True)
    (uploads / "2021/03/patrol-boat.jpg").write_bytes(HTML)
    (uploads / "2021/03/missing-chart.png").write_bytes(polyglot_png())
    archive = tmp_path / "archive.xml"
    archive.write_text((FIXTURES / "archive.xml").read_text(encoding="utf-8"), encoding="utf-8")
    out = io.StringIO()
    call_command("import_wxr", str(archive), "--uploads", str(uploads), stdout=out)
    output = out.getvalue()
    assert "2021/03/patrol-boat.jpg (refused: This file is not an image" in output
    stored = [p for p in (media / "wordpress").rglob("*") if p.is_file()]
    assert len(stored) == 1
    assert re.fullmatch(r"[0-9a-f]{32}\.png", stored[0].name)
    assert_clean_image(stored[0].read_bytes(), "PNG")


# --- serving -------------------------------------------------------------------


def test_uploads_are_served_with_content_disposition_and_nosniff(client, media, settings):
    piece = CommentaryFactory()
    piece.pdf.save("brief.pdf", ContentFile(pdf_bytes()), save=True)
    author = AuthorFactory()
    author.photo.save("face.png", ContentFile(polyglot_png()), save=True)
    pdf = client.get(piece.pdf.url)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("attachment;")
    assert pdf["X-Content-Type-Options"] == "nosniff"
    photo = client.get(author.photo.url)
    assert photo["Content-Type"] == "image/png"
    assert photo["Content-Disposition"].startswith("inline;")
    assert photo["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in photo["Content-Security-Policy"]
    assert client.get("/media/../pacforum/settings.py").status_code in (400, 404)
    assert client.get("/media/%2e%2e/pacforum/settings.py").status_code in (400, 404)


def test_cleaning_a_photo_copies_its_pixels_once(monkeypatch):
    """An upload may hold up to the pixel limit: each copy of its pixels is
    that much memory again."""
    from pacforum.uploads import clean_image

    copies = []
    copy = Image.Image.copy

    def counting(self):
        copies.append(self.size)
        return copy(self)

    monkeypatch.setattr(Image.Image, "copy", counting)
    cleaned = clean_image(ContentFile(jpeg_with_gps(), name="photo.jpg"))
    assert len(copies) == 1
    assert_clean_image(cleaned.read(), "JPEG")
