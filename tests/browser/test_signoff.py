"""An outside author opens a sign-off link in Chromium, with no account."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from pacforum.editing.models import PreviewLink
from tests.factories import CommentaryFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_signoff_link_works_anonymously_then_not_once_revoked_or_expired(live_server, browser):
    piece = CommentaryFactory(title="Cables under the Pacific", body="<p>Draft text.</p>")
    UserFactory(username="editor", password="a-long-test-password", groups=["Editors"])
    staff = browser.new_context()
    page = staff.new_page()
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("a-long-test-password")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}/admin/commentaries/commentary/{piece.pk}/change/")
    page.get_by_role("link", name="Sign-off links").click()
    page.get_by_role("button", name="Create a sign-off link").click()
    url = page.get_by_label("Sign-off link").first.input_value()

    outside = browser.new_context()  # no session: the outside author
    reader = outside.new_page()
    response = reader.goto(url)
    assert response.status == 200
    assert response.headers["x-robots-tag"] == "noindex, nofollow"
    expect(reader.locator(".preview-banner")).to_contain_text("Not published: preview")
    expect(reader.locator("h1")).to_contain_text("Cables under the Pacific")

    page.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messagelist")).to_contain_text("The link is revoked")
    assert reader.goto(url).status == 404

    page.get_by_role("button", name="Create a sign-off link").click()
    fresh = page.get_by_label("Sign-off link").first.input_value()
    assert fresh != url
    assert reader.goto(fresh).status == 200
    PreviewLink.objects.filter(revoked_at__isnull=True).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert reader.goto(fresh).status == 404
    staff.close()
    outside.close()
