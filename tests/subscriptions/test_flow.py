from datetime import timedelta

import pytest
from django.core import mail, signing
from django.utils import timezone

from subscriptions.models import SubscriptionRequest
from subscriptions.services import CONSENT_VERSION
from tests.factories import SeriesFactory, SubscriptionRequestFactory

from .conftest import link_from

pytestmark = pytest.mark.django_db


def test_subscribe_page_preselects_the_series_named_in_the_address(client, pacnet):
    SeriesFactory(name="Issues & Insights", slug="issues")
    response = client.get("/subscribe/?series=pacnet")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'value="{pacnet.pk}"' in html
    assert "checked" in html.split(f'value="{pacnet.pk}"')[1].split(">")[0]


def test_subscribe_page_ignores_an_unknown_series_in_the_address(client, pacnet):
    response = client.get("/subscribe/?series=<script>")
    assert response.status_code == 200
    assert "checked" not in response.content.decode()


def test_series_that_are_not_subscribable_are_not_offered(client, pacnet):
    SeriesFactory(name="Internal memos", slug="memos", subscribable=False)
    response = client.get("/subscribe/")
    assert "PacNet" in response.content.decode()
    assert "Internal memos" not in response.content.decode()


def test_valid_request_is_stored_as_pending_and_sends_a_confirmation_email(subscribe, pacnet):
    response = subscribe(series=[pacnet.pk], organization="Institut für Frieden")
    assert response.status_code == 302
    assert response["Location"] == "/subscribe/sent/"
    request = SubscriptionRequest.objects.get()
    assert request.status == SubscriptionRequest.Status.PENDING
    assert list(request.series.all()) == [pacnet]
    assert request.organization == "Institut für Frieden"
    assert request.consent_version == CONSENT_VERSION
    assert "unsubscribe with one click" in request.consent_text
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ana@example.com"]
    assert "PacNet" in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "/subscribe/confirm/" in html
    assert "<script" not in html
    assert request.__class__.objects.get().confirmation_sent_at is not None


def test_confirmation_email_carries_one_click_unsubscribe_headers(subscribe, pacnet):
    subscribe(series=[pacnet.pk])
    message = mail.outbox[0].message()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["List-Unsubscribe"].startswith("<http://testserver/unsubscribe/")
    assert message["List-Unsubscribe"].endswith("/one-click/>")


def test_invalid_form_keeps_what_was_typed_and_shows_errors_next_to_fields(subscribe, pacnet):
    response = subscribe(series=[pacnet.pk], email="not-an-address", name="Zoë Ŝmith")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert 'value="Zoë Ŝmith"' in html
    assert 'value="not-an-address"' in html
    assert SubscriptionRequest.objects.count() == 0
    assert mail.outbox == []


def test_request_without_consent_or_series_is_refused(subscribe, pacnet):
    response = subscribe(consent="")
    html = response.content.decode()
    assert "We can only send emails with your agreement." in html
    assert "Choose at least one series." in html
    assert SubscriptionRequest.objects.count() == 0


def test_email_is_lower_cased_and_idna_encoded_but_the_name_is_kept(subscribe, pacnet):
    subscribe(series=[pacnet.pk], email="  Ana.Reader@BÜCHER.Example ", name="Ана Читатель")
    request = SubscriptionRequest.objects.get()
    assert request.email == "ana.reader@xn--bcher-kva.example"
    assert request.name == "Ана Читатель"


def test_honeypot_submission_gets_the_normal_answer_but_stores_nothing(subscribe, pacnet):
    response = subscribe(series=[pacnet.pk], website="http://spam.example")
    assert response.status_code == 302
    assert SubscriptionRequest.objects.count() == 0
    assert mail.outbox == []


def _answer_for(client, subscribe, email, series):
    response = subscribe(series=[series.pk], email=email)
    followed = client.get(response["Location"])
    return response.status_code, response["Location"], followed.content


def test_the_answer_is_the_same_for_new_pending_confirmed_and_unsubscribed_addresses(
    client, subscribe, pacnet
):
    now = timezone.now()
    SubscriptionRequestFactory(email="pending@example.com")
    SubscriptionRequestFactory(email="confirmed@example.com", status="confirmed", confirmed_at=now)
    SubscriptionRequestFactory(email="gone@example.com", status="unsubscribed", unsubscribed_at=now)
    answers = {
        email: _answer_for(client, subscribe, email, pacnet)
        for email in [
            "new@example.com",
            "pending@example.com",
            "confirmed@example.com",
            "gone@example.com",
        ]
    }
    assert len(set(answers.values())) == 1
    assert next(iter(answers.values()))[0] == 302
    assert sorted(m.to[0] for m in mail.outbox) == sorted(answers)


def test_repeat_request_updates_the_series_and_never_adds_a_second_row(subscribe, pacnet):
    other = SeriesFactory(name="Issues & Insights", slug="issues")
    subscribe(series=[pacnet.pk])
    subscribe(series=[other.pk], email="ANA@Example.COM", name="Ana R.")
    request = SubscriptionRequest.objects.get()
    assert list(request.series.all()) == [other]
    assert request.name == "Ana R."
    assert len(mail.outbox) == 2


def test_confirming_marks_the_request_confirmed_and_a_second_click_says_so(
    client, subscribe, pacnet
):
    subscribe(series=[pacnet.pk])
    link = link_from(mail.outbox[0], "confirm")
    first = client.post(link)
    assert first.status_code == 200
    assert "Subscription confirmed" in first.content.decode()
    request = SubscriptionRequest.objects.get()
    assert request.status == SubscriptionRequest.Status.CONFIRMED
    assert request.confirmed_at is not None
    second = client.get(link)
    assert second.status_code == 200
    assert "Already confirmed" in second.content.decode()
    assert client.post(link).status_code == 200
    assert SubscriptionRequest.objects.get().confirmed_at == request.confirmed_at


def test_a_confirmed_subscriber_changes_series_only_by_confirming_again(client, subscribe, pacnet):
    other = SeriesFactory(name="Issues & Insights", slug="issues")
    subscribe(series=[pacnet.pk])
    client.post(link_from(mail.outbox[0], "confirm"))
    subscribe(series=[other.pk], name="Someone Else")
    request = SubscriptionRequest.objects.get()
    assert list(request.series.all()) == [pacnet]
    assert request.name == "Ana Reader"
    client.post(link_from(mail.outbox[1], "confirm"))
    assert list(request.series.all()) == [other]


def test_expired_confirmation_link_gets_a_clear_page_with_a_way_back(
    client, subscribe, pacnet, settings
):
    subscribe(series=[pacnet.pk])
    link = link_from(mail.outbox[0], "confirm")
    settings.SUBSCRIPTIONS_CONFIRM_LINK_MAX_AGE = timedelta(seconds=-1)
    response = client.get(link)
    assert response.status_code == 400
    assert "This link has expired" in response.content.decode()
    assert 'href="/subscribe/"' in response.content.decode()
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.PENDING


@pytest.mark.parametrize(
    "token",
    ["garbage", "a" * 500, "..", signing.dumps({"r": 1}, salt="other"), "%00", "e30:1:2"],
    # Fixed ids: the signed token changes every second, and parallel workers
    # must collect the same test names.
    ids=["garbage", "very-long", "dots", "other-salt", "nul", "fake-signature"],
)
def test_tampered_links_get_a_clear_page_not_an_error(client, pacnet, token):
    for path in [
        f"/subscribe/confirm/{token}/",
        f"/unsubscribe/{token}/",
        f"/subscribe/manage/{token}/",
    ]:
        response = client.get(path)
        assert response.status_code in {400, 404}, path
    response = client.post(f"/unsubscribe/{token}/one-click/")
    assert response.status_code in {400, 404}


def test_confirmation_link_for_a_changed_address_no_longer_works(client, subscribe, pacnet):
    subscribe(series=[pacnet.pk])
    link = link_from(mail.outbox[0], "confirm")
    SubscriptionRequest.objects.update(email="someone@example.org")
    response = client.get(link)
    assert response.status_code == 400
    assert "This link does not work" in response.content.decode()


def test_unsubscribe_link_shows_one_button_and_the_post_unsubscribes(client, subscribe, pacnet):
    subscribe(series=[pacnet.pk])
    client.post(link_from(mail.outbox[0], "confirm"))
    link = link_from(mail.outbox[0], "unsubscribe")
    page = client.get(link)
    assert page.status_code == 200
    # The site header also has the search button; count the page's own.
    assert page.content.decode().split('<main id="main"', 1)[1].count("<button") == 1
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.CONFIRMED
    done = client.post(link)
    assert done.status_code == 200
    assert "You are unsubscribed" in done.content.decode()
    request = SubscriptionRequest.objects.get()
    assert request.status == SubscriptionRequest.Status.UNSUBSCRIBED
    assert request.unsubscribed_at is not None


def test_unsubscribe_page_form_requires_csrf(subscribe, pacnet):
    from django.test import Client

    subscribe(series=[pacnet.pk])
    link = link_from(mail.outbox[0], "unsubscribe")
    response = Client(enforce_csrf_checks=True).post(link)
    assert response.status_code == 403
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.PENDING


def test_one_click_post_unsubscribes_without_csrf_token(subscribe, pacnet):
    from django.test import Client

    subscribe(series=[pacnet.pk])
    header = mail.outbox[0].extra_headers["List-Unsubscribe"]
    url = header.strip("<>").removeprefix("http://testserver")
    response = Client(enforce_csrf_checks=True).post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.UNSUBSCRIBED


def test_one_click_address_opened_in_a_browser_leads_to_the_confirmation_page(
    client, subscribe, pacnet
):
    subscribe(series=[pacnet.pk])
    header = mail.outbox[0].extra_headers["List-Unsubscribe"]
    url = header.strip("<>").removeprefix("http://testserver")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == url.removesuffix("one-click/")
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.PENDING


def test_an_old_confirmation_link_cannot_resubscribe_someone_who_left(client, subscribe, pacnet):
    subscribe(series=[pacnet.pk])
    client.post(link_from(mail.outbox[0], "unsubscribe"))
    assert client.get(link_from(mail.outbox[0], "confirm")).status_code == 400
    response = client.post(link_from(mail.outbox[0], "confirm"))
    assert response.status_code == 400
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.UNSUBSCRIBED


def test_an_unsubscribed_reader_can_subscribe_again_with_a_new_confirmation(
    client, subscribe, pacnet
):
    subscribe(series=[pacnet.pk])
    client.post(link_from(mail.outbox[0], "unsubscribe"))
    subscribe(series=[pacnet.pk])
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.PENDING
    client.post(link_from(mail.outbox[1], "confirm"))
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.CONFIRMED


def test_manage_page_changes_series_and_unticking_all_unsubscribes(client, subscribe, pacnet):
    other = SeriesFactory(name="Issues & Insights", slug="issues")
    subscribe(series=[pacnet.pk])
    client.post(link_from(mail.outbox[0], "confirm"))
    link = link_from(mail.outbox[0], "manage")
    page = client.get(link)
    assert page.status_code == 200
    saved = client.post(link, {"series": [pacnet.pk, other.pk]}, follow=True)
    assert "Your series are saved." in saved.content.decode()
    request = SubscriptionRequest.objects.get()
    assert set(request.series.all()) == {pacnet, other}
    client.post(link, {})
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.UNSUBSCRIBED
    page = client.get(link)
    assert "is unsubscribed" in page.content.decode()
    client.post(link, {"series": [pacnet.pk]})
    assert SubscriptionRequest.objects.get().status == SubscriptionRequest.Status.UNSUBSCRIBED


def test_too_many_requests_for_one_address_get_a_polite_429(subscribe, pacnet, settings):
    settings.SUBSCRIPTIONS_RATE_LIMITS = {"email": (2, 3600)}
    assert subscribe(series=[pacnet.pk]).status_code == 302
    assert subscribe(series=[pacnet.pk], email="ANA@example.com").status_code == 302
    response = subscribe(series=[pacnet.pk])
    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "Please wait a little" in response.content.decode()
    assert len(mail.outbox) == 2
    assert subscribe(series=[pacnet.pk], email="bob@example.com").status_code == 302


def test_too_many_requests_from_one_ip_address_get_a_polite_429(subscribe, pacnet, settings):
    settings.SUBSCRIPTIONS_RATE_LIMITS = {"ip": (3, 3600)}
    for number in range(3):
        assert subscribe(series=[pacnet.pk], email=f"r{number}@example.com").status_code == 302
    response = subscribe(series=[pacnet.pk], email="r9@example.com")
    assert response.status_code == 429
    assert SubscriptionRequest.objects.count() == 3


def test_subscribe_form_requires_csrf(pacnet):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post(
        "/subscribe/",
        {"name": "A", "email": "a@example.com", "series": [pacnet.pk], "consent": "on"},
    )
    assert response.status_code == 403
    assert SubscriptionRequest.objects.count() == 0


@pytest.mark.parametrize(
    "email",
    ["a@b.com\nBcc: x@y.z", "a@b.com\r\nCc: x@y.z", "a@b.com%0ABcc:x@y.z", "a@b.com>\nTo: x@y.z"],
)
def test_header_injection_attempts_are_refused_and_send_nothing(subscribe, pacnet, email):
    response = subscribe(series=[pacnet.pk], email=email)
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()
    assert SubscriptionRequest.objects.count() == 0
    assert mail.outbox == []


def test_line_breaks_in_a_name_are_refused_with_a_message(subscribe, pacnet):
    response = subscribe(series=[pacnet.pk], name="Ana\nBcc: x@y.z")
    assert "Please remove line breaks" in response.content.decode()
    assert SubscriptionRequest.objects.count() == 0


def test_overlong_fields_are_refused_with_a_message(subscribe, pacnet):
    response = subscribe(series=[pacnet.pk], name="x" * 201, organization="y" * 5000)
    assert response.status_code == 200
    assert "Ensure this value has at most 200 characters" in response.content.decode()
    assert SubscriptionRequest.objects.count() == 0


def test_personal_links_do_not_reveal_the_address(subscribe, pacnet):
    import base64
    import zlib

    subscribe(series=[pacnet.pk])
    for kind in ["confirm", "manage", "unsubscribe"]:
        token = link_from(mail.outbox[0], kind).rstrip("/").rsplit("/", 1)[-1]
        payload = token.lstrip(".").split(":")[0]
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        if token.startswith("."):
            decoded = zlib.decompress(decoded)
        assert decoded.startswith(b"{")
        assert b"ana@example.com" not in decoded
        assert b"example" not in decoded


def test_subscribe_page_query_count_does_not_grow_with_series(
    client, pacnet, django_assert_num_queries
):
    for number in range(10):
        SeriesFactory(name=f"Series {number}", slug=f"s{number}")
    # +2: the site navigation (series, static pages), cached after the first page.
    with django_assert_num_queries(4):
        assert client.get("/subscribe/?series=pacnet").status_code == 200


def test_manage_page_query_count_is_pinned(client, subscribe, pacnet, django_assert_num_queries):
    for number in range(5):
        SeriesFactory(name=f"Series {number}", slug=f"s{number}")
    subscribe(series=[pacnet.pk])
    link = link_from(mail.outbox[0], "manage")
    # +2: the site navigation (series, static pages), cached after the first page.
    with django_assert_num_queries(5):
        assert client.get(link).status_code == 200


def test_rate_limits_come_from_the_environment(monkeypatch):
    import importlib

    import pacforum.settings

    monkeypatch.setenv("SUBSCRIPTIONS_RATE_LIMIT_IP", "7")
    monkeypatch.setenv("SUBSCRIPTIONS_RATE_LIMIT_EMAIL", "2")
    try:
        reloaded = importlib.reload(pacforum.settings)
        assert reloaded.SUBSCRIPTIONS_RATE_LIMITS == {"ip": (7, 3600), "email": (2, 3600)}
    finally:
        monkeypatch.undo()
        importlib.reload(pacforum.settings)
