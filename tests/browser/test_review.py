"""Review in a real browser, a contributor and an editor each in their own
context: submit → request changes → resubmit → approve, with the emails each
step sends read from the outbox and followed."""

import os
import re
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from commentaries.models import Commentary
from commentaries.services import commentary_submit
from tests.factories import (
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    SeriesFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORD = "a-long-test-password"


def log_in(page, live_server, username):
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My drafts")).to_be_visible()


def piece_by(contributor, series, title, author_name):
    piece = CommentaryFactory(series=series, created_by=contributor, title=title)
    BylineFactory(commentary=piece, author=AuthorFactory(name=author_name), bio="is a fellow.")
    return piece


def change_link(message):
    return re.search(r"https?://\S+/admin/commentaries/commentary/\d+/change/", message.body)[0]


def test_submit_request_changes_resubmit_and_approve(
    live_server, page, browser, settings, output_path
):
    settings.SITE_URL = live_server.url
    series = SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")
    UserFactory(username="editor", email="editor@example.org", groups=["Editors"])
    contributor = UserFactory(
        username="ana",
        email="ana@example.org",
        first_name="Ana",
        last_name="Lee",
        groups=["Contributors"],
    )
    piece = piece_by(contributor, series, "Sea lanes in a warming world", "Ana Lee")
    # Two pieces already waiting, so the queue shows its order.
    for days, title, name in (
        (3, "Ports and power in the Coral Sea", "Bo Kim"),
        (1, "Cables under pressure", "Cy Tran"),
    ):
        waiting = piece_by(contributor, series, title, name)
        commentary_submit(commentary=waiting, user=contributor)
        waiting.review_steps.update(created_at=timezone.now() - timedelta(days=days))
    mail.outbox.clear()

    # The contributor submits.
    log_in(page, live_server, "ana")
    change_form = live_server.url + f"/admin/commentaries/commentary/{piece.pk}/change/"
    page.goto(change_form)
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("the editors are told by email")
    assert [m.to for m in mail.outbox] == [["editor@example.org"]]
    assert mail.outbox[0].subject == "For review: Sea lanes in a warming world"
    assert "Ana Lee submitted a piece for review" in mail.outbox[0].body
    link = change_link(mail.outbox[0])

    # The editor finds it in the review queue, last (the newest submission).
    editor_page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    log_in(editor_page, live_server, "editor")
    queue = editor_page.locator(".review-queue")
    expect(queue.get_by_role("heading")).to_have_text("Review queue (3)")
    expect(queue.locator("tbody tr th a")).to_have_text(
        [
            "Ports and power in the Coral Sea",
            "Cables under pressure",
            "Sea lanes in a warming world",
        ]
    )
    expect(queue.locator("tbody tr").last).to_contain_text("by Ana Lee")
    queue.screenshot(path=f"{output_path}/admin-review-queue.png")
    if os.environ.get("UPDATE_SCREENSHOTS"):
        shutil.copyfile(
            f"{output_path}/admin-review-queue.png", DOCS_SCREENSHOT / "admin-review-queue.png"
        )

    # … follows the email's link and requests changes with a note.
    editor_page.goto(link)
    editor_page.get_by_role("link", name="Request changes…").click()
    editor_page.get_by_label("Note to the author").fill(
        "Name the 2016 agreement in the second paragraph."
    )
    editor_page.get_by_role("button", name="Send back to the author").click()
    expect(editor_page.locator(".messagelist")).to_contain_text("is a draft again")
    expect(editor_page.locator(".review-queue tbody tr")).to_have_count(2)
    assert [m.to for m in mail.outbox[1:]] == [["ana@example.org"]]
    assert "Name the 2016 agreement in the second paragraph." in mail.outbox[1].body
    assert change_link(mail.outbox[1]) == link

    # The contributor reads the note on the form, edits and submits again.
    page.goto(change_link(mail.outbox[1]))
    expect(page.locator(".review-steps li").first).to_contain_text("Changes requested by editor")
    expect(page.locator(".review-steps li").first).to_contain_text(
        "Name the 2016 agreement in the second paragraph."
    )
    page.get_by_label("Summary").fill("Why the 2016 agreement still sets the rules at sea.")
    page.get_by_role("button", name="Submit for review").click()
    expect(page.locator(".messagelist")).to_contain_text("submitted for review")
    assert [m.to for m in mail.outbox[2:]] == [["editor@example.org"]]

    # The editor approves: publishing it, through the checks before publishing.
    editor_page.goto(change_link(mail.outbox[2]))
    expect(editor_page.locator(".review-steps li").first).to_contain_text(
        "Submitted for review by Ana Lee"
    )
    editor_page.get_by_role("button", name="Approve: publish or schedule").click()
    expect(editor_page.locator(".messagelist")).to_contain_text("is published")

    piece.refresh_from_db()
    assert piece.status == Commentary.Status.PUBLISHED and piece.is_live
    assert piece.summary == "Why the 2016 agreement still sets the rules at sea."
    assert piece.number == 1
    assert list(piece.review_steps.order_by("created_at", "id").values_list("kind", flat=True)) == [
        "submitted",
        "changes",
        "submitted",
        "approved",
    ]
    editor_page.goto(live_server.url + "/admin/")
    expect(editor_page.locator(".review-queue tbody tr")).to_have_count(2)
