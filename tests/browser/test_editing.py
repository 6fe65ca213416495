"""An editor writes, signs and publishes a commentary in the real admin."""

import os
import re
import shutil
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import expect

from commentaries.models import Commentary
from tests.factories import AuthorFactory, SeriesFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADD_AUTHOR = re.compile("add another author", re.IGNORECASE)
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def choose_author(page, row, name):
    """Pick an author in a byline row through the admin's autocomplete."""
    page.locator(f"#bylines-{row} .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill(name.split()[0])
    page.locator(".select2-results__option", has_text=name).click()


def test_editor_writes_signs_and_publishes_a_commentary(live_server, page, output_path):
    SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")
    AuthorFactory(name="Ana Lee", short_bio="is a fellow at the Forum.")
    AuthorFactory(name="Bo Kim", short_bio="is a professor in Seoul.")
    UserFactory(username="editor", password="a-long-test-password", groups=["Editors"])

    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My drafts")).to_be_visible()

    page.goto(live_server.url + "/admin/commentaries/commentary/add/")
    page.get_by_label("Series").select_option(label="PacNet")
    page.get_by_label("Title").press_sequentially("Alliances in a hotter Pacific")
    expect(page.get_by_label("Slug")).to_have_value("alliances-in-a-hotter-pacific")
    page.get_by_label("Summary").fill("Why climate is now a security question.")
    expect(page.locator(".summary-counter")).to_have_text("39 of 500 characters")

    editor = page.locator(".ck-editor__editable")
    editor.click()
    page.keyboard.type("## The heat is on")
    page.keyboard.press("Enter")
    page.keyboard.type("The seas are ")
    page.keyboard.press("Control+B")
    page.keyboard.type("rising")
    page.keyboard.press("Control+B")
    page.keyboard.type(" and the alliances are ")
    page.keyboard.press("Control+I")
    page.keyboard.type("straining")
    page.keyboard.press("Control+I")
    page.keyboard.type(".")
    page.keyboard.press("Enter")
    page.keyboard.type("* Deterrence")
    page.keyboard.press("Enter")
    page.keyboard.type("Diplomacy")
    expect(editor.locator("h2")).to_have_text("The heat is on")

    # Added in the wrong order, then put right with "Move up".
    page.get_by_role("button", name=ADD_AUTHOR).click()
    choose_author(page, 0, "Bo Kim")
    page.get_by_role("button", name=ADD_AUTHOR).click()
    choose_author(page, 1, "Ana Lee")
    expect(page.locator("#id_bylines-0-bio")).to_have_value("is a professor in Seoul.")
    expect(page.locator("#id_bylines-1-bio")).to_have_value("is a fellow at the Forum.")
    page.locator("#bylines-1").get_by_role("button", name="Move up").click()
    expect(page.locator("#id_bylines-1-position")).to_have_value("1")
    expect(page.locator("#id_bylines-0-position")).to_have_value("2")

    # Saved as a draft first: the form then shows its state and the checks
    # before publishing, all met.
    page.get_by_role("button", name="Save draft").first.click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    expect(page.locator(".status-draft")).to_have_text("Draft")
    expect(page.locator(".checklist .check-ok")).to_have_count(5)
    expect(page.locator("#id_bylines-0-bio")).to_have_value("is a fellow at the Forum.")
    page.screenshot(path=f"{output_path}/admin-change-form.png", full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS"):
        shutil.copyfile(
            f"{output_path}/admin-change-form.png", DOCS_SCREENSHOT / "admin-change-form.png"
        )

    page.get_by_role("button", name="Publish or schedule").first.click()
    expect(page.locator(".messagelist")).to_contain_text("is published")

    piece = Commentary.objects.get()
    assert piece.number == 1
    page.goto(live_server.url + piece.get_absolute_url())
    body = page.locator("article .body")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "PacNet #1 – Alliances in a hotter Pacific"
    )
    expect(body.locator("h2")).to_have_text("The heat is on")
    expect(body.locator("strong")).to_have_text("rising")
    expect(body.locator("i")).to_have_text("straining")
    expect(body.locator("ul li")).to_have_text(["Deterrence", "Diplomacy"])
    # The readers' closing paragraphs: "Name (email, where allowed) bio".
    expect(page.locator(".closing-byline")).to_have_text(
        [
            re.compile(r"^Ana Lee .*is a fellow at the Forum\.$"),
            re.compile(r"^Bo Kim .*is a professor in Seoul\.$"),
        ]
    )
    page.screenshot(path=f"{output_path}/published-page.png", full_page=True)


def test_editor_uploads_an_image_and_a_bad_file_gets_a_clear_message(
    live_server, page, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")
    UserFactory(username="editor", password="a-long-test-password", groups=["Editors"])
    picture = tmp_path / "harbour.png"
    Image.new("RGB", (40, 20), "teal").save(picture)
    fake = tmp_path / "notes.png"
    fake.write_text("not an image")

    page.goto(live_server.url + "/admin/login/?next=/admin/commentaries/commentary/add/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    editor = page.locator(".ck-editor__editable")
    editor.click()
    file_input = page.locator(".ck-file-dialog-button input[type=file]").first

    file_input.set_input_files(str(picture))
    expect(editor.locator("img")).to_have_attribute("src", re.compile(r"^/media/editor/.+\.png$"))
    # Stored under a generated name, never the file's own.
    (stored,) = (tmp_path / "media").glob("editor/*/*/*.png")
    assert re.fullmatch(r"[0-9a-f]{32}\.png", stored.name)

    with page.expect_event("dialog") as refusal:
        file_input.set_input_files(str(fake))
    assert refusal.value.message.startswith("“notes.png”: This file is not an image")
    refusal.value.dismiss()
    expect(editor.locator("img[src*='notes']")).to_have_count(0)
