"""The upload checks in pacforum/uploads.py refuse what is not a safe image or PDF."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from pacforum.uploads import validate_image_upload, validate_pdf_upload
from tests.factories import pdf_bytes


def image_bytes(image_format, size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, format=image_format)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("name", "image_format", "content_type"),
    [
        ("photo.png", "PNG", "image/png"),
        ("photo.jpg", "JPEG", "image/jpeg"),
        ("photo.JPEG", "JPEG", "image/jpeg"),
        ("photo.gif", "GIF", "image/gif"),
        ("photo.webp", "WEBP", "image/webp"),
    ],
)
def test_real_images_are_accepted_with_the_type_their_content_shows(
    name, image_format, content_type
):
    upload = SimpleUploadedFile(name, image_bytes(image_format), "application/octet-stream")
    assert validate_image_upload(upload) == content_type
    assert upload.tell() == 0


def test_svg_is_refused_even_when_it_claims_to_be_an_image():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(ValidationError) as error:
        validate_image_upload(SimpleUploadedFile("logo.svg", svg, "image/svg+xml"))
    assert error.value.code == "svg"


def test_svg_renamed_to_png_is_refused_by_its_content():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    with pytest.raises(ValidationError) as error:
        validate_image_upload(SimpleUploadedFile("logo.png", svg, "image/png"))
    assert error.value.code == "not_an_image"


def test_html_disguised_as_a_jpeg_is_refused():
    html = b"<html><script>document.cookie</script></html>"
    with pytest.raises(ValidationError) as error:
        validate_image_upload(SimpleUploadedFile("photo.jpg", html, "image/jpeg"))
    assert error.value.code == "not_an_image"


def test_an_image_whose_name_lies_about_its_format_is_refused():
    upload = SimpleUploadedFile("photo.png", image_bytes("JPEG"), "image/png")
    with pytest.raises(ValidationError) as error:
        validate_image_upload(upload)
    assert error.value.code == "extension_mismatch"
    assert "JPEG" in error.value.message % error.value.params


def test_an_image_format_we_do_not_serve_is_refused():
    upload = SimpleUploadedFile("photo.bmp", image_bytes("BMP"), "image/bmp")
    with pytest.raises(ValidationError) as error:
        validate_image_upload(upload)
    assert error.value.code == "format"


def test_an_image_over_the_size_limit_is_refused(settings):
    settings.UPLOAD_MAX_IMAGE_BYTES = 1024
    upload = SimpleUploadedFile("big.png", image_bytes("PNG", (300, 300)) + b"\0" * 2048)
    with pytest.raises(ValidationError) as error:
        validate_image_upload(upload)
    assert error.value.code == "too_large"


def test_an_image_with_too_many_pixels_is_refused():
    buffer = io.BytesIO()
    Image.new("1", (10_000, 5_000)).save(buffer, format="PNG")
    with pytest.raises(ValidationError) as error:
        validate_image_upload(SimpleUploadedFile("huge.png", buffer.getvalue()))
    assert error.value.code == "too_many_pixels"


def test_a_truncated_image_is_refused():
    data = image_bytes("PNG", (64, 64))
    with pytest.raises(ValidationError) as error:
        validate_image_upload(SimpleUploadedFile("broken.png", data[: len(data) // 2]))
    assert error.value.code == "not_an_image"


def test_an_empty_file_is_refused():
    with pytest.raises(ValidationError) as error:
        validate_image_upload(SimpleUploadedFile("empty.png", b""))
    assert error.value.code == "empty"


def test_a_pdf_is_accepted_by_its_content():
    upload = SimpleUploadedFile("brief.pdf", pdf_bytes())
    assert validate_pdf_upload(upload) == "application/pdf"


def test_a_file_named_pdf_that_is_not_a_pdf_is_refused():
    with pytest.raises(ValidationError):
        validate_pdf_upload(SimpleUploadedFile("brief.pdf", b"<html>not a pdf</html>"))


def test_a_pdf_over_the_size_limit_is_refused(settings):
    settings.UPLOAD_MAX_PDF_BYTES = 100
    with pytest.raises(ValidationError) as error:
        validate_pdf_upload(SimpleUploadedFile("brief.pdf", pdf_bytes() + b"x" * 200))
    assert error.value.code == "too_large"


def test_the_checks_work_as_validators_on_a_model_file_field():
    from authors.models import Author

    author = Author(name="Photo Owner", slug="photo-owner")
    author.photo = SimpleUploadedFile("portrait.png", image_bytes("PNG"))
    assert validate_image_upload(author.photo) == "image/png"
    author.photo = SimpleUploadedFile("portrait.png", b"<svg></svg>")
    with pytest.raises(ValidationError):
        validate_image_upload(author.photo)
