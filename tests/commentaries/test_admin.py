"""The editors' workspace: change list, change form, workflow, roles, history."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from commentaries.models import Commentary
from pacforum.editing import services
from tests.factories import (
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    SeriesFactory,
    SubscriptionRequestFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:commentaries_commentary_changelist")
ADD = reverse("admin:commentaries_commentary_add")


def change_url(piece):
    return reverse("admin:commentaries_commentary_change", args=[piece.pk])


@pytest.fixture
def editor(client):
    user = UserFactory(username="editor", groups=["Editors"])
    client.force_login(user)
    return user


@pytest.fixture
def contributor(client):
    user = UserFactory(username="contributor", groups=["Contributors"])
    client.force_login(user)
    return user


@pytest.fixture
def pacnet():
    return SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")


def form_data(series, *, authors=(), **overrides):
    """What the change form posts: the commentary plus its byline rows."""
    data = {
        "series": series.pk,
        "title": "Alliances in a hotter Pacific",
        "slug": "alliances-in-a-hotter-pacific",
        "summary": "Why climate is now a security question.",
        "body": "<h2>Heat</h2><p>It is <strong>getting</strong> hotter.<sup>1</sup></p>",
        "published_at_0": "",
        "published_at_1": "",
        "year": "",
        "number": "",
        "suffix": "",
        "responds_to": "",
        "original_publication": "",
        "original_url": "",
        "bylines-TOTAL_FORMS": str(len(authors)),
        "bylines-INITIAL_FORMS": "0",
        "bylines-MIN_NUM_FORMS": "0",
        "bylines-MAX_NUM_FORMS": "1000",
    }
    for index, author in enumerate(authors):
        data |= {
            f"bylines-{index}-position": str(index + 1),
            f"bylines-{index}-author": str(author.pk),
            f"bylines-{index}-email": "",
            f"bylines-{index}-bio": "",
        }
    return data | overrides


def opened_at(obj):
    """What a change form opened now carries: the record's version
    (`opened_version`). A save posted without it is refused as possibly stale."""
    return {"opened_version": services.version_token(type(obj)._default_manager.get(pk=obj.pk))}


def existing_bylines(piece, bylines):
    """The inline rows a browser posts for bylines already saved."""
    data = {"bylines-TOTAL_FORMS": str(len(bylines)), "bylines-INITIAL_FORMS": str(len(bylines))}
    for index, byline in enumerate(bylines):
        data |= {
            f"bylines-{index}-id": str(byline.pk),
            f"bylines-{index}-commentary": str(piece.pk),
            f"bylines-{index}-position": str(byline.position),
            f"bylines-{index}-author": str(byline.author_id),
            f"bylines-{index}-email": byline.email,
            f"bylines-{index}-bio": byline.bio,
        }
    return data


# Change list


def test_change_list_shows_number_status_authors_and_last_editor(client, editor, pacnet):
    piece = CommentaryFactory(
        series=pacnet, published=True, number=68, title="Sea lanes", last_edited_by=editor
    )
    BylineFactory(commentary=piece, author=AuthorFactory(name="Ana Lee"), position=1)
    BylineFactory(commentary=piece, author=AuthorFactory(name="Bo Kim"), position=2)
    CommentaryFactory(series=pacnet, scheduled=True, title="Next week")
    CommentaryFactory(series=pacnet, title="Still a draft")
    response = client.get(CHANGELIST)
    html = response.content.decode()
    assert response.status_code == 200
    assert "PacNet #68" in html
    assert "Ana Lee, Bo Kim" in html
    assert '<span class="status status-published">Published</span>' in html
    assert '<span class="status status-scheduled">Scheduled</span>' in html
    assert '<span class="status status-draft">Draft</span>' in html
    assert "editor" in html


def test_change_list_runs_the_same_number_of_queries_for_many_rows(
    client, editor, pacnet, django_assert_num_queries
):
    def add_pieces(count):
        for _ in range(count):
            piece = CommentaryFactory(series=pacnet, published=True, last_edited_by=editor)
            BylineFactory(commentary=piece)
            BylineFactory(commentary=piece)
            piece.topics.add(TopicFactory())

    add_pieces(2)
    with django_assert_num_queries(16):
        assert client.get(CHANGELIST).status_code == 200
    add_pieces(20)
    with django_assert_num_queries(16):
        assert client.get(CHANGELIST).status_code == 200


@pytest.mark.parametrize(
    ("state", "shown", "hidden"),
    [("draft", "Draft piece", "Live piece"), ("scheduled", "Future piece", "Live piece")],
)
def test_change_list_filters_by_status(client, editor, pacnet, state, shown, hidden):
    CommentaryFactory(series=pacnet, title="Draft piece")
    CommentaryFactory(series=pacnet, scheduled=True, title="Future piece")
    CommentaryFactory(series=pacnet, published=True, title="Live piece")
    html = client.get(CHANGELIST, {"state": state}).content.decode()
    assert shown in html
    assert hidden not in html


def test_change_list_searches_author_names(client, editor, pacnet):
    piece = CommentaryFactory(series=pacnet, title="By Saeme")
    BylineFactory(commentary=piece, author=AuthorFactory(name="Saeme Kim"))
    CommentaryFactory(series=pacnet, title="By someone else")
    html = client.get(CHANGELIST, {"q": "Saeme"}).content.decode()
    assert "By Saeme" in html
    assert "By someone else" not in html


# Change form


def test_change_form_uses_ckeditor_and_links_to_the_preview(client, editor, pacnet):
    piece = CommentaryFactory(series=pacnet)
    html = client.get(change_url(piece)).content.decode()
    assert 'class="django_ckeditor_5"' in html
    assert "django_ckeditor_5/dist/bundle.js" in html
    assert f'href="{reverse("commentaries:preview", kwargs={"pk": piece.pk})}"' in html
    assert 'name="_publish"' in html
    assert reverse("admin:editor_image_upload") in html


def test_saving_a_draft_keeps_it_hidden_and_records_the_editor(client, editor, pacnet):
    first, second = AuthorFactory(short_bio="is a fellow."), AuthorFactory()
    response = client.post(ADD, form_data(pacnet, authors=[first, second]))
    assert response.status_code == 302
    piece = Commentary.objects.get()
    assert piece.status == Commentary.Status.DRAFT
    assert piece.last_edited_by == editor
    assert piece.number is None
    assert [b.author for b in piece.bylines.all()] == [first, second]
    assert piece.bylines.first().bio == "is a fellow."
    assert piece.bylines.first().email == first.email


def test_publishing_assigns_the_next_number(client, editor, pacnet):
    year = timezone.localtime().year
    CommentaryFactory(series=pacnet, published=True, number=67, published_at=timezone.now())
    response = client.post(ADD, form_data(pacnet, authors=[AuthorFactory()], _publish="1"))
    assert response.status_code == 302
    piece = Commentary.objects.get(slug="alliances-in-a-hotter-pacific")
    assert piece.status == Commentary.Status.PUBLISHED
    assert (piece.year, piece.number) == (year, 68)
    assert piece.is_live
    assert client.get(piece.get_absolute_url()).status_code == 200


def test_publishing_with_a_future_time_schedules_the_piece(client, editor, pacnet):
    when = timezone.localtime() + timedelta(days=3)
    data = form_data(
        pacnet,
        authors=[AuthorFactory()],
        _publish="1",
        published_at_0=when.strftime("%Y-%m-%d"),
        published_at_1=when.strftime("%H:%M:%S"),
    )
    assert client.post(ADD, data).status_code == 302
    piece = Commentary.objects.get()
    assert piece.is_scheduled
    assert Commentary.objects.published().count() == 0


def test_a_number_clash_is_a_form_error_not_a_crash(client, editor, pacnet):
    CommentaryFactory(series=pacnet, published=True, number=68, year=2019)
    data = form_data(pacnet, _publish="1", year="2019", number="68")
    response = client.post(ADD, data)
    assert response.status_code == 200
    assert "PacNet #68 (2019) already exists." in response.content.decode()
    assert Commentary.objects.count() == 1


def test_a_clash_on_an_existing_draft_is_reported_on_save_too(client, editor, pacnet):
    CommentaryFactory(series=pacnet, published=True, number=68, year=2019)
    draft = CommentaryFactory(series=pacnet)
    response = client.post(change_url(draft), form_data(pacnet, year="2019", number="68"))
    assert response.status_code == 200
    assert "PacNet #68 (2019) already exists." in response.content.decode()
    draft.refresh_from_db()
    assert draft.number is None


def test_cancelling_a_schedule_makes_a_draft_again(client, editor, pacnet):
    piece = CommentaryFactory(series=pacnet, scheduled=True, number=5, title="Not yet")
    when = timezone.localtime(piece.published_at)
    data = form_data(pacnet, title="Not yet", slug=piece.slug, year=piece.year, number="5")
    data |= {
        "published_at_0": when.strftime("%Y-%m-%d"),
        "published_at_1": when.strftime("%H:%M:%S"),
        "_unpublish": "1",
    }
    assert client.post(change_url(piece), data | opened_at(piece)).status_code == 302
    piece.refresh_from_db()
    assert piece.status == Commentary.Status.DRAFT


def test_withdrawing_a_live_piece_keeps_its_number_and_records_the_note(client, editor, pacnet):
    piece = CommentaryFactory(series=pacnet, published=True, number=5, title="Going away")
    url = reverse("admin:commentaries_commentary_withdraw", args=[piece.pk])
    assert "Editors’ note" in client.get(url).content.decode()
    response = client.post(url, {"note": ""})
    assert response.status_code == 200  # the note is required
    assert client.post(url, {"note": "The data behind it was wrong."}).status_code == 302
    piece.refresh_from_db()
    assert piece.status == Commentary.Status.WITHDRAWN
    assert (piece.number, piece.withdrawal_note) == (5, "The data behind it was wrong.")
    assert not Commentary.objects.published().exists()


def test_body_is_sanitised_when_saved_from_the_admin(client, editor, pacnet):
    body = '<p onclick="steal()">Hi<script>alert(1)</script></p>'
    client.post(ADD, form_data(pacnet, body=body))
    assert Commentary.objects.get().body == "<p>Hi</p>"


def test_bulk_publish_asks_first_listing_the_numbers_then_publishes(client, editor, pacnet):
    first = BylineFactory(commentary__series=pacnet).commentary
    second = BylineFactory(commentary__series=pacnet).commentary
    CommentaryFactory(series=pacnet, published=True, number=7, year=timezone.localtime().year)
    ids = [first.pk, second.pk]
    asked = client.post(CHANGELIST, {"action": "publish_selected", "_selected_action": ids})
    html = asked.content.decode()
    assert asked.status_code == 200
    assert "PacNet #8" in html and "PacNet #9" in html
    assert Commentary.objects.published().count() == 1  # nothing published yet
    client.post(
        CHANGELIST, {"action": "publish_selected", "_selected_action": ids, "confirm": "yes"}
    )
    assert Commentary.objects.published().count() == 3
    assert sorted(Commentary.objects.values_list("number", flat=True)) == [7, 8, 9]


def test_bulk_publish_lists_and_skips_a_piece_that_is_not_ready(client, editor, pacnet):
    ready = BylineFactory(commentary__series=pacnet).commentary
    empty = CommentaryFactory(series=pacnet, body="", summary="")
    ids = [ready.pk, empty.pk]
    html = client.post(
        CHANGELIST, {"action": "publish_selected", "_selected_action": ids}
    ).content.decode()
    assert "Not published:" in html and "Add an author." in html
    client.post(
        CHANGELIST, {"action": "publish_selected", "_selected_action": ids, "confirm": "yes"}
    )
    assert list(Commentary.objects.published()) == [ready]


def test_a_published_piece_cannot_be_deleted_even_by_an_editor(client, editor, pacnet):
    piece = CommentaryFactory(series=pacnet, published=True)
    url = reverse("admin:commentaries_commentary_delete", args=[piece.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    assert Commentary.objects.filter(pk=piece.pk).exists()


def test_an_editor_may_delete_a_draft(client, editor, pacnet):
    draft = CommentaryFactory(series=pacnet)
    url = reverse("admin:commentaries_commentary_delete", args=[draft.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Commentary.objects.filter(pk=draft.pk).exists()


# Roles


def test_setup_roles_is_idempotent_and_gives_only_editors_publishing():
    out = io.StringIO()
    call_command("setup_roles", stdout=out)
    counts = {g.name: g.permissions.count() for g in Group.objects.all()}
    call_command("setup_roles", stdout=out)
    assert {g.name: g.permissions.count() for g in Group.objects.all()} == counts
    editors = Group.objects.get(name="Editors").permissions.values_list("codename", flat=True)
    contributors = Group.objects.get(name="Contributors").permissions.values_list(
        "codename", flat=True
    )
    assert "publish_commentary" in editors
    assert "view_subscriptionrequest" in editors
    assert "publish_commentary" not in contributors
    assert "delete_commentary" not in contributors
    assert not any("subscription" in name for name in contributors)


def test_contributor_can_save_a_draft(client, contributor, pacnet):
    assert client.post(ADD, form_data(pacnet)).status_code == 302
    assert Commentary.objects.get().status == Commentary.Status.DRAFT


def test_contributor_does_not_see_the_publish_button(client, contributor, pacnet):
    html = client.get(ADD).content.decode()
    assert 'name="_publish"' not in html
    assert 'name="number"' not in html


def test_contributor_cannot_publish_with_a_crafted_post(client, contributor, pacnet):
    response = client.post(ADD, form_data(pacnet, _publish="1"))
    assert response.status_code == 403
    assert Commentary.objects.count() == 0


def test_contributor_cannot_publish_an_existing_draft_by_crafted_post(client, contributor, pacnet):
    draft = CommentaryFactory(series=pacnet)
    data = form_data(pacnet, _publish="1", status="published", number="9", year="2020")
    assert client.post(change_url(draft), data).status_code == 403
    draft.refresh_from_db()
    assert (draft.status, draft.number) == (Commentary.Status.DRAFT, None)


def test_contributor_cannot_set_status_or_number_through_the_form(client, contributor, pacnet):
    draft = CommentaryFactory(series=pacnet, created_by=contributor)
    data = form_data(pacnet, status="published", number="9", year="2020")
    data["published_at_0"] = "2020-01-01"
    data["published_at_1"] = "00:00:00"
    assert client.post(change_url(draft), data | opened_at(draft)).status_code == 302
    draft.refresh_from_db()
    assert (draft.status, draft.number, draft.published_at) == ("draft", None, None)


def test_contributor_cannot_run_bulk_publish(client, contributor, pacnet):
    draft = CommentaryFactory(series=pacnet)
    client.post(CHANGELIST, {"action": "publish_selected", "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert draft.status == Commentary.Status.DRAFT


def test_contributor_cannot_edit_or_delete_a_published_piece(client, contributor, pacnet):
    piece = CommentaryFactory(series=pacnet, published=True)
    data = form_data(pacnet, title="Changed by a contributor")
    client.post(change_url(piece), data)
    piece.refresh_from_db()
    assert piece.title != "Changed by a contributor"
    delete = reverse("admin:commentaries_commentary_delete", args=[piece.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert Commentary.objects.filter(pk=piece.pk).exists()


def test_contributor_cannot_see_subscription_requests(client, contributor):
    SubscriptionRequestFactory()
    url = reverse("admin:subscriptions_subscriptionrequest_changelist")
    assert client.get(url).status_code == 403


# Preview


def test_preview_is_404_for_anonymous_visitors(client, pacnet):
    draft = CommentaryFactory(series=pacnet)
    assert client.get(reverse("commentaries:preview", kwargs={"pk": draft.pk})).status_code == 404


def test_preview_shows_a_draft_to_staff(client, contributor, pacnet):
    draft = CommentaryFactory(series=pacnet, title="Unseen yet")
    response = client.get(reverse("commentaries:preview", kwargs={"pk": draft.pk}))
    assert response.status_code == 200
    assert "Unseen yet" in response.content.decode()


# Dashboard


def test_dashboard_lists_my_drafts_scheduled_published_and_new_requests(client, editor, pacnet):
    CommentaryFactory(series=pacnet, title="My own draft", last_edited_by=editor)
    CommentaryFactory(series=pacnet, title="Someone else's draft")
    CommentaryFactory(series=pacnet, scheduled=True, title="Coming Monday")
    CommentaryFactory(series=pacnet, published=True, title="Out already")
    SubscriptionRequestFactory()
    SubscriptionRequestFactory()
    html = client.get(reverse("admin:index")).content.decode()
    assert "My own draft" in html
    assert "Someone else&#x27;s draft" not in html
    assert "Coming Monday" in html
    assert "Out already" in html
    assert "2 new subscription requests" in html


def test_dashboard_hides_subscription_requests_from_contributors(client, contributor):
    SubscriptionRequestFactory()
    html = client.get(reverse("admin:index")).content.decode()
    assert "My drafts" in html
    assert "subscription request" not in html


# History


def test_every_save_keeps_a_version_and_restore_brings_back_the_old_body(client, editor, pacnet):
    client.post(ADD, form_data(pacnet, body="<p>First thoughts.</p>"))
    piece = Commentary.objects.get()
    client.post(
        change_url(piece), form_data(pacnet, body="<p>Second thoughts.</p>") | opened_at(piece)
    )
    versions = Version.objects.get_for_object(piece)
    assert versions.count() == 2
    oldest = versions.last()
    assert oldest.revision.user == editor

    revision_url = reverse("admin:commentaries_commentary_revision", args=[piece.pk, oldest.pk])
    html = client.get(revision_url).content.decode()
    assert "<del>Second</del><ins>First</ins>" in html
    piece.refresh_from_db()
    assert piece.body == "<p>Second thoughts.</p>"  # looking does not restore

    response = client.post(revision_url, {"confirm": "yes"})
    assert response.status_code == 302
    piece.refresh_from_db()
    assert piece.body == "<p>First thoughts.</p>"
    assert Version.objects.get_for_object(piece).count() == 3


def test_compare_view_shows_a_readable_diff_of_title_summary_and_body(client, editor, pacnet):
    client.post(ADD, form_data(pacnet, title="Old title", body="<p>The <b>old</b> words.</p>"))
    piece = Commentary.objects.get()
    client.post(
        change_url(piece),
        form_data(pacnet, title="New title", body="<p>The <b>new</b> words &amp; more.</p>")
        | opened_at(piece),
    )
    newer, older = Version.objects.get_for_object(piece)
    history = client.get(reverse("admin:commentaries_commentary_history", args=[piece.pk]))
    assert "Compare selected versions" in history.content.decode()
    url = reverse("admin:commentaries_commentary_compare", args=[piece.pk])
    html = client.get(url, {"from": older.pk, "to": newer.pk}).content.decode()
    assert "<del>Old</del><ins>New</ins><span> title</span>" in html
    assert "<del>old</del><ins>new</ins>" in html
    assert "&amp; more." in html
    assert "<b>" not in html.split("diff-text", 1)[1]
    assert "Summary (unchanged)" in html


def test_compare_view_without_two_versions_explains_itself(client, editor, pacnet):
    piece = CommentaryFactory(series=pacnet)
    url = reverse("admin:commentaries_commentary_compare", args=[piece.pk])
    response = client.get(url, {"from": "x"})
    assert response.status_code == 200
    assert "Choose two versions to compare." in response.content.decode()


# The demo archive, as `make run` serves it


def test_every_editors_page_works_on_the_demo_archive(client, editor, django_assert_num_queries):
    from pacforum.demo import load_demo

    load_demo()
    published = Commentary.objects.published().first()
    draft = Commentary.objects.drafts().first()
    assert client.post(change_url(draft), {}).status_code == 200  # an error, not a crash
    pages = [
        reverse("admin:index"),
        CHANGELIST,
        CHANGELIST + "?state=scheduled&q=a",
        change_url(published),
        change_url(draft),
        reverse("admin:commentaries_commentary_history", args=[published.pk]),
        reverse("admin:commentaries_commentary_delete", args=[draft.pk]),
        reverse("admin:authors_author_changelist"),
        reverse("admin:authors_author_change", args=[published.bylines.first().author_id]),
        reverse("admin:commentaries_series_changelist"),
        reverse("admin:flatpages_flatpage_add"),
    ]
    for url in pages:
        assert client.get(url).status_code == 200, url
    with django_assert_num_queries(16):
        assert client.get(CHANGELIST).status_code == 200


def test_view_on_site_appears_only_for_live_pieces(client, editor, pacnet):
    live = CommentaryFactory(series=pacnet, published=True)
    draft = CommentaryFactory(series=pacnet)
    assert live.get_absolute_url() in client.get(change_url(live)).content.decode()
    assert "View on site" not in client.get(change_url(draft)).content.decode()


def test_commentaries_cannot_be_deleted_in_bulk(client, editor, pacnet):
    piece = CommentaryFactory(series=pacnet, published=True)
    client.post(
        CHANGELIST, {"action": "delete_selected", "_selected_action": [piece.pk], "post": "yes"}
    )
    assert Commentary.objects.filter(pk=piece.pk).exists()


def test_topics_are_found_by_autocomplete_and_saved(client, editor, pacnet):
    security = TopicFactory(name="Maritime security")
    TopicFactory(name="Trade")
    found = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "commentaries",
            "model_name": "commentary",
            "field_name": "topics",
            "term": "mari",
        },
    ).json()
    assert [r["text"] for r in found["results"]] == ["Maritime security"]
    client.post(ADD, form_data(pacnet, topics=[security.pk]))
    assert list(Commentary.objects.get().topics.all()) == [security]


def test_contributor_cannot_restore_onto_a_piece_that_is_not_their_draft(client, pacnet):
    editor = UserFactory(username="editor", groups=["Editors"])
    client.force_login(editor)
    client.post(ADD, form_data(pacnet, authors=[AuthorFactory()], _publish="1"))
    piece = Commentary.objects.get()
    client.post(change_url(piece), form_data(pacnet, title="Edited", slug=piece.slug))
    first_version = Version.objects.get_for_object(piece).last()

    client.force_login(UserFactory(username="contributor", groups=["Contributors"]))
    url = reverse("admin:commentaries_commentary_revision", args=[piece.pk, first_version.pk])
    assert client.post(url, {"confirm": "yes"}).status_code == 403
    piece.refresh_from_db()
    assert piece.is_live


def test_a_live_pieces_publish_time_and_number_are_not_in_the_form(client, editor, pacnet):
    piece = CommentaryFactory(series=pacnet, published=True, number=3)
    byline = BylineFactory(commentary=piece)
    data = form_data(pacnet, slug=piece.slug, year="1999", number="4", title="Retitled")
    data |= existing_bylines(piece, [byline])
    assert client.post(change_url(piece), data | opened_at(piece)).status_code == 302
    before = piece.published_at
    piece.refresh_from_db()
    assert (piece.title, piece.number, piece.published_at) == ("Retitled", 3, before)


def test_contributor_gets_a_form_error_for_a_slug_taken_in_the_same_year(
    client, contributor, pacnet
):
    CommentaryFactory(series=pacnet, published=True, year=2024, slug="taken")
    unpublished = CommentaryFactory(
        series=pacnet, year=2024, number=99, slug="free", created_by=contributor
    )
    response = client.post(change_url(unpublished), form_data(pacnet, slug="taken"))
    assert response.status_code == 200
    unpublished.refresh_from_db()
    assert unpublished.slug == "free"


def test_the_same_author_twice_on_one_piece_is_a_form_error(client, editor, pacnet):
    author = AuthorFactory()
    response = client.post(ADD, form_data(pacnet, authors=[author, author]))
    assert response.status_code == 200
    assert Commentary.objects.count() == 0
