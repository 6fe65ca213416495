import re

import pytest
from django.core.cache import cache

from tests.factories import SeriesFactory


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def pacnet(db):
    return SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")


@pytest.fixture
def subscribe(client, django_capture_on_commit_callbacks):
    """POST the form as a visitor would, running the queued email task."""

    def submit(data=None, **overrides):
        form = {
            "name": "Ana Reader",
            "email": "ana@example.com",
            "organization": "",
            "consent": "on",
            **(data or {}),
            **overrides,
        }
        with django_capture_on_commit_callbacks(execute=True):
            return client.post("/subscribe/", form)

    return submit


def link_from(message, name):
    """The first URL in an email's plain text that goes to the named kind of page."""
    paths = {
        "confirm": r"/subscribe/confirm/[^/\s]+/",
        "manage": r"/subscribe/manage/[^/\s]+/",
        "unsubscribe": r"/unsubscribe/[^/\s]+/",
    }
    match = re.search(r"https?://[^/\s]+(" + paths[name] + ")", message.body)
    assert match, f"no {name} link in {message.body!r}"
    return match.group(1)
