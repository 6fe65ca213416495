"""Every public URL pattern, enumerated from the URL resolver, fetched with
every query parameter it reads and unknown ones, with hostile values: the
answer is never a server error."""

import os

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from subscriptions import tokens
from tests.factories import (
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    SubscriptionRequestFactory,
    TopicFactory,
)
from tests.urlspace import example_url, example_values, routes

pytestmark = pytest.mark.django_db

ALLOWED = {200, 301, 302, 304, 400, 404}
EXAMPLES = int(os.environ.get("URL_FUZZ_EXAMPLES", "25"))

OTHER_DIGITS = ["²", "٣", "१२", "１２", "߉", "𝟗", "Ⅻ", "½", "〇"]
OPERATORS = ["-", '"', "or", "OR", "!", "&", "|", ":*", "(", ")", "<->", "\\", "'", "*", "%"]
values = st.one_of(
    st.text(max_size=40),  # any Unicode, control characters included
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs"]), max_size=10),
    st.lists(st.sampled_from(OTHER_DIGITS), min_size=1, max_size=4).map("".join),
    st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=4),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.integers(min_value=-5, max_value=5000).map(str),
    st.builds(lambda c, n: c * n, st.characters(codec="utf-8"), st.integers(200, 6000)),
    # Runs of one operator, bare or spaced ("-----", "- - -"), and mixtures.
    st.builds(lambda op, n: op * n, st.sampled_from(OPERATORS), st.integers(1, 300)),
    st.builds(lambda op, n: (op + " ") * n, st.sampled_from(OPERATORS), st.integers(1, 150)),
    st.lists(st.sampled_from([*OPERATORS, "word", " "]), max_size=80).map("".join),
    st.lists(st.sampled_from([*OPERATORS, "word"]), max_size=80).map(" ".join),
    st.sampled_from(["", "0", "-1", "1e9", "NaN", "None", "[]", "../../etc/passwd", "%00"]),
)
unknown_names = st.text(min_size=1, max_size=12)
# Values that broke pages before, tried first on every parameter of every page
# (Hypothesis explicit examples); the generated values explore around them.
HOSTILE = [
    "-" * 33,
    "- " * 40,
    "(-" * 60,
    '"' + "-" * 40,
    "²",
    "①",
    "٣",
    "１２",
    "9" * 5000,
    "-1",
    "0",
    "\x00",
    "\r\nSet-Cookie: x=1",
    "<script>alert(1)</script>",
    "x" * 2000,
]


@pytest.fixture
def site(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    piece = CommentaryFactory(published=True, title="Harbour resilience")
    author = AuthorFactory(name="Saeme Kim")
    author.photo.save("face.png", ContentFile(_png()), save=True)
    BylineFactory(commentary=piece, author=author)
    topic = TopicFactory(name="Maritime security")
    piece.topics.add(topic)
    subscription = SubscriptionRequestFactory(series=[piece.series])
    objects = {"piece": piece, "topic": topic, "author": author}
    objects["tokens"] = [
        tokens.make_manage_token(subscription=subscription),
        tokens.make_confirm_token(subscription=subscription, series_ids=[piece.series.pk]),
    ]
    objects["media_path"] = author.photo.name
    return objects


def _png():
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "teal").save(buffer, format="PNG")
    return buffer.getvalue()


ROUTES = routes()


def test_the_fuzzed_routes_are_the_whole_public_site():
    names = {route.name for route in ROUTES}
    for expected in ["commentaries:home", "commentaries:search", "subscriptions:manage", "media"]:
        assert expected in names
    assert not any(name.startswith("admin:") for name in names)


@pytest.mark.parametrize("route", ROUTES, ids=[route.name for route in ROUTES])
def test_no_query_string_makes_a_public_page_fail(client, site, route):
    # A page that exists (the preview, staff only, answers 404 whatever it gets).
    url = example_url(client, route, site) or reverse(
        route.name, kwargs={name: example_values(site)[name][0] for name in route.kwargs}
    )
    # Each parameter the page reads, often all of them at once, plus unknown ones.
    declared = st.fixed_dictionaries({}, optional=dict.fromkeys(route.query, values))
    unknown = st.dictionaries(unknown_names, values, max_size=3)
    params = st.builds(lambda a, b: [*a.items(), *b.items()], declared, unknown)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=bool(os.environ.get("CI")),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(params=params)
    def fetch(params):
        data = {}
        for name, value in params:
            data.setdefault(name, []).append(value)
        response = client.get(url, data)
        assert response.status_code in ALLOWED | {405}, (url, data, response.status_code)

    for value in HOSTILE:
        for name in (*route.query, "utm_source"):
            fetch = example(params=[(name, value)])(fetch)
    fetch()
