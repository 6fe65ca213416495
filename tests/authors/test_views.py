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


def test_profile_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    author = AuthorFactory()
    AffiliationFactory.create_batch(3, author=author)
    for _ in range(25):
        piece = CommentaryFactory(published=True)
        BylineFactory(commentary=piece, author=author)
        BylineFactory.create_batch(2, commentary=piece)
    with django_assert_max_num_queries(7):
        assert client.get(author.get_absolute_url()).status_code == 200


def test_directory_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(30):
        author = AuthorFactory()
        AffiliationFactory.create_batch(2, author=author)
        BylineFactory(commentary=CommentaryFactory(published=True), author=author)
    with django_assert_max_num_queries(4):
        assert client.get("/authors/").status_code == 200
