"""Footnotes pasted from Word and Google Docs come out linked both ways.

The clipboard payloads in tests/commentaries/clipboard/ are the HTML those
programs put on the clipboard for a document with two footnotes (written for
these tests, in their markup). Each is put on Chromium's real clipboard and
pasted into CKEditor with Ctrl+V; the piece is saved in the admin and read on
its preview page."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from commentaries.models import Commentary
from tests.factories import SeriesFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CLIPBOARD = Path(__file__).resolve().parents[1] / "commentaries" / "clipboard"


@pytest.fixture
def browser_context_args(browser_context_args):
    return {**browser_context_args, "permissions": ["clipboard-read", "clipboard-write"]}


def copy_html(page, html):
    page.evaluate(
        """async (html) => {
            const item = new ClipboardItem({
                "text/html": new Blob([html], {type: "text/html"}),
                "text/plain": new Blob(["(plain text)"], {type: "text/plain"}),
            });
            await navigator.clipboard.write([item]);
        }""",
        html,
    )


@pytest.mark.parametrize("source", ["word", "google-docs"])
def test_footnotes_pasted_from_a_word_processor_link_both_ways(live_server, page, run_axe, source):
    SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")
    UserFactory(username="editor", password="a-long-test-password", groups=["Editors"])
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()

    page.goto(live_server.url + "/admin/commentaries/commentary/add/")
    page.get_by_label("Series").select_option(label="PacNet")
    page.get_by_label("Title").fill(f"Reef patrols ({source})")
    editor = page.locator(".ck-editor__editable")
    editor.click()
    copy_html(page, (CLIPBOARD / f"{source}.html").read_text(encoding="utf-8"))
    page.keyboard.press("Control+V")
    expect(editor).to_contain_text("Coast guards patrol the reef every week.")
    expect(editor).to_contain_text("Annual Report")
    page.locator("input[name=_save]").click()
    expect(page.locator(".messagelist")).to_contain_text("added successfully")

    piece = Commentary.objects.get(title=f"Reef patrols ({source})")
    assert 'role="doc-endnotes"' in piece.body
    page.goto(live_server.url + f"/preview/{piece.pk}/")
    notes = page.locator("section.footnotes[role=doc-endnotes]")
    expect(notes.get_by_role("heading", name="Notes")).to_be_visible()
    expect(notes.locator("li")).to_have_count(2)
    expect(notes.locator("li").nth(0)).to_contain_text("Regional Fisheries Agency, Annual Report")
    expect(notes.locator("li").nth(1)).to_contain_text("See the new rules.")

    for n in (1, 2):
        page.locator(f"#fnref{n}").click()
        assert page.url.endswith(f"#fn{n}")
        expect(page.locator(f"#fn{n}")).to_be_in_viewport()
        page.locator(f"#fn{n} a[role=doc-backlink]").click()
        assert page.url.endswith(f"#fnref{n}")
        expect(page.locator(f"#fnref{n}")).to_be_in_viewport()

    assert run_axe(page) == []
    page.emulate_media(media="print")
    expect(notes).to_be_visible()
    expect(notes.locator("li").nth(1)).to_contain_text("See the new rules.")
