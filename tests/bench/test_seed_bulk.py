from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from commentaries.models import Byline, Commentary

pytestmark = pytest.mark.django_db


def test_seed_bulk_creates_numbered_published_pieces_with_authors_and_topics():
    out = StringIO()
    call_command("seed_bulk", commentaries=120, batch_size=50, stdout=out)
    pieces = Commentary.objects.published().filter(series__slug="bulk")
    assert pieces.count() == 120
    assert not pieces.filter(bylines__isnull=True).exists()
    assert not pieces.filter(topics__isnull=True).exists()
    per_year = {}
    for year, number in pieces.values_list("year", "number"):
        per_year.setdefault(year, []).append(number)
    assert all(sorted(n) == list(range(1, len(n) + 1)) for n in per_year.values())
    assert "120/120 commentaries" in out.getvalue()


def test_seed_bulk_runs_again_without_clashing():
    call_command("seed_bulk", commentaries=30, stdout=StringIO())
    call_command("seed_bulk", commentaries=30, stdout=StringIO())
    assert Commentary.objects.count() == 60
    assert Byline.objects.filter(commentary__series__slug="bulk").exists()


def test_seed_bulk_honours_authors_and_topics_per_piece():
    call_command(
        "seed_bulk",
        commentaries=20,
        authors=10,
        authors_per_piece=6,
        topics_per_piece=10,
        topics=12,
        stdout=StringIO(),
    )
    most = max(c.bylines.count() for c in Commentary.objects.all())
    assert 1 <= most <= 6


def test_seed_bulk_refuses_nonsense():
    with pytest.raises(CommandError):
        call_command("seed_bulk", commentaries=0, stdout=StringIO())


def test_seeded_pieces_are_searchable_by_author_and_topic_on_postgresql():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the search vector is PostgreSQL's")
    call_command("seed_bulk", commentaries=40, batch_size=15, stdout=StringIO())
    pieces = Commentary.objects.filter(series__slug="bulk")
    assert not pieces.filter(search_vector__isnull=True).exists()
    piece = pieces.prefetch_related("bylines__author", "topics").first()
    surname = piece.bylines.all()[0].author.name.split()[1].split("-")[0].lower()  # "Hale-2"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT search_vector::text FROM commentaries_commentary WHERE id = %s", [piece.pk]
        )
        vector = cursor.fetchone()[0]
    assert f"'{surname}'" in vector
    assert "'topic'" in vector


def test_seeded_vectors_are_the_ones_the_trigger_computes_with_every_author_and_topic():
    """seed_bulk writes links before pieces so each piece is indexed once; the
    result must equal a fresh recomputation, for every piece, not just one."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the search vector is PostgreSQL's")
    call_command(
        "seed_bulk",
        commentaries=60,
        batch_size=25,
        authors_per_piece=6,
        topics_per_piece=10,
        stdout=StringIO(),
    )
    query = "SELECT id, search_vector::text FROM commentaries_commentary ORDER BY id"
    with connection.cursor() as cursor:
        cursor.execute(query)
        seeded = cursor.fetchall()
        cursor.execute("UPDATE commentaries_commentary SET search_vector = NULL")
        cursor.execute(query)
        recomputed = cursor.fetchall()
    assert len(seeded) == 60
    assert seeded == recomputed


@pytest.mark.django_db(transaction=True)
def test_seed_bulk_on_two_connections_numbers_every_piece_once():
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer, so seed_bulk uses one connection there")
    out = StringIO()
    call_command("seed_bulk", commentaries=90, batch_size=10, jobs=2, stdout=out)
    pieces = Commentary.objects.filter(series__slug="bulk")
    assert pieces.count() == 90
    assert "90/90 commentaries" in out.getvalue()
    per_year = {}
    for year, number in pieces.values_list("year", "number"):
        per_year.setdefault(year, []).append(number)
    assert all(sorted(n) == list(range(1, len(n) + 1)) for n in per_year.values())
    assert not pieces.filter(bylines__isnull=True).exists()
    assert not pieces.filter(search_vector__isnull=True).exists()
    # Numbers follow publication order within a year, as a real series' would.
    ordered = list(pieces.order_by("published_at").values_list("year", "number"))
    for year in per_year:
        numbers = [number for y, number in ordered if y == year]
        assert numbers == sorted(numbers)
    # The credits, worked out on a second connection, and the surroundings.
    from tests.commentaries.test_credits import assert_stored_credits_are_current
    from tests.commentaries.test_surroundings import assert_stored_surroundings_are_current

    assert not pieces.filter(credits__bylines=[]).exists()
    assert_stored_credits_are_current()
    assert_stored_surroundings_are_current()


def test_seeded_authors_are_filed_under_their_surnames_initial():
    from authors.models import Author

    call_command("seed_bulk", commentaries=10, authors=10, stdout=StringIO())
    sort_names = list(
        Author.objects.filter(slug__startswith="bulk-author-").values_list("sort_name", flat=True)
    )
    assert len(sort_names) == 10
    assert all(name[0].isalpha() for name in sort_names), sort_names
