import io
import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client
from PIL import Image

from tests.factories import CommentaryFactory

pytestmark = pytest.mark.django_db


def test_favicon_ico_is_served_at_the_root_with_three_sizes(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert "max-age=604800" in response["Cache-Control"]
    with Image.open(io.BytesIO(response.content)) as icon:
        assert icon.format == "ICO"
        assert {(16, 16), (32, 32), (48, 48)} <= set(icon.info["sizes"])


def test_every_page_links_an_icon_set_whose_files_exist(client):
    piece = CommentaryFactory(published=True)
    for url in ("/", piece.get_absolute_url(), "/search/?q=x", "/no/such/page/"):
        page = Client().get(url).content.decode()
        links = re.findall(r'<link rel="(icon|apple-touch-icon|manifest)" href="([^"]+)"', page)
        assert {rel for rel, _href in links} == {"icon", "apple-touch-icon", "manifest"}, url
        for _rel, href in links:
            if href.startswith("/static/"):
                assert finders.find(href.removeprefix("/static/")), href
            else:
                assert client.get(href).status_code == 200, href


def test_the_web_manifest_names_the_site_and_its_icons_exist(client, settings):
    manifest = json.loads(client.get("/site.webmanifest").content)
    assert manifest["name"] == settings.SITE_NAME
    for icon in manifest["icons"]:
        with Image.open(finders.find(icon["src"].removeprefix("/static/"))) as image:
            assert f"{image.width}x{image.height}" == icon["sizes"]
