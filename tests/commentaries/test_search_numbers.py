"""Search by the number a piece is cited by, sort by date, filter by author."""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from commentaries.lookup import parse_number_query
from tests.factories import AuthorFactory, BylineFactory, CommentaryFactory, SeriesFactory

pytestmark = pytest.mark.django_db


def search(client, **params):
    return client.get(reverse("commentaries:search"), params)


def result_titles(response):
    return [
        html.unescape(title)
        for title in re.findall(
            r'<h3 class="item-title"><a href="[^"]+">([^<]+)</a>', response.content.decode()
        )
    ]


def when(year, day=1):
    return timezone.make_aware(timezone.datetime(year, 3, day, 12, 0))


@pytest.fixture
def archive():
    """Numbers shared across series and years: PacNet #28 and #68 in 2019 and
    2020, #68R in 2019, Issues & Insights #28 in 2019, and many pieces that
    mention 28 and 68 in their text."""
    pacnet = SeriesFactory(slug="pacnet", name="PacNet", short_label="PacNet")
    insights = SeriesFactory(slug="insights", name="Issues & Insights", short_label="I&I")
    pieces = {}
    for series, year, number, suffix in [
        (pacnet, 2019, 28, ""),
        (pacnet, 2020, 28, ""),
        (pacnet, 2019, 68, ""),
        (pacnet, 2019, 68, "R"),
        (pacnet, 2020, 68, ""),
        (insights, 2019, 28, ""),
    ]:
        pieces[series.slug, year, f"{number}{suffix}"] = CommentaryFactory(
            published=True,
            series=series,
            year=year,
            number=number,
            suffix=suffix,
            published_at=when(year, number % 27 + 1),
            title=f"{series.short_label} piece {year}-{number}{suffix}",
        )
    for n in range(5):
        CommentaryFactory(
            published=True,
            series=pacnet,
            number=1000 + n,  # never one the queries name
            title=f"Noise {n}",
            summary="PacNet 28 and #68 were cited, 68R too, and 2019.",
            published_at=timezone.now() - timedelta(days=n),
        )
    return pieces


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("PacNet 28", [("pacnet", 2020, "28"), ("pacnet", 2019, "28")]),
        ("PacNet #28", [("pacnet", 2020, "28"), ("pacnet", 2019, "28")]),
        ("pacnet no. 28", [("pacnet", 2020, "28"), ("pacnet", 2019, "28")]),
        ("#28", [("pacnet", 2020, "28"), ("insights", 2019, "28"), ("pacnet", 2019, "28")]),
        ("68R", [("pacnet", 2019, "68R")]),
        ("#68r", [("pacnet", 2019, "68R")]),
        ("2019 #68", [("pacnet", 2019, "68")]),
        ("PacNet #68 (2019)", [("pacnet", 2019, "68")]),
        ("I&I 28", [("insights", 2019, "28")]),
        ("Issues & Insights #28", [("insights", 2019, "28")]),
        ("68", [("pacnet", 2020, "68"), ("pacnet", 2019, "68")]),
    ],
)
def test_a_query_naming_a_number_puts_the_numbered_pieces_first(client, archive, query, expected):
    response = search(client, q=query)
    titles = result_titles(response)
    wanted = [archive[key].display_title for key in expected]
    assert titles[: len(wanted)] == wanted
    assert response.content.decode().count('class="number-match"') == len(wanted)


def test_the_normal_results_follow_the_number_matches(client, archive):
    titles = result_titles(search(client, q="PacNet 28"))
    assert titles[:2] == [
        archive["pacnet", 2020, "28"].display_title,
        archive["pacnet", 2019, "28"].display_title,
    ]
    assert {f"Noise {n}" for n in range(5)} <= {t.split(" – ")[-1] for t in titles[2:]}
    assert len(titles) == len(set(titles)), "a number match is not listed twice"


def test_words_that_look_like_numbers_name_no_piece():
    assert not parse_number_query("10 years of the alliance")
    assert not parse_number_query("G20 summit")
    assert not parse_number_query("2019")
    assert not parse_number_query("maritime security")


def test_number_matches_respect_the_search_filters(client, archive):
    titles = result_titles(search(client, q="#28", series="insights"))
    assert titles == [archive["insights", 2019, "28"].display_title]


def test_search_sorts_by_newest_or_oldest(client):
    old = CommentaryFactory(published=True, title="Tidal report", published_at=when(2001))
    new = CommentaryFactory(published=True, title="Tidal outlook", published_at=when(2024))
    middle = CommentaryFactory(published=True, title="Tidal tidal tidal", published_at=when(2010))
    newest = [new.display_title, middle.display_title, old.display_title]
    assert result_titles(search(client, q="tidal", sort="newest")) == newest
    assert result_titles(search(client, q="tidal", sort="oldest")) == newest[::-1]
    page = search(client, q="tidal", sort="oldest").content.decode()
    assert '<option value="oldest" selected>Oldest first</option>' in page


def test_an_unknown_sort_is_a_field_error_not_a_crash(client):
    response = search(client, q="tidal", sort="sideways")
    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()


def test_search_filters_by_a_typed_author_name(client):
    kim = AuthorFactory(name="Saeme Kim", slug="saeme-kim")
    other = AuthorFactory(name="Ana Lim")
    by_kim = CommentaryFactory(published=True, title="Reef survey")
    by_other = CommentaryFactory(published=True, title="Reef policy")
    BylineFactory(commentary=by_kim, author=kim)
    BylineFactory(commentary=by_other, author=other)
    both = CommentaryFactory(published=True, title="Reef joint")
    BylineFactory(commentary=both, author=kim)
    BylineFactory(commentary=both, author=AuthorFactory(name="Jae Kim"))
    assert set(result_titles(search(client, q="reef", author="kim"))) == {
        by_kim.display_title,
        both.display_title,
    }
    assert result_titles(search(client, q="reef", author="ana lim")) == [by_other.display_title]
    assert set(result_titles(search(client, q="reef", author="saeme-kim"))) == {
        by_kim.display_title,
        both.display_title,
    }
    page = search(client, q="reef").content.decode()
    assert '<label for="id_author">Author</label>' in page
