"""Static pages ("About", "History of the Forum") and series, edited with CKEditor."""

import pytest
from django.contrib.flatpages.models import FlatPage
from django.urls import reverse

from commentaries.models import Series
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(client):
    user = UserFactory(username="editor", groups=["Editors"])
    client.force_login(user)
    return user


def test_page_form_uses_ckeditor(client, editor):
    html = client.get(reverse("admin:flatpages_flatpage_add")).content.decode()
    assert 'class="django_ckeditor_5"' in html


def test_a_page_saved_in_the_admin_is_sanitised_and_served(client, editor):
    response = client.post(
        reverse("admin:flatpages_flatpage_add"),
        {
            "url": "/about/",
            "title": "About the Forum",
            "content": "<h2>Who we are</h2><p>A think tank.<script>alert(1)</script></p>",
            "sites": ["1"],
            "template_name": "",
        },
    )
    assert response.status_code == 302
    assert FlatPage.objects.get().content == "<h2>Who we are</h2><p>A think tank.</p>"
    page = client.get("/about/")
    assert page.status_code == 200
    assert "<h2>Who we are</h2>" in page.content.decode()


def test_series_disclaimer_uses_ckeditor_and_is_sanitised(client, editor):
    html = client.get(reverse("admin:commentaries_series_add")).content.decode()
    assert 'name="disclaimer"' in html and 'class="django_ckeditor_5"' in html
    response = client.post(
        reverse("admin:commentaries_series_add"),
        {
            "name": "PacNet",
            "slug": "pacnet",
            "short_label": "PacNet",
            "description": "",
            "disclaimer": '<p onclick="x()">Views are the authors’ own.</p>',
            "numbering": "yearly",
            "subscribable": "on",
            "position": "0",
        },
    )
    assert response.status_code == 302
    assert Series.objects.get().disclaimer == "<p>Views are the authors’ own.</p>"


def test_the_toolbar_offers_what_a_commentary_needs(settings):
    toolbar = settings.CKEDITOR_5_CONFIGS["default"]["toolbar"]["items"]
    needed = {
        "heading",
        "bold",
        "italic",
        "superscript",
        "link",
        "bulletedList",
        "numberedList",
        "blockQuote",
        "insertTable",
        "insertImage",
        "undo",
        "redo",
    }
    assert needed <= set(toolbar)
    assert "svg" not in settings.CKEDITOR_5_UPLOAD_FILE_TYPES
