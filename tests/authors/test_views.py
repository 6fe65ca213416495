import datetime

import pytest

from tests.factories import (
    AffiliationFactory,
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    OrganizationFactory,
)

pytestmark = pytest.mark.django_db


def html(response):
    return response.content.decode()


def test_directory_lists_authors_a_to_z_with_current_affiliations(client):
    zed = AuthorFactory(name="Zed Young")
    amy = AuthorFactory(name="Amy Adams")
    AffiliationFactory(author=amy, organization=OrganizationFactory(name="Coral Institute"))
    AffiliationFactory(
        author=amy,
        organization=OrganizationFactory(name="Old Place"),
        is_current=False,
        end_date=datetime.date(2019, 1, 1),
    )
    for author in (zed, amy):
        BylineFactory(commentary=CommentaryFactory(published=True), author=author)
    page = html(client.get("/authors/"))
    assert page.index("Adams, Amy") < page.index("Young, Zed")
    assert "Coral Institute" in page
    assert "Old Place" not in page


def test_directory_leaves_out_authors_with_nothing_published(client):
    author = AuthorFactory(name="Only Drafts")
    BylineFactory(commentary=CommentaryFactory(), author=author)
    assert "Only Drafts" not in html(client.get("/authors/"))
    assert client.get(author.get_absolute_url()).status_code == 404


def test_profile_shows_bio_affiliations_current_and_past_and_pieces(client):
    author = AuthorFactory(name="Mei Chen", long_bio="<p>Works on fisheries.</p>")
    AffiliationFactory(author=author, role="Senior Fellow", organization__name="Coral Institute")
    AffiliationFactory(
        author=author,
        role="Intern",
        organization__name="Harbor College",
        is_current=False,
        start_date=datetime.date(2010, 1, 1),
        end_date=datetime.date(2012, 1, 1),
    )
    BylineFactory(commentary=CommentaryFactory(published=True, title="Her piece"), author=author)
    BylineFactory(commentary=CommentaryFactory(title="Her draft"), author=author)
    page = html(client.get(author.get_absolute_url()))
    assert "Works on fisheries." in page
    assert "Senior Fellow, Coral Institute" in page
    assert "Intern, Harbor College" in page
    assert "Her piece" in page
    assert "Her draft" not in page


def test_profile_email_follows_the_authors_choice_and_is_never_plain_text(client):
    shown = AuthorFactory(email="shown.person@example.org", show_email=True)
    hidden = AuthorFactory(email="hidden.person@example.org", show_email=False)
    for author in (shown, hidden):
        BylineFactory(commentary=CommentaryFactory(published=True), author=author)
    shown_page = html(client.get(shown.get_absolute_url()))
    assert "shown.person [at] example [dot] org" in shown_page
    assert "shown.person@example.org" not in shown_page
    assert "hidden.person" not in html(client.get(hidden.get_absolute_url()))


def test_profile_pieces_are_paginated(client):
    author = AuthorFactory()
    for _n in range(23):
        BylineFactory(commentary=CommentaryFactory(published=True), author=author)
    assert "Page 1 of 2" in html(client.get(author.get_absolute_url()))
    assert client.get(author.get_absolute_url(), {"page": 2}).status_code == 200


def test_unknown_author_is_404(client):
    assert client.get("/authors/nobody/").status_code == 404


def test_profile_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    author = AuthorFactory()
    AffiliationFactory.create_batch(3, author=author)
    for _ in range(25):
        piece = CommentaryFactory(published=True)
        BylineFactory(commentary=piece, author=author)
        BylineFactory.create_batch(2, commentary=piece)
    with django_assert_num_queries(6):
        assert client.get(author.get_absolute_url()).status_code == 200


def test_directory_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    for _ in range(30):
        author = AuthorFactory()
        AffiliationFactory.create_batch(2, author=author)
        BylineFactory(commentary=CommentaryFactory(published=True), author=author)
    with django_assert_num_queries(5):
        assert client.get("/authors/").status_code == 200


@pytest.fixture
def big_directory(monkeypatch):
    """A directory past the one-page limit: a letter at a time, 2 to a page."""
    from commentaries.author_views import AuthorListView

    monkeypatch.setattr(AuthorListView, "ONE_PAGE_LIMIT", 3)
    monkeypatch.setattr(AuthorListView, "PER_PAGE", 2)
    names = ["Ann Abe", "Bo Akers", "Cy Allen", "Di Baker", "Ed Zhou", "Fay 9th"]
    for name in names:
        author = AuthorFactory(name=name, sort_name=name.split()[1] + ", " + name.split()[0])
        AffiliationFactory(author=author)
        BylineFactory(commentary=CommentaryFactory(published=True), author=author)


def test_small_directory_is_one_page_with_letter_anchors(client):
    for name in ("Amy Adams", "Zed Young"):
        BylineFactory(commentary=CommentaryFactory(published=True), author__name=name)
    page = html(client.get("/authors/"))
    assert 'href="#letter-a"' in page and 'href="#letter-y"' in page  # by surname
    assert "Adams, Amy" in page and "Young, Zed" in page
    assert 'class="pagination"' not in page


def test_big_directory_shows_one_letter_at_a_time_in_pages(client, big_directory):
    first = html(client.get("/authors/"))
    # The first letter ("9" sorts before "A"), then links to every other letter.
    assert "9th, Fay" in first and "Abe, Ann" not in first
    assert 'href="?letter=A"' in first and 'href="?letter=Z"' in first
    assert '<a href="?letter=9" aria-current="page">' in first

    a_page_one = html(client.get("/authors/?letter=a"))
    assert "Abe, Ann" in a_page_one and "Akers, Bo" in a_page_one
    assert "Allen, Cy" not in a_page_one  # on page 2 of A
    assert "page 1 of 2" in a_page_one
    assert "letter=a&amp;page=2" in a_page_one  # the pages keep the letter
    a_page_two = html(client.get("/authors/?letter=A&page=2"))
    assert "Allen, Cy" in a_page_two and "Abe, Ann" not in a_page_two
    assert "Zhou, Ed" in html(client.get("/authors/?letter=Z"))


def test_big_directory_falls_back_to_the_first_letter_for_an_unknown_one(client, big_directory):
    response = client.get("/authors/?letter=%3Cscript%3E")
    assert response.status_code == 200
    assert "9th, Fay" in html(response)
    assert "<script>" not in html(response)
    assert client.get("/authors/?letter=A&page=9").status_code == 404


def test_big_directory_runs_a_fixed_number_of_queries(
    client, big_directory, django_assert_num_queries
):
    # The first page also loads the site state (2 queries), cached afterwards.
    for letter, queries in [("", 5), ("?letter=A", 3), ("?letter=A&page=2", 3), ("?letter=Z", 3)]:
        with django_assert_num_queries(queries):
            assert client.get("/authors/" + letter).status_code == 200
