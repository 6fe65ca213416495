"""The publication record in a real browser: a restore on a live piece, numbers
that follow publish time, and a withdrawn piece's tombstone."""

import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
import reversion
from django.utils import timezone
from playwright.sync_api import expect

from commentaries.models import Commentary
from commentaries.services import commentary_publish, commentary_withdraw
from tests.factories import (
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    SeriesFactory,
    UserFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def keep_screenshot(page, output_path, name):
    page.screenshot(path=f"{output_path}/{name}", full_page=True)
    if os.environ.get("UPDATE_SCREENSHOTS"):
        shutil.copyfile(f"{output_path}/{name}", DOCS_SCREENSHOT / name)


def log_in_as_editor(page, live_server):
    UserFactory(username="editor", password="a-long-test-password", groups=["Editors"])
    page.goto(live_server.url + "/admin/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="My drafts")).to_be_visible()


def ready_piece(series, **fields):
    piece = CommentaryFactory(series=series, **fields)
    BylineFactory(commentary=piece, author=AuthorFactory(name="Ana Lee"), bio="is a fellow.")
    return piece


def test_a_restore_on_a_live_piece_keeps_it_live_with_its_number(live_server, page, output_path):
    series = SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")
    piece = ready_piece(series, title="Sea lanes in a warming world")
    with reversion.create_revision():
        piece.save()
    piece = commentary_publish(commentary=piece)
    with reversion.create_revision():
        piece.title = "Sea lanes, edited badly"
        piece.save()
    log_in_as_editor(page, live_server)

    page.goto(live_server.url + f"/admin/commentaries/commentary/{piece.pk}/history/")
    page.get_by_role("link").filter(has_text=str(timezone.localtime().year)).last.click()
    expect(page.get_by_text("The piece stays published")).to_be_visible()
    expect(page.locator(".diff-text").first.locator("ins").last).to_have_text("a warming world")
    keep_screenshot(page, output_path, "admin-restore.png")
    page.get_by_role("button", name="Restore this content on the published piece").click()
    expect(page.locator(".messagelist")).to_contain_text("Status, number and publish time")

    piece.refresh_from_db()
    assert piece.is_live and piece.number == 1
    page.goto(live_server.url + piece.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "PacNet #1 – Sea lanes in a warming world"
    )


def test_a_piece_scheduled_earlier_takes_the_earlier_number(live_server, page, output_path):
    series = SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")
    later = ready_piece(series, title="Scheduled for next week")
    commentary_publish(commentary=later, at=timezone.now() + timedelta(days=7))
    sooner = ready_piece(series, title="Scheduled for tomorrow")
    when = timezone.localtime() + timedelta(days=1)
    log_in_as_editor(page, live_server)

    page.goto(live_server.url + f"/admin/commentaries/commentary/{sooner.pk}/change/")
    page.locator("#id_published_at_0").fill(when.strftime("%Y-%m-%d"))
    page.locator("#id_published_at_1").fill(when.strftime("%H:%M:%S"))
    page.get_by_role("button", name="Publish or schedule").click()
    expect(page.locator(".messagelist")).to_contain_text("provisional")

    page.goto(live_server.url + "/admin/commentaries/commentary/")
    expect(page.locator("tr", has_text="Scheduled for tomorrow")).to_contain_text(
        "PacNet #1 (provisional)"
    )
    expect(page.locator("tr", has_text="Scheduled for next week")).to_contain_text(
        "PacNet #2 (provisional)"
    )
    keep_screenshot(page, output_path, "admin-scheduled-numbers.png")
    assert Commentary.objects.get(pk=sooner.pk).number == 1
    assert Commentary.objects.get(pk=later.pk).number == 2


def test_a_withdrawn_piece_shows_its_tombstone(live_server, page, output_path):
    series = SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")
    piece = commentary_publish(commentary=ready_piece(series, title="A piece gone wrong"))
    commentary_withdraw(commentary=piece, note="Its central figure was misreported.")

    response = page.goto(live_server.url + piece.get_absolute_url())
    assert response.status == 410
    expect(page.get_by_role("heading", level=1)).to_have_text("PacNet #1 – A piece gone wrong")
    expect(page.get_by_text("Its central figure was misreported.")).to_be_visible()
    expect(page.get_by_text("Ana Lee")).to_be_visible()
    expect(page.locator(".citation")).to_contain_text("A piece gone wrong")
    keep_screenshot(page, output_path, "withdrawn.png")
