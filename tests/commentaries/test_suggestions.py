"""“Did you mean …?” from the archive's own words (PostgreSQL and pg_trgm)."""

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from commentaries.models import Commentary, SearchWord
from commentaries.services import commentary_publish
from tests.factories import (
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    ReadyCommentaryFactory,
    SeriesFactory,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_trgm needs PostgreSQL"),
]


def suggestion(client, **params):
    page = client.get(reverse("commentaries:search"), params).content.decode()
    found = re.search(r'class="did-you-mean">Did you mean: <a href="\?([^"]+)">([^<]+)</a>', page)
    return (html.unescape(found.group(2)), html.unescape(found.group(1))) if found else None


@pytest.fixture
def archive():
    CommentaryFactory(
        published=True,
        title="Maritime security in the Pacific",
        body="<p>Coast guards&nbsp;cooperate on maritime security.</p>",
    )


def test_a_misspelt_query_gets_a_suggestion_linked_to_its_search(client, archive):
    text, query = suggestion(client, q="maritme securty")
    assert text == "maritime security"
    assert "q=maritime+security" in query
    assert client.get(reverse("commentaries:search") + "?" + query).status_code == 200


def test_a_correct_query_gets_no_suggestion(client, archive):
    assert suggestion(client, q="maritime security") is None
    assert suggestion(client, q="Maritime SECURITY") is None
    assert suggestion(client, q="cooperates") is None, "same stem as a known word"


def test_the_suggestion_keeps_the_rest_of_the_query_and_the_filters(client, archive):
    text, query = suggestion(client, q='"maritme securty" -pacific', sort="newest")
    assert text == '"maritime security" -pacific'
    assert "sort=newest" in query


def test_series_names_and_numbers_are_never_corrected(client, archive):
    SeriesFactory(name="PacNet", short_label="PacNet", slug="pacnet")
    assert suggestion(client, q="PacNet 28") is None
    text, _query = suggestion(client, q="PacNet securty")
    assert text == "PacNet security"


def test_a_word_first_used_in_a_piece_published_during_the_test_is_suggested_afterwards(
    client, archive
):
    assert suggestion(client, q="thalassocratic") is None
    assert suggestion(client, q="thalasocratic") is None
    piece = ReadyCommentaryFactory(title="A thalassocratic turn", body="<p>New words.</p>")
    assert suggestion(client, q="thalasocratic") is None, "a draft's words stay private"
    commentary_publish(commentary=piece)
    text, _query = suggestion(client, q="thalasocratic")
    assert text == "thalassocratic"


def test_a_scheduled_pieces_words_are_suggested_only_from_its_publish_time(
    client, archive, monkeypatch
):
    from django.core.cache import cache

    later = timezone.now() + timedelta(days=2)
    CommentaryFactory(scheduled=True, published_at=later, title="Archipelagic defence")
    assert SearchWord.objects.get(word="archipelagic").first_published_at == later
    assert suggestion(client, q="archipelgic") is None
    # Two days on, with no write at all. (The page cache never outlives the
    # next publish time; here only the suggestions' clock moves, so clear it.)
    monkeypatch.setattr(
        "commentaries.suggestions.timezone.now", lambda: later + timedelta(minutes=1)
    )
    cache.clear()
    assert suggestion(client, q="archipelgic")[0] == "archipelagic"


def test_an_earlier_publish_time_makes_a_word_public_earlier():
    later = timezone.now() + timedelta(days=2)
    piece = CommentaryFactory(scheduled=True, published_at=later, title="Littoral states")
    earlier = timezone.now() - timedelta(days=1)
    Commentary.objects.filter(pk=piece.pk).update(published_at=earlier)
    assert SearchWord.objects.get(word="littoral").first_published_at == earlier


def test_authors_names_are_in_the_vocabulary(client, archive):
    piece = CommentaryFactory(published=True, title="Ports")
    BylineFactory(commentary=piece, author=AuthorFactory(name="Leilani Kahalewai"))
    assert suggestion(client, q="Kahalewai") is None
    assert suggestion(client, q="Kahalewia")[0] == "kahalewai"


def test_html_entities_are_not_words(archive):
    assert not SearchWord.objects.filter(word="nbsp").exists()
    assert SearchWord.objects.filter(word="guards").exists()
