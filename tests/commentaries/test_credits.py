"""The credits stored on each piece (its bylines, their authors and current
affiliations, its topics) stay what they should be through every path that
changes what they are made of: bylines added, edited, removed (also in bulk),
authors renamed or merged, affiliations and organizations changed, topics
renamed, changed or deleted, history restores, withdrawing, and the bulk
writers (the WordPress importer, the archive loader). Each test changes the
source and reads the public pages."""

import pytest
import reversion
from django.core.cache import cache

from authors.services import author_merge
from commentaries import credits, services
from commentaries.models import Byline, Commentary
from tests.factories import (
    AffiliationFactory,
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    OrganizationFactory,
    SeriesFactory,
    TopicFactory,
    piece_with,
)

pytestmark = pytest.mark.django_db


def assert_stored_credits_are_current():
    """What every piece stores is what working it all out again gives."""
    stored = dict(Commentary.objects.values_list("pk", "credits"))
    assert stored == credits.work_out(stored)


def page(client, url):
    cache.clear()
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def piece():
    return piece_with(authors=2, topics=2, series=SeriesFactory(slug="pacnet"))


def test_a_piece_stores_its_bylines_and_topics_as_pages_print_them(piece):
    stored = Commentary.objects.get(pk=piece.pk).credits
    bylines = list(piece.bylines.select_related("author"))
    assert [row["author"]["name"] for row in stored["bylines"]] == [b.author.name for b in bylines]
    assert sorted(t["name"] for t in stored["topics"]) == sorted(t.name for t in piece.topics.all())
    assert_stored_credits_are_current()


def test_a_byline_added_shows_on_the_piece_and_in_its_series_listing(client, piece):
    author = AuthorFactory(name="Newly Added Writer")
    BylineFactory(commentary=piece, author=author)
    assert "Newly Added Writer" in page(client, piece.get_absolute_url())
    assert "Newly Added Writer" in page(client, "/pacnet/")
    assert_stored_credits_are_current()


def test_a_byline_edited_or_removed_shows_on_the_piece(client, piece):
    first, second = piece.bylines.select_related("author")
    first.bio = "now writes about submarines."
    first.save()
    assert "now writes about submarines." in page(client, piece.get_absolute_url())
    Byline.objects.filter(pk=second.pk).delete()  # as the admin's bulk delete does
    html = page(client, piece.get_absolute_url())
    assert second.author.name not in html
    assert_stored_credits_are_current()


def test_an_author_renamed_shows_on_every_page_that_prints_the_byline(client, piece):
    author = piece.bylines.first().author
    author.name = "Renamed Person"
    author.slug = "renamed-person"
    author.save()
    html = page(client, piece.get_absolute_url())
    assert "Renamed Person" in html
    assert 'href="/authors/renamed-person/"' in html
    assert "Renamed Person" in page(client, "/pacnet/")
    assert_stored_credits_are_current()


def test_an_author_hiding_their_email_hides_it_on_the_piece(client, piece):
    author = piece.bylines.first().author
    email = piece.bylines.first().email
    assert email
    author.show_email = False
    author.save()
    html = page(client, piece.get_absolute_url())
    assert email not in html
    assert_stored_credits_are_current()


def test_affiliations_and_organizations_changed_show_in_the_citation_tags(client, piece):
    author = piece.bylines.first().author
    affiliation = AffiliationFactory(
        author=author, organization=OrganizationFactory(name="Harbour Institute")
    )
    assert 'content="Harbour Institute"' in page(client, piece.get_absolute_url())
    organization = affiliation.organization
    organization.name = "Lighthouse Institute"
    organization.save()
    html = page(client, piece.get_absolute_url())
    assert 'content="Lighthouse Institute"' in html
    affiliation.is_current = False
    affiliation.save()
    assert "Lighthouse Institute" not in page(client, piece.get_absolute_url())
    assert_stored_credits_are_current()


def test_merged_authors_show_as_the_author_kept(client, piece):
    duplicate = piece.bylines.first().author
    keep = AuthorFactory(name="The Kept Author")
    author_merge(keep=keep, duplicates=[duplicate])
    html = page(client, piece.get_absolute_url())
    assert "The Kept Author" in html
    assert duplicate.name not in html
    assert_stored_credits_are_current()


def test_topics_renamed_changed_or_deleted_show_on_the_piece(client, piece):
    topic = piece.topics.order_by("name").first()
    topic.name = "Maritime Security"
    topic.save()
    assert "Maritime Security" in page(client, piece.get_absolute_url())
    services.commentary_set_topics(commentary=piece, topics=[TopicFactory(name="Energy Grids")])
    html = page(client, piece.get_absolute_url())
    assert "Energy Grids" in html
    assert "Maritime Security" not in html
    services.topics_delete(topics=list(piece.topics.all()))
    assert "Energy Grids" not in page(client, piece.get_absolute_url())
    assert_stored_credits_are_current()


def test_a_history_restore_brings_back_the_old_bylines(client, piece):
    old_author = piece.bylines.first().author
    with reversion.create_revision():
        piece.save()
    Byline.objects.filter(commentary=piece, author=old_author).delete()
    assert old_author.name not in page(client, piece.get_absolute_url())

    from reversion.models import Version

    version = Version.objects.get_for_object(piece).first()
    services.commentary_restore(commentary=piece, version=version)
    assert old_author.name in page(client, piece.get_absolute_url())
    assert_stored_credits_are_current()


def test_a_withdrawn_and_reinstated_piece_keeps_its_bylines(client, piece):
    name = piece.bylines.first().author.name
    services.commentary_withdraw(commentary=piece, note="An error of fact.")
    response = client.get(piece.get_absolute_url())
    assert response.status_code == 410
    assert name in response.content.decode()
    piece.refresh_from_db()
    services.commentary_reinstate(commentary=piece)
    assert name in page(client, piece.get_absolute_url())
    assert_stored_credits_are_current()


def test_a_new_piece_without_bylines_or_topics_stores_empty_credits():
    piece = CommentaryFactory()
    assert Commentary.objects.get(pk=piece.pk).credits == {"bylines": [], "topics": []}


def test_the_wordpress_importer_leaves_every_piece_with_its_credits():
    from io import StringIO

    from django.core.management import call_command

    from tests.wordpress.conftest import FIXTURES

    call_command("import_wxr", str(FIXTURES / "archive.xml"), stdout=StringIO())
    assert Commentary.objects.exclude(credits__bylines=[]).exists()
    assert_stored_credits_are_current()


def test_saving_a_piece_loaded_before_its_bylines_changed_keeps_its_credits(client):
    """A publish (or any whole save) of an instance that was loaded before a
    byline was added must not write back the credits it loaded."""
    from commentaries.services import commentary_publish

    piece = CommentaryFactory(series=SeriesFactory(slug="pacnet"), title="Loaded early")
    BylineFactory(commentary=piece, author=AuthorFactory(name="Ana Lee"), bio="is a fellow.")
    piece = commentary_publish(commentary=piece)
    assert "Ana Lee" in client.get(piece.get_absolute_url()).content.decode()
    piece.title = "Renamed"
    piece.save()
    assert "Ana Lee" in client.get(piece.get_absolute_url()).content.decode()


def test_a_batch_works_out_credits_and_menus_once_at_its_end():
    from commentaries import batching, menus

    series = SeriesFactory(slug="pacnet")
    piece = CommentaryFactory(series=series, published=True, title="Batched")
    with batching.batched():
        for name in ("Ana Lee", "Ben Ode", "Cy Park"):
            BylineFactory(commentary=piece, author=AuthorFactory(name=name), bio="is a fellow.")
        # Nothing is worked out inside the block.
        assert Commentary.objects.get(pk=piece.pk).credits["bylines"] == []
    names = [b["author"]["name"] for b in Commentary.objects.get(pk=piece.pk).credits["bylines"]]
    assert names == ["Ana Lee", "Ben Ode", "Cy Park"]
    assert [a[1] for a in menus.choices(series, author_limit=10)["authors"]] == [
        "Ana Lee",
        "Ben Ode",
        "Cy Park",
    ]
    assert_stored_credits_are_current()


def test_a_batch_left_by_an_error_works_out_nothing():
    """Its transaction is rolled back: there is nothing to work out."""
    from commentaries import batching

    piece = CommentaryFactory(published=True)
    with pytest.raises(RuntimeError), batching.batched():
        BylineFactory(commentary=piece, author=AuthorFactory(name="Ana Lee"))
        raise RuntimeError("the form failed")
    assert Commentary.objects.get(pk=piece.pk).credits["bylines"] == []


def test_derived_data_of_many_pieces_is_written_in_one_statement(django_assert_num_queries):
    pieces = CommentaryFactory.create_batch(3)
    values = {
        piece.pk: {
            "credits": {
                "bylines": [],
                "topics": [{"id": n, "name": f"Topic {n}", "slug": f"t{n}"}],
            },
            "surroundings": {"previous": None, "next": None, "related": [n]},
        }
        for n, piece in enumerate(pieces)
    }
    with django_assert_num_queries(1):
        Commentary.objects.write_derived(values)
    stored = Commentary.objects.filter(pk__in=values).values_list("pk", "credits", "surroundings")
    assert {pk: {"credits": c, "surroundings": s} for pk, c, s in stored} == values
