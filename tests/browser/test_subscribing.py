import re

import pytest
from django.core import mail
from django.core.cache import cache
from playwright.sync_api import expect

from subscriptions.models import SubscriptionRequest
from tests.factories import SeriesFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_reader_subscribes_confirms_from_the_email_and_unsubscribes(
    live_server, page, html_validator, run_axe, tmp_path
):
    cache.clear()
    SeriesFactory(name="PacNet", slug="pacnet")
    SeriesFactory(name="Issues & Insights", slug="issues")

    page.goto(f"{live_server.url}/subscribe/?series=pacnet")
    assert page.get_by_label("PacNet").is_checked()
    assert not page.get_by_label("Issues & Insights").is_checked()
    assert html_validator(page.content(), tmp_path) == []
    assert run_axe(page) == []

    page.get_by_label("Name:", exact=True).fill("Zoë Ŝmith")
    page.get_by_label("Email:", exact=True).fill("Zoe@Example.COM")
    page.get_by_label("Organization (optional):", exact=True).fill("Sejong Institute")
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Request subscription").click()
    page.wait_for_url("**/subscribe/sent/")
    expect(page.get_by_role("heading", name="Check your inbox")).to_be_visible()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["zoe@example.com"]  # stored in its canonical form
    confirm_url = re.search(r"https?://\S+/subscribe/confirm/\S+/", mail.outbox[0].body)[0]
    unsubscribe_url = re.search(r"https?://\S+/unsubscribe/\S+/", mail.outbox[0].body)[0]

    page.goto(confirm_url)
    expect(page.get_by_role("heading", name="Confirm your subscription")).to_be_visible()
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.PENDING
    page.get_by_role("button", name="Confirm my subscription").click()
    expect(page.get_by_role("heading", name="Subscription confirmed")).to_be_visible()
    expect(page.get_by_text("Thank you, Zoë Ŝmith")).to_be_visible()
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.CONFIRMED

    page.goto(unsubscribe_url)
    page.get_by_role("button", name="Unsubscribe").click()
    expect(page.get_by_role("heading", name="You are unsubscribed")).to_be_visible()
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.UNSUBSCRIBED


def test_field_errors_appear_next_to_the_fields_and_keep_what_was_typed(live_server, page):
    cache.clear()
    SeriesFactory(name="PacNet", slug="pacnet")
    page.goto(f"{live_server.url}/subscribe/")
    page.get_by_label("Name:", exact=True).fill("Ana")
    page.get_by_label("Email:", exact=True).fill("ana@")
    page.get_by_role("button", name="Request subscription").click()
    expect(page.get_by_text("Enter a valid email address.")).to_be_visible()
    expect(page.get_by_text("Choose at least one series.")).to_be_visible()
    assert page.get_by_label("Name:", exact=True).input_value() == "Ana"
    assert page.get_by_label("Email:", exact=True).input_value() == "ana@"
    assert SubscriptionRequest.objects.count() == 0


def test_the_personal_pages_and_the_email_are_valid_html_without_scripts(
    client, django_capture_on_commit_callbacks, html_validator, tmp_path
):
    cache.clear()
    pacnet = SeriesFactory(name="PacNet", slug="pacnet")
    form = {"name": "Ana", "email": "ana@example.com", "series": [pacnet.pk], "consent": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/subscribe/", form)
    body = mail.outbox[0].body
    documents = {
        "confirm": client.get(re.search(r"/subscribe/confirm/\S+/", body)[0]),
        "confirmed": client.post(re.search(r"/subscribe/confirm/\S+/", body)[0]),
        "manage": client.get(re.search(r"/subscribe/manage/\S+/", body)[0]),
        "unsubscribe": client.get(re.search(r"/unsubscribe/\S+/", body)[0]),
    }
    documents = {name: response.content.decode() for name, response in documents.items()}
    documents["email"] = mail.outbox[0].alternatives[0][0]
    assert all("<script" not in html for html in documents.values())
    errors = {name: html_validator(html, tmp_path) for name, html in documents.items()}
    assert errors == {name: [] for name in documents}
