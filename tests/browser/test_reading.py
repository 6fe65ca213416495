import pytest
from django.contrib.flatpages.models import FlatPage
from django.contrib.sites.models import Site

from tests.factories import (
    AffiliationFactory,
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    SeriesFactory,
    TopicFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def archive():
    series = SeriesFactory(
        name="PacNet",
        slug="pacnet",
        short_label="PacNet",
        description="Short, timely commentary.",
        disclaimer="<p>Views are the authors’ own.</p>",
    )
    topic = TopicFactory(name="Maritime security", slug="maritime-security", featured=True)
    author = AuthorFactory(
        name="Saeme Kim",
        slug="saeme-kim",
        email="saeme.kim@example.org",
        show_email=True,
        short_bio="is a PhD candidate at an institute.",
        long_bio="<p>Saeme works on alliances.</p>",
    )
    AffiliationFactory(author=author, organization__name="Coral Institute")
    co_author = AuthorFactory(name="Ana Lim", slug="ana-lim", show_email=False)
    original = CommentaryFactory(
        published=True,
        series=series,
        number=67,
        title="Coast guards and the new fisheries rules",
        summary="What the new rules change for coast guards.",
        body="<p>Coast guards patrol <strong>fisheries</strong>.</p><h2>Next steps</h2>"
        "<ul><li>Share data.</li><li>Train crews.</li></ul>",
    )
    piece = CommentaryFactory(
        published=True,
        series=series,
        number=68,
        title="Resetting ties after the intelligence pact",
        summary="Both capitals need a face-saving compromise.",
        body="<p>The pact bought time.</p><blockquote><p>A quote.</p></blockquote>"
        "<p>Ties need mending quickly.</p>",
        responds_to=original,
        original_publication="The Example Times",
        original_url="https://example.org/times",
    )
    for item in (original, piece):
        BylineFactory(commentary=item, author=author)
        item.topics.add(topic)
    BylineFactory(commentary=piece, author=co_author)
    about = FlatPage.objects.create(
        url="/about/", title="About", content="<p>An independent institute.</p>"
    )
    about.sites.add(Site.objects.get_current())
    return piece


def page_types(piece):
    return {
        "home": "/",
        "series": "/pacnet/",
        "year": f"/pacnet/{piece.year}/",
        "commentary": piece.get_absolute_url(),
        "authors": "/authors/",
        "author": "/authors/saeme-kim/",
        "topics": "/topics/",
        "topic": "/topics/maritime-security/",
        "search": "/search/?q=coast+guards",
        "empty search": "/search/?q=",
        "search error": "/search/?q=" + "x" * 501,
        "static page": "/about/",
        "not found": "/no/such/page/here/",
    }


@pytest.mark.parametrize(
    "name",
    [
        "home",
        "series",
        "year",
        "commentary",
        "authors",
        "author",
        "topics",
        "topic",
        "search",
        "empty search",
        "search error",
        "static page",
        "not found",
    ],
)
def test_every_page_type_is_valid_html_and_accessible(
    live_server, page, html_validator, run_axe, tmp_path, archive, name
):
    url = page_types(archive)[name]
    page.goto(live_server.url + url)
    assert page.locator("h1").first.is_visible()
    response_html = page.request.get(live_server.url + url).text()
    assert html_validator(response_html, tmp_path) == [], name
    assert run_axe(page) == [], name


def test_the_directory_a_letter_at_a_time_is_valid_html_and_accessible(
    live_server, page, html_validator, run_axe, tmp_path, archive, monkeypatch
):
    from commentaries.author_views import AuthorListView

    monkeypatch.setattr(AuthorListView, "ONE_PAGE_LIMIT", 1)
    monkeypatch.setattr(AuthorListView, "PER_PAGE", 1)
    url = live_server.url + "/authors/?letter=K"
    page.goto(url)
    assert page.locator("[aria-current=page]").inner_text().startswith("K")
    assert html_validator(page.request.get(url).text(), tmp_path) == []
    assert run_axe(page) == []


def test_a_reader_searches_opens_a_result_and_follows_author_and_topic_links(
    live_server, page, archive
):
    page.goto(live_server.url + "/")
    page.get_by_role("searchbox", name="Search commentaries").fill("intelligence pact")
    page.get_by_role("button", name="Search").first.click()
    page.get_by_role("link", name="PacNet #68 – Resetting ties after the intelligence pact").click()
    assert page.get_by_role("heading", level=1).inner_text() == (
        "PacNet #68 – Resetting ties after the intelligence pact"
    )
    page.get_by_role("link", name="Saeme Kim").first.click()
    assert page.get_by_role("heading", level=1).inner_text() == "Saeme Kim"
    page.goto(live_server.url + archive.get_absolute_url())
    page.locator(".tags").get_by_role("link", name="Maritime security").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Maritime security"
    assert page.get_by_role("link", name="PacNet #68 – Resetting ties after the intelligence pact")


def test_protected_email_becomes_a_working_mailto_link_with_javascript(live_server, page, archive):
    page.goto(live_server.url + archive.get_absolute_url())
    link = page.locator(".closing a.email")
    assert link.get_attribute("href") == "mailto:saeme.kim@example.org"
    assert link.inner_text() == "saeme.kim@example.org"


def test_every_page_type_is_readable_at_320_pixels_without_sideways_scrolling(
    live_server, page, archive
):
    page.set_viewport_size({"width": 320, "height": 640})
    for name, url in page_types(archive).items():
        page.goto(live_server.url + url)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, name


def test_print_shows_the_article_bylines_and_disclaimer_but_not_navigation(
    live_server, page, archive
):
    page.goto(live_server.url + archive.get_absolute_url())
    page.emulate_media(media="print")
    assert page.locator(".closing-byline").first.is_visible()
    assert page.locator(".disclaimer").is_visible()
    assert not page.locator(".site-nav").is_visible()
    assert not page.locator(".site-search").is_visible()


def test_the_home_pages_series_links_are_comfortable_touch_targets(live_server, page, archive):
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto(live_server.url + "/")
    links = page.locator(".series-newest a")
    assert links.count() == 2
    for index in range(links.count()):
        box = links.nth(index).bounding_box()
        assert box["height"] >= 44, links.nth(index).inner_text()
        assert box["width"] >= 44, links.nth(index).inner_text()


def test_the_favicon_loads_without_a_console_error(live_server, page, archive):
    errors = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.goto(live_server.url + archive.get_absolute_url())
    page.wait_for_load_state("networkidle")
    assert page.request.get(live_server.url + "/favicon.ico").status == 200
    assert errors == []


def _background(page):
    return page.evaluate("getComputedStyle(document.body).backgroundColor")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_type_passes_axe_in_both_colour_schemes(
    live_server, page, run_axe, archive, scheme
):
    page.emulate_media(color_scheme=scheme)
    for name, url in page_types(archive).items():
        page.goto(live_server.url + url)
        expected = "rgb(19, 23, 28)" if scheme == "dark" else "rgb(255, 255, 255)"
        assert _background(page) == expected, name
        assert run_axe(page) == [], f"{name} ({scheme})"


def test_print_stays_light_in_dark_mode(live_server, page, archive):
    page.emulate_media(color_scheme="dark", media="print")
    page.goto(live_server.url + archive.get_absolute_url())
    assert _background(page) == "rgb(255, 255, 255)"
    colour = page.evaluate("getComputedStyle(document.querySelector('.body p')).color")
    assert colour == "rgb(0, 0, 0)"
