"""Merging duplicate authors: records side by side, a choice per field, no
bio or "show email" lost, and the removed record's addresses redirect."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from authors.models import Author, FormerSlug
from authors.services import author_merge, merge_defaults
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


def test_an_emptied_editor_field_never_wins_over_a_real_bio():
    keep = AuthorFactory(long_bio="<p>x</p>")
    Author.objects.filter(pk=keep.pk).update(long_bio="<p>&nbsp;</p>")  # stored before the fix
    keep.refresh_from_db()
    duplicate = AuthorFactory(long_bio="<p>Wrote on Korea for twenty years.</p>")
    assert merge_defaults(keep=keep, duplicates=[duplicate])["long_bio"] == duplicate.pk
    author_merge(keep=keep, duplicates=[duplicate])
    keep.refresh_from_db()
    assert keep.long_bio == "<p>Wrote on Korea for twenty years.</p>"


def test_an_emptied_editor_field_is_stored_as_nothing():
    author = AuthorFactory(long_bio="<p>&nbsp;</p>")
    author.refresh_from_db()
    assert author.long_bio == ""


def test_show_email_stays_on_when_any_record_had_it_on():
    keep = AuthorFactory(show_email=False)
    duplicate = AuthorFactory(show_email=True)
    piece = CommentaryFactory(published=True)
    BylineFactory(commentary=piece, author=duplicate, email=duplicate.email)
    author_merge(keep=keep, duplicates=[duplicate])
    keep.refresh_from_db()
    assert keep.show_email is True


def test_the_editor_chooses_each_field_and_may_keep_both_bios():
    keep = AuthorFactory(
        name="Saeme Kim", email="", short_bio="is a fellow.", long_bio="<p>First bio.</p>"
    )
    duplicate = AuthorFactory(
        name="Kim Saeme", email="saeme@example.org", short_bio="", long_bio="<p>Second bio.</p>"
    )
    author_merge(
        keep=keep,
        duplicates=[duplicate],
        choices={"name": keep.pk, "email": duplicate.pk, "long_bio": "both"},
    )
    keep.refresh_from_db()
    assert keep.name == "Saeme Kim"
    assert keep.email == "saeme@example.org"
    assert keep.short_bio == "is a fellow."
    assert keep.long_bio == "<p>First bio.</p>\n<p>Second bio.</p>"


def test_a_combined_short_bio_too_long_is_refused_and_nothing_moves():
    keep = AuthorFactory(short_bio="a" * 200)
    duplicate = AuthorFactory(short_bio="b" * 200)
    BylineFactory(author=duplicate)
    with pytest.raises(ValidationError) as error:
        author_merge(keep=keep, duplicates=[duplicate], choices={"short_bio": "both"})
    assert "short bio" in str(error.value)
    assert Author.objects.filter(pk=duplicate.pk).exists()
    assert duplicate.bylines.count() == 1


def test_the_removed_records_profile_and_feeds_answer_301_to_the_kept_one(client):
    keep = AuthorFactory(slug="saeme-kim")
    duplicate = AuthorFactory(slug="saeme-kim-2")
    BylineFactory(author=keep, commentary=CommentaryFactory(published=True))
    BylineFactory(author=duplicate, commentary=CommentaryFactory(published=True))
    author_merge(keep=keep, duplicates=[duplicate])

    response = client.get("/authors/saeme-kim-2/")
    assert response.status_code == 301
    assert response["Location"] == "/authors/saeme-kim/"
    for fmt in ("rss", "atom"):
        response = client.get(f"/feeds/author/saeme-kim-2/{fmt}/")
        assert response.status_code == 301
        assert response["Location"] == f"/feeds/author/saeme-kim/{fmt}/"
    assert client.get("/authors/saeme-kim/").status_code == 200
    assert client.get("/authors/nobody-at-all/").status_code == 404


def test_addresses_follow_a_chain_of_merges():
    first, second, third = AuthorFactory(), AuthorFactory(), AuthorFactory()
    author_merge(keep=second, duplicates=[first])
    author_merge(keep=third, duplicates=[second])
    assert set(FormerSlug.objects.values_list("slug", "author")) == {
        (first.slug, third.pk),
        (second.slug, third.pk),
    }


def test_merge_page_shows_the_records_side_by_side_with_what_tells_them_apart(client, editor):
    ana = AuthorFactory(name="Ana Lee", email="ana@csis.example")
    other = AuthorFactory(name="Ana Lee", email="ana.lee@uni.example")
    AffiliationFactory(author=ana, organization=OrganizationFactory(name="CSIS"), role="Fellow")
    BylineFactory(author=ana, commentary=CommentaryFactory(title="On ports", published=True))
    BylineFactory(author=ana, commentary=CommentaryFactory(title="On cables", published=True))
    html = client.post(
        CHANGELIST, {"action": "merge_authors", "_selected_action": [ana.pk, other.pk]}
    ).content.decode()
    assert "ana@csis.example" in html
    assert "ana.lee@uni.example" in html
    assert "Fellow, CSIS" in html
    assert "<td>2</td>" in html and "<td>0</td>" in html
    assert "On ports" in html or "On cables" in html
    assert f"keep Ana Lee’s record ({ana.slug})" in html
    assert f"keep Ana Lee’s record ({other.slug})" in html


def test_merging_through_the_admin_applies_the_choices(client, editor):
    keep = AuthorFactory(name="Ana Lee", short_bio="", long_bio="<p>Kept bio.</p>")
    other = AuthorFactory(name="Ana Lee", short_bio="is a fellow.", long_bio="<p>Other bio.</p>")
    selection = {"action": "merge_authors", "_selected_action": [keep.pk, other.pk]}
    choices = {
        "keep": keep.pk,
        "name": keep.pk,
        "sort_name": keep.pk,
        "email": other.pk,
        "show_email": other.pk,
        "photo": keep.pk,
        "short_bio": other.pk,
        "long_bio": "both",
    }
    response = client.post(CHANGELIST, selection | choices | {"merge": "1"})
    assert response.status_code == 302
    keep.refresh_from_db()
    assert keep.long_bio == "<p>Kept bio.</p>\n<p>Other bio.</p>"
    assert keep.short_bio == "is a fellow."
    assert keep.email == other.email
    assert FormerSlug.objects.get(slug=other.slug).author == keep


def test_merge_with_a_too_long_combination_reshows_the_form_with_the_error(client, editor):
    keep = AuthorFactory(short_bio="a" * 200)
    other = AuthorFactory(short_bio="b" * 200)
    selection = {"action": "merge_authors", "_selected_action": [keep.pk, other.pk]}
    fields = dict.fromkeys(
        ["name", "sort_name", "email", "show_email", "photo", "long_bio"], keep.pk
    )
    response = client.post(
        CHANGELIST, selection | fields | {"keep": keep.pk, "short_bio": "both", "merge": "1"}
    )
    assert response.status_code == 200
    assert "Together these make 401 characters" in response.content.decode()
    assert Author.objects.count() == 2


def test_the_author_picker_tells_same_name_authors_apart(client, editor):
    ana = AuthorFactory(name="Ana Lee", email="ana@csis.example")
    AuthorFactory(name="Ana Lee", email="ana.lee@uni.example")
    AffiliationFactory(author=ana, organization=OrganizationFactory(name="CSIS"), role="Fellow")
    BylineFactory(author=ana, commentary=CommentaryFactory(published=True))
    response = client.get(
        "/admin/autocomplete/",
        {
            "term": "Ana",
            "app_label": "commentaries",
            "model_name": "byline",
            "field_name": "author",
        },
    )
    texts = sorted(result["text"] for result in response.json()["results"])
    assert texts[0].startswith("Ana Lee · ana.lee@uni.example · no pieces yet")
    assert texts[1].startswith("Ana Lee · ana@csis.example · Fellow, CSIS · 1 piece, latest ")


def test_a_new_byline_takes_its_bio_from_the_affiliation_when_the_author_has_none():
    author = AuthorFactory(short_bio="")
    AffiliationFactory(author=author, organization=OrganizationFactory(name="CSIS"), role="")
    AffiliationFactory(
        author=AuthorFactory(short_bio=""),
        organization=OrganizationFactory(name="RAND"),
        role="Senior Fellow",
    )
    byline = BylineFactory(author=author, bio="")
    assert byline.bio == "is with CSIS."
    other = Author.objects.get(affiliations__organization__name="RAND")
    assert BylineFactory(author=other, bio="").bio == "is Senior Fellow at RAND."


def test_the_snapshot_falls_back_on_the_affiliation(client, editor):
    author = AuthorFactory(short_bio="")
    AffiliationFactory(author=author, organization=OrganizationFactory(name="CSIS"), role="Fellow")
    url = reverse("admin:authors_author_snapshot", args=[author.pk])
    assert client.get(url).json()["short_bio"] == "is Fellow at CSIS."


def test_a_second_author_of_the_same_name_gets_the_next_free_address(client, editor):
    AuthorFactory(name="Ana Lee", slug="ana-lee")
    FormerSlug.objects.create(slug="ana-lee-2", author=AuthorFactory())
    response = client.post(
        reverse("admin:authors_author_add"),
        {
            "name": "Ana Lee",
            "slug": "ana-lee",
            "affiliations-TOTAL_FORMS": "0",
            "affiliations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Author.objects.filter(name="Ana Lee").count() == 2
    assert Author.objects.filter(slug="ana-lee-3").exists()


def test_an_existing_author_cannot_take_anothers_address(client, editor):
    AuthorFactory(slug="ana-lee")
    mine = AuthorFactory(name="Bo Kim", slug="bo-kim")
    response = client.post(
        reverse("admin:authors_author_change", args=[mine.pk]),
        {
            "name": "Bo Kim",
            "slug": "ana-lee",
            "affiliations-TOTAL_FORMS": "0",
            "affiliations-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    mine.refresh_from_db()
    assert mine.slug == "bo-kim"
