import io
import json
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from PIL import Image

from commentaries.models import Commentary, Series
from tests.factories import CommentaryFactory, SeriesFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def image_bytes(width, height, fmt="JPEG", color=(30, 90, 160)):
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), color)
    (image.convert("P") if fmt == "GIF" else image).save(out, fmt)
    return out.getvalue()


def upload(name, width, height, fmt="JPEG"):
    return SimpleUploadedFile(name, image_bytes(width, height, fmt))


def html(response):
    return response.content.decode()


def files_under(root):
    return sorted(p.relative_to(root).as_posix() for p in Path(root).rglob("*") if p.is_file())


def test_saving_a_new_image_makes_webp_and_original_format_sizes_once(media):
    piece = CommentaryFactory(image=upload("harbour.jpg", 2000, 1000), image_alt="A harbour")
    piece.refresh_from_db()
    assert (piece.image_width, piece.image_height) == (2000, 1000)
    assert piece.image_renditions["source"] == piece.image.name
    sizes = {(s["width"], s["type"]) for s in piece.image_renditions["sizes"]}
    assert sizes == {(w, t) for w in (480, 800, 1200, 1600) for t in ("image/webp", "image/jpeg")}
    for size in piece.image_renditions["sizes"]:
        with Image.open(media / size["name"]) as made:
            assert made.size == (size["width"], size["height"])
            assert made.format == ("WEBP" if size["type"] == "image/webp" else "JPEG")
    before = files_under(media)
    piece.title = "Edited"
    piece.save()
    assert files_under(media) == before, "sizes are made once, on upload"


def test_a_small_image_gets_one_size_at_its_own_width_and_a_gif_falls_back_to_png():
    piece = CommentaryFactory(image=upload("map.gif", 300, 200, "GIF"), image_alt="A map")
    sizes = {(s["width"], s["height"], s["type"]) for s in piece.image_renditions["sizes"]}
    assert sizes == {(300, 200, "image/webp"), (300, 200, "image/png")}


def test_a_webp_original_is_served_as_webp_only():
    piece = CommentaryFactory(image=upload("sea.webp", 900, 450, "WEBP"), image_alt="Sea")
    image = piece.own_image
    assert image.webp == ()
    assert [r.width for r in image.fallback] == [480, 800, 900]
    assert {r.type for r in image.fallback} == {"image/webp"}


def test_an_image_set_to_a_stored_files_name_gets_its_sizes_on_save(media):
    """What an importer does: store the file, then point the field at it."""
    from django.core.files.storage import default_storage

    name = default_storage.save(
        "images/2019/featured.png", ContentFile(image_bytes(1300, 650, "PNG"))
    )
    piece = CommentaryFactory(image=name, image_alt="Featured")
    piece.refresh_from_db()
    assert (piece.image_width, piece.image_height) == (1300, 650)
    widths = sorted({s["width"] for s in piece.image_renditions["sizes"]})
    assert widths == [480, 800, 1200, 1300]
    assert all((media / s["name"]).exists() for s in piece.image_renditions["sizes"])


def test_removing_the_image_clears_its_sizes():
    piece = CommentaryFactory(image=upload("a.jpg", 600, 400), image_alt="A")
    piece.image = None
    piece.image_alt = ""
    piece.save()
    piece.refresh_from_db()
    assert piece.image_renditions == {}
    assert piece.own_image is None


def test_an_image_without_a_description_is_refused_on_the_form_and_by_the_database():
    piece = CommentaryFactory.build(image=upload("a.jpg", 600, 400), image_alt="")
    with pytest.raises(ValidationError) as excinfo:
        piece.full_clean(exclude=["series"])
    assert "Describe the image for readers who cannot see it." in excinfo.value.messages
    series = SeriesFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Commentary.objects.filter(pk=CommentaryFactory(series=series).pk).update(
            image="images/x.jpg"
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        Series.objects.filter(pk=series.pk).update(image="images/series/x.jpg")


def test_an_image_goes_through_the_upload_checks():
    fake = SimpleUploadedFile("cover.jpg", b"<svg onload=alert(1)></svg>")
    piece = CommentaryFactory.build(image=fake, image_alt="Cover")
    with pytest.raises(ValidationError) as excinfo:
        piece.full_clean(exclude=["series"])
    assert "image" in excinfo.value.message_dict


def test_the_commentary_page_shares_its_image_in_open_graph_twitter_and_json_ld(client):
    piece = CommentaryFactory(
        published=True, image=upload("harbour.jpg", 2000, 1000), image_alt="A busy harbour"
    )
    page = html(client.get(piece.get_absolute_url()))
    share = next(
        s
        for s in piece.image_renditions["sizes"]
        if s["width"] == 1200 and s["type"] == "image/jpeg"
    )
    url = f"http://testserver/media/{share['name']}"
    assert f'<meta property="og:image" content="{url}">' in page
    assert '<meta property="og:image:width" content="1200">' in page
    assert '<meta property="og:image:height" content="600">' in page
    assert '<meta property="og:image:alt" content="A busy harbour">' in page
    assert '<meta name="twitter:card" content="summary_large_image">' in page
    assert f'<meta name="twitter:image" content="{url}">' in page
    data = json.loads(
        re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    )
    assert data["image"] == {
        "@type": "ImageObject",
        "url": url,
        "width": 1200,
        "height": 600,
        "caption": "A busy harbour",
    }


def test_the_commentary_page_shows_its_image_with_a_srcset_whose_files_exist(client, media):
    piece = CommentaryFactory(
        published=True, image=upload("harbour.jpg", 1000, 500), image_alt="A busy harbour"
    )
    page = html(client.get(piece.get_absolute_url()))
    figure = re.search(r'<figure class="lead-image">(.*?)</figure>', page, re.S).group(1)
    webp = re.search(r'<source type="image/webp" srcset="([^"]+)"', figure).group(1)
    fallback = re.search(r'<img src="[^"]+" srcset="([^"]+)"', figure).group(1)
    assert 'width="1000" height="500" alt="A busy harbour"' in figure
    assert 'loading="lazy"' not in figure, "the image at the top is not lazy"
    for srcset, extension in ((webp, ".webp"), (fallback, ".jpg")):
        candidates = [c.strip().split(" ") for c in srcset.split(",")]
        assert [w for _url, w in candidates] == ["480w", "800w", "1000w"]
        for url, _width in candidates:
            assert url.endswith(extension)
            assert (media / url.removeprefix("/media/")).is_file()


def test_a_piece_without_an_image_shares_its_series_default(client):
    series = SeriesFactory(image=upload("pacnet.png", 1200, 630, "PNG"), image_alt="PacNet")
    piece = CommentaryFactory(published=True, series=series)
    page = html(client.get(piece.get_absolute_url()))
    assert '<meta property="og:image" content="http://testserver/media/images/series/' in page
    assert '<meta property="og:image:type" content="image/png">' in page
    assert '<figure class="lead-image">' not in page, "the series image is for sharing only"
    assert '<meta property="og:image" ' in html(client.get(series.get_absolute_url()))


def test_a_piece_without_any_image_keeps_the_small_card(client):
    piece = CommentaryFactory(published=True)
    page = html(client.get(piece.get_absolute_url()))
    assert "og:image" not in page
    assert '<meta name="twitter:card" content="summary">' in page


def test_listings_lazy_load_their_thumbnails(client):
    series = SeriesFactory()
    CommentaryFactory(
        published=True, series=series, image=upload("a.jpg", 900, 600), image_alt="Ships"
    )
    page = html(client.get(series.get_absolute_url()))
    img = re.search(r'<img [^>]*class="thumb"[^>]*>', page).group(0)
    assert 'loading="lazy"' in img
    assert 'alt="Ships"' in img
