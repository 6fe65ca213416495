"""Two editors on one piece in Chromium: a stale save is refused with the
comparison, typing survives a closed tab, and a lock lapses by itself."""

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from commentaries.models import Commentary
from pacforum.editing.models import FormDraft
from tests.factories import CommentaryFactory, SeriesFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "a-long-test-password"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def piece():
    UserFactory(
        username="ana", first_name="Ana", last_name="Lee", password=PASSWORD, groups=["Editors"]
    )
    UserFactory(
        username="bo", first_name="Bo", last_name="Kim", password=PASSWORD, groups=["Editors"]
    )
    return CommentaryFactory(
        series=SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet"),
        title="Ports in the Pacific",
        body="<p>The first paragraph.</p>",
    )


def open_as(browser, live_server, username, piece):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/commentaries/commentary/{piece.pk}/change/")
    return context, page


def save(page):
    page.locator("input[name='_continue']").click()


def test_the_second_save_is_refused_with_both_versions(browser, live_server, piece):
    ana_context, ana = open_as(browser, live_server, "ana", piece)
    bo_context, bo = open_as(browser, live_server, "bo", piece)
    expect(bo.locator(".editing-lock")).to_contain_text("Ana Lee has been editing since")

    ana.get_by_label("Title").fill("Ports and cables in the Pacific")
    save(ana)
    expect(ana.locator(".messagelist")).to_contain_text("was changed successfully")

    bo.get_by_label("Title").fill("Harbours in the Pacific")
    save(bo)
    expect(bo.locator(".errornote")).to_be_visible()
    expect(bo.locator(".errorlist")).to_contain_text("Ana Lee saved this piece at")
    conflict = bo.locator(".editing-conflict")
    expect(conflict.locator("del")).to_contain_text("Ports and cables")
    expect(conflict.locator("ins")).to_contain_text("Harbours")
    expect(bo.get_by_label("Title")).to_have_value("Harbours in the Pacific")
    if os.environ.get("UPDATE_SCREENSHOTS"):
        bo.screenshot(path=DOCS_SCREENSHOTS / "admin-stale-save.png")
    assert Commentary.objects.get().title == "Ports and cables in the Pacific"
    refused = FormDraft.objects.get(kind=FormDraft.Kind.REFUSED)
    assert refused.data["title"] == ["Harbours in the Pacific"]

    # Having seen Ana's version, Bo saves his on purpose.
    save(bo)
    expect(bo.locator(".messagelist")).to_contain_text("was changed successfully")
    assert Commentary.objects.get().title == "Harbours in the Pacific"
    ana_context.close()
    bo_context.close()


def test_typing_survives_a_closed_tab_and_is_restored_in_another_browser(
    browser, live_server, piece, settings
):
    settings.EDIT_PULSE_SECONDS = 1
    first_context, page = open_as(browser, live_server, "ana", piece)
    editor = page.locator(".ck-editor__editable")
    editor.click()
    page.keyboard.press("Control+End")
    page.keyboard.press("Enter")
    page.keyboard.type("A paragraph typed before the tab closed.")
    expect(page.locator(".editing-autosave")).to_contain_text("Draft autosaved at", timeout=10000)
    for _ in range(20):  # the heartbeat after the last keystroke carries all of it
        draft = FormDraft.objects.filter(kind=FormDraft.Kind.AUTOSAVE).first()
        if draft and "before the tab closed." in draft.data["body"][0]:
            break
        page.wait_for_timeout(500)
    assert "A paragraph typed before the tab closed." in draft.data["body"][0]
    # The browser asks before leaving a form with unsaved changes.
    # The reader confirms leaving. A listener must answer the dialog itself:
    # left open, Chromium crashes when its context is closed under it.
    dialogs = []

    def leave(dialog):
        dialogs.append(dialog.type)
        dialog.accept()

    page.on("dialog", leave)
    with page.expect_event("close"):
        page.close(run_before_unload=True)
    first_context.close()
    assert "A paragraph typed before the tab closed." not in Commentary.objects.get().body

    second_context, again = open_as(browser, live_server, "ana", piece)
    again.get_by_role("link", name="Restore them").click()
    expect(again.locator(".ck-editor__editable")).to_contain_text(
        "A paragraph typed before the tab closed."
    )
    save(again)
    expect(again.locator(".messagelist")).to_contain_text("was changed successfully")
    assert "A paragraph typed before the tab closed." in Commentary.objects.get().body
    assert dialogs == ["beforeunload"]
    second_context.close()


def test_a_lock_lapses_once_its_heartbeat_stops(browser, live_server, piece, settings):
    settings.EDIT_PULSE_SECONDS = 1
    settings.EDIT_LOCK_SECONDS = 3
    ana_context, _ana = open_as(browser, live_server, "ana", piece)
    bo_context, bo = open_as(browser, live_server, "bo", piece)
    lock_line = bo.locator(".editing-lock")
    expect(lock_line).to_contain_text("Ana Lee has been editing since")
    # Ana's heartbeat keeps the lock past its 3 seconds.
    bo.wait_for_timeout(4500)
    expect(lock_line).to_contain_text("Ana Lee has been editing since")
    ana_context.close()  # her page stops sending heartbeats
    expect(lock_line).to_have_text("", timeout=10000)
    bo_context.close()
