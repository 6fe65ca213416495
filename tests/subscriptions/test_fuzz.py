"""Thousands of generated submissions: no server error, no duplicate row, no injected header."""

import os
from email import message_from_bytes

import pytest
from django.core import mail
from django.db.models.functions import Lower
from hypothesis import HealthCheck, example, given, seed, settings
from hypothesis import strategies as st

from subscriptions.models import SubscriptionRequest
from tests.factories import SeriesFactory

settings.register_profile(
    "subscriptions-ci", max_examples=1500, derandomize=True, database=None, deadline=None
)
settings.register_profile("subscriptions-dev", max_examples=1000, deadline=None)
PROFILE = "subscriptions-ci" if os.environ.get("CI") else "subscriptions-dev"
# The examples run in three parts with their own seeds, so that parallel
# workers share them (one long test would hold one worker to the end).
PARTS = 3

pytestmark = pytest.mark.django_db

ALLOWED_HEADERS = {
    "content-type",
    "mime-version",
    "subject",
    "from",
    "to",
    "date",
    "message-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
}

huge = st.builds(lambda char, n: char * n, st.characters(codec="utf-8"), st.integers(150, 20_000))
controls = st.text(alphabet=st.characters(categories=["Cc"]), min_size=1, max_size=5)
known = st.sampled_from(["ana@example.com", "ANA@EXAMPLE.COM", " ana@Example.com ", "b@x.org"])
injections = st.builds(
    lambda address, sep, header: f"{address}{sep}{header}",
    st.sampled_from(["a@b.com", "ana@example.com", ""]),
    st.sampled_from(["\n", "\r\n", "\r", "%0A", "\x00", "\u2028", "\x85", ">\n"]),
    st.sampled_from(["Bcc: x@y.z", "Cc: x@y.z", "To: x@y.z", "Subject: hi", "\nbody"]),
)
field_text = st.one_of(st.text(max_size=60), huge, controls, injections)
emails = st.one_of(st.emails(), known, injections, st.text(max_size=60), huge)


def check_message(message, stored_emails):
    assert message.cc == []
    assert message.bcc == []
    assert len(message.to) == 1
    assert message.to[0].lower() in stored_emails
    parsed = message_from_bytes(message.message().as_bytes())
    assert {key.lower() for key in parsed} <= ALLOWED_HEADERS
    for key, value in parsed.items():
        assert "\n" not in value.replace("\n ", "").replace("\n\t", ""), key
    assert parsed["To"].strip() == message.to[0]


@pytest.mark.parametrize("part", range(1, PARTS + 1))
def test_generated_submissions_never_break_leak_or_inject(
    client, subscribe, settings_fixture, part
):
    series = [SeriesFactory(), SeriesFactory()]
    valid_ids = [str(s.pk) for s in series]
    outcome = {"sent": 0, "statuses": set()}
    profile = settings.get_profile(PROFILE)

    @seed(part)
    @settings(
        parent=profile,
        max_examples=profile.max_examples // PARTS,
        derandomize=False,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    # One plainly valid submission in every part, besides the generated
    # ones, so that each part checks a delivered confirmation's headers.
    @example(
        name="Ana Reader",
        email="ana@example.com",
        organization="",
        series_values=valid_ids[:1],
        consent="on",
        honeypot="",
    )
    @given(
        name=st.one_of(
            st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=40), field_text
        ),
        email=emails,
        organization=st.one_of(st.just(""), field_text),
        # Weighted towards valid series and consent, so that every part
        # delivers confirmations too (the messages whose headers are checked).
        series_values=st.lists(
            st.one_of(
                st.sampled_from(valid_ids),
                st.sampled_from(valid_ids),
                st.text(max_size=25),
                huge,
            ),
            max_size=4,
        ),
        consent=st.sampled_from(["on", "on", "on", "", "yes", "\x00"]),
        honeypot=st.one_of(st.just(""), st.just(""), field_text),
    )
    def submit(name, email, organization, series_values, consent, honeypot):
        mail.outbox = []
        response = subscribe(
            name=name,
            email=email,
            organization=organization,
            series=series_values,
            consent=consent,
            website=honeypot,
        )
        assert response.status_code in {200, 302, 400, 429}
        outcome["statuses"].add(response.status_code)
        stored = list(SubscriptionRequest.objects.values_list(Lower("email"), flat=True))
        assert len(stored) == len(set(stored))
        for message in mail.outbox:
            check_message(message, set(stored))
        outcome["sent"] += len(mail.outbox)

    submit()
    # Both outcomes were reached: refused input and delivered confirmations.
    assert outcome["sent"] > 0, outcome
    assert {200, 302} <= outcome["statuses"]


@settings(max_examples=200, deadline=None, derandomize=bool(os.environ.get("CI")))
@given(preselect=st.one_of(st.just("pacnet"), st.text(max_size=30), huge))
def test_any_series_in_the_subscribe_address_still_shows_the_form(preselect):
    from django.test import Client

    response = Client().get("/subscribe/", {"series": preselect})
    assert response.status_code == 200


@pytest.fixture
def settings_fixture(settings):
    settings.SUBSCRIPTIONS_RATE_LIMITS = {"ip": (10**9, 3600), "email": (10**9, 3600)}
    return settings
