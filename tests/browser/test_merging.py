"""An editor merges two records of one author in Chromium."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from authors.models import Author
from tests.factories import AuthorFactory, BylineFactory, CommentaryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username):
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()


def test_merge_keeps_both_bios_as_chosen_and_redirects_the_old_profile(live_server, page):
    UserFactory(username="editor", password="a-long-test-password", groups=["Editors"])
    keep = AuthorFactory(
        name="Ana Lee", slug="ana-lee", long_bio="<p>Ana covers ports.</p>", show_email=False
    )
    other = AuthorFactory(
        name="Ana Lee", slug="ana-lee-2", long_bio="<p>Ana wrote on cables.</p>", show_email=True
    )
    BylineFactory(author=keep, commentary=CommentaryFactory(published=True))
    BylineFactory(author=other, commentary=CommentaryFactory(published=True))
    log_in(page, live_server, "editor")

    page.goto(live_server.url + "/admin/authors/author/")
    page.locator(f"input[name='_selected_action'][value='{keep.pk}']").check()
    page.locator(f"input[name='_selected_action'][value='{other.pk}']").check()
    page.locator("select[name='action']").select_option("merge_authors")
    page.locator("button[name=index]").click()

    expect(page.get_by_role("heading", name="Merge duplicate authors")).to_be_visible()
    expect(page.locator(".merge-table")).to_contain_text(keep.email)
    expect(page.locator(".merge-table")).to_contain_text(other.email)
    # "Show email" defaults to on: one of the records printed its email.
    expect(page.locator(f"#id_show_email_{other.pk}")).to_be_checked()
    page.get_by_label(f"keep Ana Lee’s record ({keep.slug})").check()
    if os.environ.get("UPDATE_SCREENSHOTS"):
        page.set_viewport_size({"width": 1280, "height": 800})
        docs = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
        page.screenshot(path=docs / "admin-merge-authors.png", full_page=True)
    page.locator("#id_long_bio_both").check()
    page.get_by_role("button", name="Merge").click()
    expect(page.locator(".messagelist")).to_contain_text("Merged Ana Lee into Ana Lee")

    merged = Author.objects.get()
    assert merged.pk == keep.pk
    assert merged.long_bio == "<p>Ana covers ports.</p>\n<p>Ana wrote on cables.</p>"
    assert merged.show_email is True

    response = page.goto(live_server.url + "/authors/ana-lee-2/")
    assert response.url == live_server.url + "/authors/ana-lee/"
    assert response.request.redirected_from.response().status == 301
    expect(page.locator("main")).to_contain_text("Ana wrote on cables.")
