"""An editor sends a piece to its series' subscribers from the piece's admin
page in Chromium: a test to their own address, a confirmation, the send; a
real SMTP server (aiosmtpd) receives the messages."""

import pytest
from playwright.sync_api import expect

from commentaries.golive import announce_due
from subscriptions.models import Edition, SeriesNewsletter
from tests.factories import UserFactory
from tests.smtp import SMTPServer
from tests.subscriptions.edition_helpers import confirmed, live_piece

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def smtp(settings):
    with SMTPServer() as server:
        settings.EMAIL_BACKEND = "subscriptions.mail.SMTPBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = server.port
        settings.EMAIL_TIMEOUT = 5
        settings.NEWSLETTER_BOUNCE_ADDRESS = "bounces@news.example.org"
        settings.DEFAULT_FROM_EMAIL = "Pacific Forum <pacnet@example.org>"
        yield server


def test_an_editor_sends_a_piece_from_its_page_after_a_test_and_a_confirmation(
    live_server, page, smtp
):
    piece = live_piece(title="Cables under the Pacific")
    SeriesNewsletter.objects.create(series=piece.series, mode=SeriesNewsletter.Mode.ON_DEMAND)
    readers = confirmed(piece.series, 3)
    assert announce_due() == 1  # the go-live tick prepares the edition; it waits
    UserFactory(username="editor", email="editor@example.org", groups=["Editors"])

    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    change_url = f"{live_server.url}/admin/commentaries/commentary/{piece.pk}/change/"
    page.goto(change_url)

    expect(page.get_by_role("link", name="Send to 3 PacNet subscribers")).to_have_count(0)
    page.get_by_role("button", name="Send a test to me (editor@example.org)").click()
    expect(page.locator(".messagelist")).to_contain_text("A test is on its way")
    assert page.url == change_url
    assert smtp.wait_for(lambda: len(smtp.received) == 1)
    test = smtp.received[0]
    assert test.rcpt_tos == ["editor@example.org"]
    # A long subject with an encoded word is folded after "Subject:", so the
    # parsed value may start with the fold's space; mail clients drop it.
    assert test.message["Subject"].strip().startswith("[Test] PacNet #")
    assert "Cables under the Pacific" in test.message["Subject"]

    page.get_by_role("link", name="Send to 3 PacNet subscribers").click()
    expect(page.locator("#content-main")).to_contain_text("will be emailed to 3 PacNet subscribers")
    assert len(smtp.received) == 1  # the confirmation page sends nothing
    page.get_by_role("button", name="Send to 3 PacNet subscribers").click()
    expect(page.locator(".messagelist")).to_contain_text("Sending to 3 subscribers has started")
    assert page.url == change_url

    assert smtp.wait_for(lambda: len(smtp.received) == 4)
    sent = smtp.received[1:]
    assert sorted(r for item in sent for r in item.rcpt_tos) == sorted(r.email for r in readers)
    for item in sent:
        assert item.message["Subject"].strip().startswith("PacNet #")
        assert item.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert item.mail_from.startswith("bounces+")
    assert Edition.objects.get(commentary=piece).status == Edition.Status.SENT
    page.reload()
    expect(page.get_by_role("link", name="Edition: sent")).to_be_visible()
    expect(page.get_by_role("button", name="Send a test to me (editor@example.org)")).to_have_count(
        0
    )
