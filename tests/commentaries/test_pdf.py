import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import CommentaryFactory, pdf_bytes

pytestmark = pytest.mark.django_db

PDF = pdf_bytes()


def test_a_commentary_accepts_a_real_pdf():
    piece = CommentaryFactory.build(pdf=SimpleUploadedFile("pacnet-68.pdf", PDF))
    piece.full_clean(exclude=["series"])


def test_a_file_that_is_not_a_pdf_is_refused_with_a_field_error():
    html = SimpleUploadedFile("pacnet-68.pdf", b"<html><script>alert(1)</script></html>")
    piece = CommentaryFactory.build(pdf=html)
    with pytest.raises(ValidationError) as excinfo:
        piece.full_clean(exclude=["series"])
    assert excinfo.value.message_dict["pdf"] == ["This file is not a PDF."]
