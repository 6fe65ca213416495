"""The authors' admin: profile editing, their commentaries, merging duplicates."""

import pytest
from django.urls import reverse
from reversion.models import Version

from authors.models import Author
from tests.factories import (
    AffiliationFactory,
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    OrganizationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:authors_author_changelist")


@pytest.fixture
def editor(client):
    user = UserFactory(username="editor", groups=["Editors"])
    client.force_login(user)
    return user


def test_author_form_uses_ckeditor_for_the_long_bio_and_lists_their_pieces(client, editor):
    author = AuthorFactory()
    BylineFactory(author=author, commentary=CommentaryFactory(title="Their first piece"))
    html = client.get(reverse("admin:authors_author_change", args=[author.pk])).content.decode()
    assert 'name="long_bio"' in html
    assert 'class="django_ckeditor_5"' in html
    assert "Their first piece" in html


def test_authors_are_found_by_organization(client, editor):
    AffiliationFactory(
        author=AuthorFactory(name="Ana Lee"), organization=OrganizationFactory(name="CSIS")
    )
    AuthorFactory(name="Bo Kim")
    html = client.get(CHANGELIST, {"q": "CSIS"}).content.decode()
    assert "Ana Lee" in html
    assert "Bo Kim" not in html


def test_snapshot_gives_the_bio_and_email_a_byline_starts_from(client, editor):
    author = AuthorFactory(short_bio="is a fellow at CSIS.", email="ana@example.org")
    url = reverse("admin:authors_author_snapshot", args=[author.pk])
    assert client.get(url).json() == {
        "short_bio": "is a fellow at CSIS.",
        "email": "ana@example.org",
    }


def test_snapshot_is_for_staff_only(client):
    author = AuthorFactory()
    url = reverse("admin:authors_author_snapshot", args=[author.pk])
    assert client.get(url).status_code == 302  # to the admin login


def test_merging_moves_bylines_and_affiliations_and_keeps_history(client, editor):
    keep = AuthorFactory(name="Saeme Kim", short_bio="")
    duplicate = AuthorFactory(name="Kim Saeme", short_bio="is a fellow.")
    both = CommentaryFactory(title="Signed twice")
    only_duplicate = CommentaryFactory(title="Signed by the duplicate")
    BylineFactory(commentary=both, author=keep)
    BylineFactory(commentary=both, author=duplicate)
    BylineFactory(commentary=only_duplicate, author=duplicate, bio="was then a student.")
    AffiliationFactory(author=duplicate)
    selection = {"action": "merge_authors", "_selected_action": [keep.pk, duplicate.pk]}

    confirm = client.post(CHANGELIST, selection)
    assert "Merge duplicate authors" in confirm.content.decode()
    assert Author.objects.count() == 2

    response = client.post(CHANGELIST, selection | {"merge": "1", "keep": keep.pk})
    assert response.status_code == 302
    assert list(Author.objects.all()) == [keep]
    assert list(both.bylines.values_list("author", flat=True)) == [keep.pk]
    moved = only_duplicate.bylines.get()
    assert (moved.author, moved.bio) == (keep, "was then a student.")
    keep.refresh_from_db()
    assert keep.short_bio == "is a fellow."
    assert keep.affiliations.count() == 1
    assert Version.objects.get_deleted(Author).filter(object_id=str(duplicate.pk)).exists()


def test_merging_needs_two_authors(client, editor):
    author = AuthorFactory()
    response = client.post(
        CHANGELIST, {"action": "merge_authors", "_selected_action": [author.pk]}, follow=True
    )
    assert "Select at least two records" in response.content.decode()
    assert Author.objects.count() == 1
