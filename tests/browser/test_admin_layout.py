"""The admin at 1280 × 800: no sideways scrolling, inputs wide enough for
real titles, change-list columns no narrower than their headers."""

import pytest
from playwright.sync_api import expect

from tests.factories import (
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    SeriesFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = (
    "Alliances in a hotter Pacific: what rising seas, failing fisheries and "
    "new bases mean for the region's partners and their neighbours"
)


@pytest.fixture
def admin_page(live_server, browser):
    UserFactory(username="editor", password="a-long-test-password", groups=["Editors"])
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    yield page
    context.close()


def test_the_change_form_fits_1280_pixels_and_shows_a_120_character_title(
    live_server, admin_page, output_path
):
    assert len(TITLE) >= 120
    piece = CommentaryFactory(
        series=SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet"), title=TITLE
    )
    for _ in range(3):
        BylineFactory(commentary=piece, author=AuthorFactory(), bio="is a fellow. " * 8)
    page = admin_page
    page.goto(f"{live_server.url}/admin/commentaries/commentary/{piece.pk}/change/")
    expect(page.locator(".ck-editor__editable")).to_be_visible()
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths[0] <= widths[1], f"page is {widths[0]} px wide in a {widths[1]} px window"
    for field in ("#id_title", "#id_slug"):
        box = page.locator(field)
        box.fill(TITLE[:120])
        scroll, client = box.evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert scroll <= client, f"{field} shows {client} of {scroll} px"
    page.screenshot(path=f"{output_path}/admin-1280.png", full_page=True)
    delete = page.locator("#bylines-group td.delete").first
    right = delete.evaluate("el => el.getBoundingClientRect().right")
    assert right <= 1280


def test_no_change_list_column_is_narrower_than_its_header_word(live_server, admin_page):
    series = SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")
    for n in range(5):
        piece = CommentaryFactory(series=series, title=TITLE, published=True)
        BylineFactory(commentary=piece, author=AuthorFactory(name=f"Author Number{n} Lee"))
    page = admin_page
    for url in ("/admin/commentaries/commentary/", "/admin/authors/author/"):
        page.goto(live_server.url + url)
        squeezed = page.evaluate(
            """() => Array.from(document.querySelectorAll('#result_list thead th')).filter(th => {
                 const text = th.querySelector('.text') || th;
                 const range = document.createRange();
                 range.selectNodeContents(text);
                 const words = text.textContent.trim().split(/\\s+/).filter(Boolean);
                 if (!words.length) return false;
                 const probe = document.createElement('span');
                 probe.style.whiteSpace = 'nowrap';
                 probe.style.font = getComputedStyle(text).font;
                 probe.style.textTransform = getComputedStyle(text).textTransform;
                 probe.style.letterSpacing = getComputedStyle(text).letterSpacing;
                 document.body.appendChild(probe);
                 const widest = Math.max(...words.map(w => {
                   probe.textContent = w;
                   return probe.getBoundingClientRect().width;
                 }));
                 probe.remove();
                 return th.getBoundingClientRect().width + 0.5 < widest;
               }).map(th => th.textContent.trim())"""
        )
        assert squeezed == [], f"{url}: {squeezed}"
        widths = page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert widths[0] <= widths[1], f"{url} is {widths[0]} px wide"
