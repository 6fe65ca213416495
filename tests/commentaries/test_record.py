"""The publication record: numbers that follow publish time, the database's
guard on live pieces, restores of content only, checks before publishing,
authors on published pieces, and drafts that leave the public site alone."""

from datetime import UTC, datetime, timedelta

import pytest
import reversion
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from reversion.models import Version

from commentaries import cachekeys, numbering, readiness, rules
from commentaries.models import Commentary, Series
from commentaries.services import (
    commentary_add_correction,
    commentary_publish,
    commentary_renumber,
    commentary_restore,
    commentary_save,
    commentary_submit,
    commentary_unschedule,
    commentary_withdraw,
)
from pacforum import pagecache
from pacforum.sanitizer import sanitize_html
from tests.commentaries.test_admin import opened_at
from tests.factories import (
    AffiliationFactory,
    AuthorFactory,
    BylineFactory,
    CommentaryFactory,
    ReadyCommentaryFactory,
    SeriesFactory,
    TopicFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

THIS_YEAR = timezone.localtime().year


@pytest.fixture
def pacnet():
    return SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")


@pytest.fixture
def editor():
    return UserFactory(username="editor", groups=["Editors"])


@pytest.fixture
def contributor():
    return UserFactory(username="contributor", groups=["Contributors"])


def in_days(days):
    return timezone.now() + timedelta(days=days)


def numbers(*pieces):
    for piece in pieces:
        piece.refresh_from_db()
    return [piece.number for piece in pieces]


# Numbering


def test_labels_are_written_once_for_everyone():
    assert numbering.format_label("PacNet", 68, "r") == "PacNet #68R"
    assert numbering.format_label("PacNet", None) == "PacNet"
    assert numbering.format_display_title("PacNet", 68, "", "Sea lanes") == "PacNet #68 – Sea lanes"
    assert numbering.response_suffix({"", "R", "R2"}) == "R3"


def test_a_piece_scheduled_earlier_takes_the_earlier_number(pacnet, editor):
    CommentaryFactory(series=pacnet, published=True, number=24, year=THIS_YEAR)
    later = [ReadyCommentaryFactory(series=pacnet) for _ in range(3)]
    for days, piece in zip((3, 4, 5), later, strict=True):
        commentary_publish(commentary=piece, user=editor, at=in_days(days))
    assert numbers(*later) == [25, 26, 27]
    soon = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet),
        user=editor,
        at=timezone.now() + timedelta(minutes=2),
    )
    assert soon.number == 25
    assert numbers(*later) == [26, 27, 28]


def test_publishing_now_goes_before_every_scheduled_piece(pacnet, editor):
    scheduled = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(1)
    )
    now = commentary_publish(commentary=ReadyCommentaryFactory(series=pacnet), user=editor)
    assert now.number == 1 and now.is_live
    assert numbers(scheduled) == [2]


def test_moving_a_schedule_deals_the_provisional_numbers_again(pacnet, editor):
    first = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(1)
    )
    second = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(2)
    )
    first.published_at = in_days(3)
    commentary_save(commentary=first, user=editor)
    assert numbers(first, second) == [2, 1]


def test_cancelling_a_schedule_closes_the_gap(pacnet, editor):
    pieces = [
        commentary_publish(
            commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(d)
        )
        for d in (1, 2, 3)
    ]
    commentary_unschedule(commentary=pieces[0], user=editor)
    assert numbers(*pieces) == [None, 1, 2]


def labels(*pieces):
    for piece in pieces:
        piece.refresh_from_db()
    return [f"{piece.number}{piece.suffix}" if piece.number else None for piece in pieces]


def test_a_scheduled_response_follows_its_originals_provisional_number(pacnet, editor):
    original = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(3)
    )
    response = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet, responds_to=original),
        user=editor,
        at=in_days(4),
    )
    assert labels(original, response) == ["1", "1R"]
    sooner = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(1)
    )
    assert labels(sooner, original, response) == ["1", "2", "2R"]
    assert numbering.is_provisional(response)


def test_responses_of_two_originals_trading_numbers_trade_them_too(pacnet, editor):
    first, second = (
        commentary_publish(
            commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(d)
        )
        for d in (1, 2)
    )
    answers = [
        commentary_publish(
            commentary=ReadyCommentaryFactory(series=pacnet, responds_to=original),
            user=editor,
            at=in_days(d),
        )
        for original, d in ((first, 5), (second, 6), (second, 7))
    ]
    assert labels(first, second, *answers) == ["1", "2", "1R", "2R", "2R2"]
    first.published_at = in_days(3)
    commentary_save(commentary=first, user=editor)
    assert labels(first, second, *answers) == ["2", "1", "2R", "1R", "1R2"]


def test_a_response_whose_original_is_taken_back_takes_its_own_number(pacnet, editor):
    original = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(1)
    )
    other = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(2)
    )
    response = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet, responds_to=original),
        user=editor,
        at=in_days(3),
    )
    assert labels(original, other, response) == ["1", "2", "1R"]
    commentary_unschedule(commentary=original, user=editor)
    # Dealt by publish time with the rest: #1 went back to the pool.
    assert labels(original, other, response) == [None, "1", "2"]
    # Scheduled again, still before its response: the response rejoins it,
    # and the sequence closes the gap the response leaves.
    commentary_publish(commentary=original, user=editor, at=in_days(2.5))
    assert labels(original, other, response) == ["2", "1", "2R"]


def test_a_response_is_not_scheduled_before_its_original_goes_live(pacnet, editor):
    original = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(2)
    )
    response = ReadyCommentaryFactory(series=pacnet, responds_to=original)
    with pytest.raises(ValidationError, match=r"which goes live on .*: schedule this response"):
        commentary_publish(commentary=response, user=editor, at=in_days(1))
    with pytest.raises(ValidationError, match="which goes live on"):
        commentary_publish(commentary=response, user=editor)  # now
    response.refresh_from_db()
    assert (response.status, response.number) == (Commentary.Status.DRAFT, None)
    commentary_publish(commentary=response, user=editor, at=in_days(2))
    assert labels(original, response) == ["1", "1R"]
    # Nor moved before it afterwards.
    response.published_at = in_days(1)
    with pytest.raises(ValidationError, match="schedule this response for then or later"):
        commentary_save(commentary=response, user=editor)


def test_a_response_to_an_unpublished_piece_waits_for_it(pacnet, editor):
    original = ReadyCommentaryFactory(series=pacnet)
    response = ReadyCommentaryFactory(series=pacnet, responds_to=original)
    with pytest.raises(ValidationError, match="which is not published"):
        commentary_publish(commentary=response, user=editor, at=in_days(1))


def test_an_original_is_not_moved_after_its_scheduled_response(pacnet, editor):
    original = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(1)
    )
    response = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet, responds_to=original),
        user=editor,
        at=in_days(2),
    )
    original.published_at = in_days(3)
    with pytest.raises(ValidationError, match=r"Its response .* goes live on"):
        commentary_save(commentary=original, user=editor)
    assert labels(original, response) == ["1", "1R"]
    original.published_at = in_days(1.5)  # still before its response: fine
    commentary_save(commentary=original, user=editor)
    assert labels(original, response) == ["1", "1R"]


def test_an_original_may_follow_a_response_that_is_already_live(pacnet, editor):
    """Data from before the rule (or an import): a live response keeps its
    number whatever happens, so its original is not held back for it."""
    original = ReadyCommentaryFactory(series=pacnet)
    CommentaryFactory(series=pacnet, published=True, responds_to=original, number=7, suffix="R")
    assert commentary_publish(commentary=original, user=editor, at=in_days(1)).is_scheduled


def test_a_hand_numbered_response_keeps_its_number(pacnet, editor):
    original = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(2)
    )
    by_hand = commentary_publish(
        commentary=ReadyCommentaryFactory(
            series=pacnet, responds_to=original, number=40, suffix="R", year=THIS_YEAR
        ),
        user=editor,
        at=in_days(3),
    )
    commentary_publish(commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(1))
    assert labels(original, by_hand) == ["2", "40R"]


def test_scheduled_numbers_are_provisional_and_say_so_in_the_admin(client, pacnet, editor):
    piece = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(1)
    )
    assert numbering.is_provisional(piece)
    client.force_login(editor)
    html = client.get(reverse("admin:commentaries_commentary_changelist")).content.decode()
    assert "PacNet #1 <span class='provisional'>(provisional)</span>" in html


def test_a_hand_set_number_is_kept_with_a_warning_when_out_of_order(pacnet, editor):
    CommentaryFactory(
        series=pacnet,
        published=True,
        number=10,
        year=2019,
        published_at=datetime(2019, 5, 1, tzinfo=UTC),
    )
    piece = ReadyCommentaryFactory(series=pacnet, number=5, year=2019)
    piece = commentary_publish(
        commentary=piece, user=editor, at=datetime(2019, 6, 1, 12, tzinfo=UTC)
    )
    assert piece.number == 5
    assert piece.number_origin == Commentary.NumberOrigin.HAND
    assert numbering.order_warnings(commentary=piece) == [
        "PacNet #5 (2019) is numbered out of order: #10 is published earlier."
    ]


def test_an_imported_number_is_never_dealt_again(pacnet, editor):
    imported = CommentaryFactory(
        series=pacnet,
        scheduled=True,
        number=5,
        year=THIS_YEAR,
        number_origin=Commentary.NumberOrigin.IMPORTED,
    )
    sooner = commentary_publish(
        commentary=ReadyCommentaryFactory(series=pacnet), user=editor, at=in_days(0.5)
    )
    assert numbers(imported, sooner) == [5, 6]


def test_an_assigned_number_never_warns(pacnet, editor):
    piece = commentary_publish(commentary=ReadyCommentaryFactory(series=pacnet), user=editor)
    assert numbering.order_warnings(commentary=piece) == []


def test_numbers_of_an_unnumbered_series_stay_empty(editor):
    series = SeriesFactory(numbering=Series.Numbering.NONE)
    piece = commentary_publish(
        commentary=ReadyCommentaryFactory(series=series), user=editor, at=in_days(1)
    )
    assert piece.number is None


# The database's guard


@pytest.mark.sqlite
def test_a_raw_save_that_renumbers_a_published_piece_fails_at_the_database(pacnet):
    piece = CommentaryFactory(series=pacnet, published=True, number=5, year=2024)
    for field, value in (("number", 6), ("year", 2023), ("suffix", "R"), ("status", "draft")):
        setattr(piece, field, value)
        with pytest.raises(IntegrityError), transaction.atomic():
            piece.save()
        piece.refresh_from_db()
    other = SeriesFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Commentary.objects.filter(pk=piece.pk).update(series=other)
    piece.refresh_from_db()
    assert (piece.series, piece.number, piece.year, piece.status) == (
        pacnet,
        5,
        2024,
        Commentary.Status.PUBLISHED,
    )


@pytest.mark.sqlite
def test_a_withdrawn_piece_keeps_its_number_at_the_database_too(pacnet, editor):
    piece = CommentaryFactory(series=pacnet, published=True, number=5, year=2024)
    piece = commentary_withdraw(commentary=piece, user=editor, note="Wrong data.")
    with pytest.raises(IntegrityError), transaction.atomic():
        Commentary.objects.filter(pk=piece.pk).update(number=None)


@pytest.mark.sqlite
def test_a_scheduled_pieces_number_may_still_move(pacnet):
    piece = CommentaryFactory(series=pacnet, scheduled=True, number=5, year=THIS_YEAR)
    Commentary.objects.filter(pk=piece.pk).update(number=6)
    assert numbers(piece) == [6]


@pytest.mark.sqlite
def test_the_renumber_service_is_the_one_documented_way(pacnet, editor, contributor):
    piece = CommentaryFactory(series=pacnet, published=True, number=5, year=2024)
    with pytest.raises(PermissionDenied):
        commentary_renumber(commentary=piece, number=7, user=contributor, reason="Typo.")
    with pytest.raises(ValidationError):
        commentary_renumber(commentary=piece, number=7, user=editor, reason=" ")
    commentary_renumber(commentary=piece, number=7, user=editor, reason="Imported as #5.")
    assert numbers(piece) == [7]
    from commentaries.models import RenumberPermit

    assert not RenumberPermit.objects.exists()


# Roles and states


def test_the_rules_table_holds_for_each_role_and_state(pacnet, editor, contributor):
    own = CommentaryFactory(series=pacnet, created_by=contributor)
    other = CommentaryFactory(series=pacnet, created_by=editor)
    live = CommentaryFactory(series=pacnet, published=True)
    assert rules.allows(contributor, rules.Action.EDIT, own)
    assert not rules.allows(contributor, rules.Action.EDIT, other)
    assert not rules.allows(contributor, rules.Action.EDIT, live)
    assert not rules.allows(contributor, rules.Action.PUBLISH, own)
    assert rules.allows(contributor, rules.Action.SUBMIT, own)
    assert rules.allows(editor, rules.Action.EDIT, live)
    assert rules.allows(editor, rules.Action.WITHDRAW, live)
    assert not rules.allows(editor, rules.Action.DELETE, live)
    assert not rules.allows(editor, rules.Action.PUBLISH, live)


def test_a_contributor_submits_and_then_may_no_longer_edit(pacnet, contributor):
    own = CommentaryFactory(series=pacnet, created_by=contributor)
    commentary_submit(commentary=own, user=contributor)
    own.refresh_from_db()
    assert rules.state_of(own) == rules.State.IN_REVIEW
    own.title = "Changed in review"
    with pytest.raises(PermissionDenied):
        commentary_save(commentary=own, user=contributor)


def test_a_contributor_cannot_publish_through_the_service(pacnet, contributor):
    own = ReadyCommentaryFactory(series=pacnet, created_by=contributor)
    with pytest.raises(PermissionDenied):
        commentary_publish(commentary=own, user=contributor)
    own.refresh_from_db()
    assert own.status == Commentary.Status.DRAFT


def test_saving_cannot_change_a_pieces_state_or_a_live_number(pacnet, editor):
    live = CommentaryFactory(series=pacnet, published=True, number=4)
    live.status = Commentary.Status.DRAFT
    live.title = "Retitled"
    commentary_save(commentary=live, user=editor)
    live.refresh_from_db()
    assert (live.status, live.title) == (Commentary.Status.PUBLISHED, "Retitled")
    live.number = 9
    with pytest.raises(ValidationError):
        commentary_save(commentary=live, user=editor)


def test_contributors_may_not_change_authors_of_published_pieces(client, contributor):
    public = AuthorFactory(short_bio="is a fellow.")
    organization = AffiliationFactory(author=public).organization
    BylineFactory(author=public, commentary=CommentaryFactory(published=True))
    private = AuthorFactory()
    BylineFactory(author=private, commentary=CommentaryFactory(created_by=contributor))
    assert rules.author_refusal(contributor, public)
    assert rules.organization_refusal(contributor, organization)
    assert rules.author_refusal(contributor, private) is None
    client.force_login(contributor)
    url = reverse("admin:authors_author_change", args=[public.pk])
    assert client.post(url, {"name": "Changed", "slug": public.slug}).status_code == 403
    public.refresh_from_db()
    assert public.short_bio == "is a fellow."


# History


def test_restoring_onto_a_live_piece_brings_back_content_only(pacnet, editor):
    first, second = AuthorFactory(), AuthorFactory()
    topic = TopicFactory()
    piece = CommentaryFactory(series=pacnet, title="First title", body="<p>First.</p>")
    BylineFactory(commentary=piece, author=first, bio="is the first author.")
    piece.topics.add(topic)
    with reversion.create_revision():
        piece.save()
    old = Version.objects.get_for_object(piece).get()
    piece = commentary_publish(commentary=piece, user=editor)
    number, published_at = piece.number, piece.published_at
    piece.title, piece.body = "Second title", "<p>Second.</p>"
    commentary_save(commentary=piece, user=editor)
    piece.bylines.all().delete()
    BylineFactory(commentary=piece, author=second, bio="is the second author.")
    piece.topics.clear()

    commentary_restore(commentary=piece, version=old, user=editor)
    piece.refresh_from_db()
    assert (piece.title, piece.body) == ("First title", "<p>First.</p>")
    assert [(b.author, b.bio) for b in piece.bylines.all()] == [(first, "is the first author.")]
    assert list(piece.topics.all()) == [topic]
    assert piece.is_live
    assert (piece.number, piece.published_at) == (number, published_at)


def test_restoring_onto_a_live_piece_needs_an_editor(pacnet, editor, contributor):
    piece = ReadyCommentaryFactory(series=pacnet, created_by=contributor)
    with reversion.create_revision():
        piece.save()
    old = Version.objects.get_for_object(piece).get()
    commentary_publish(commentary=piece, user=editor)
    with pytest.raises(PermissionDenied):
        commentary_restore(commentary=piece, version=old, user=contributor)


def test_a_version_that_fails_the_checks_cannot_go_on_a_live_piece(pacnet, editor):
    piece = CommentaryFactory(series=pacnet, body="")
    with reversion.create_revision():
        piece.save()
    empty = Version.objects.get_for_object(piece).get()
    piece.body = "<p>Now there is a body.</p>"
    piece.save()
    BylineFactory(commentary=piece)
    commentary_publish(commentary=piece, user=editor)
    with pytest.raises(ValidationError, match="The body is empty"):
        commentary_restore(commentary=piece, version=empty, user=editor)
    piece.refresh_from_db()
    assert piece.body == "<p>Now there is a body.</p>"


def test_the_restore_page_shows_the_diff_and_keeps_a_live_piece_live(client, pacnet, editor):
    piece = ReadyCommentaryFactory(series=pacnet, title="Old title")
    with reversion.create_revision():
        piece.save()
    old = Version.objects.get_for_object(piece).get()
    piece = commentary_publish(commentary=piece, user=editor)
    piece.title = "New title"
    piece.save()
    client.force_login(editor)
    url = reverse("admin:commentaries_commentary_revision", args=[piece.pk, old.pk])
    html = client.get(url).content.decode()
    assert "<del>New</del><ins>Old</ins>" in html
    assert "The piece stays published" in html
    assert client.post(url, {"confirm": "yes"}).status_code == 302
    piece.refresh_from_db()
    assert piece.title == "Old title" and piece.is_live and piece.number == 1


def test_an_authors_public_text_change_shows_in_the_pieces_history(client, pacnet, editor):
    author = AuthorFactory(name="Ana Lee", slug="ana-lee", short_bio="is a fellow.")
    piece = CommentaryFactory(series=pacnet, published=True)
    BylineFactory(commentary=piece, author=author)
    client.force_login(editor)
    url = reverse("admin:authors_author_change", args=[author.pk])
    data = {
        "name": "Ana Lee",
        "sort_name": author.sort_name,
        "slug": "ana-lee",
        "email": author.email,
        "show_email": "on",
        "short_bio": "is a senior fellow.",
        "long_bio": "",
        "affiliations-TOTAL_FORMS": "0",
        "affiliations-INITIAL_FORMS": "0",
    }
    assert client.post(url, data | opened_at(author)).status_code == 302
    versions = Version.objects.get_for_object(piece)
    assert versions.count() == 1
    assert versions.get().revision.user == editor


# Checks before publishing


def test_a_piece_with_only_a_title_cannot_be_published(pacnet, editor):
    bare = CommentaryFactory(series=pacnet, summary="", body="<p>&nbsp;</p>")
    with pytest.raises(ValidationError) as caught:
        commentary_publish(commentary=bare, user=editor)
    assert caught.value.messages == [
        "Not ready to publish:",
        "Add an author.",
        "Write a one- or two-sentence summary.",
        "The body is empty.",
    ]
    bare.refresh_from_db()
    assert (bare.status, bare.number) == (Commentary.Status.DRAFT, None)


def test_scheduling_checks_bios_and_alt_text_too(pacnet, editor):
    piece = CommentaryFactory(series=pacnet, body='<p>Text</p><img src="/a.png">')
    BylineFactory(commentary=piece, author=AuthorFactory(name="Bo Kim", short_bio=""), bio="")
    with pytest.raises(ValidationError) as caught:
        commentary_publish(commentary=piece, user=editor, at=in_days(1))
    assert "No bio for Bo Kim." in caught.value.messages
    assert "1 image(s) without alt text." in caught.value.messages


def test_the_importer_gets_warnings_not_refusals(pacnet):
    imported = CommentaryFactory(series=pacnet, published=True, summary="")
    assert readiness.import_warnings(imported) == [
        "does not pass the checks before publishing: Add an author.",
        "does not pass the checks before publishing: Write a one- or two-sentence summary.",
    ]
    imported.refresh_from_db()
    assert imported.is_live


def test_empty_rich_text_is_stored_as_an_empty_string(pacnet):
    for empty in ("<p>&nbsp;</p>", "<p><br></p>", "<p> </p>\n<p></p>"):
        assert sanitize_html(empty) == ""
    piece = CommentaryFactory(series=pacnet, body="<p>&nbsp;</p>")
    piece.refresh_from_db()
    assert piece.body == ""
    assert sanitize_html('<p><img src="/a.png" alt="A map"></p>') != ""


def test_the_change_form_shows_the_checklist(client, pacnet, editor):
    piece = CommentaryFactory(series=pacnet, summary="")
    client.force_login(editor)
    html = client.get(reverse("admin:commentaries_commentary_change", args=[piece.pk])).content
    html = html.decode()
    assert "<li class='check-missing'>✗ A summary: Write a one- or two-sentence summary.</li>" in (
        html
    )
    assert "<li class='check-ok'>✓ A body</li>" in html


# Drafts and the public site


def _invalidated(monkeypatch):
    """The page-cache keys invalidated from now on."""
    keys = []
    real = pagecache.invalidate
    monkeypatch.setattr(pagecache, "invalidate", lambda *k: (keys.extend(k), real(*k)))
    monkeypatch.setattr(cachekeys, "invalidate", pagecache.invalidate)
    return keys


def test_saving_a_draft_or_a_piece_in_review_keeps_the_cached_pages(
    pacnet, editor, contributor, monkeypatch
):
    author, topic = AuthorFactory(), TopicFactory()
    invalidated = _invalidated(monkeypatch)
    draft = CommentaryFactory(series=pacnet, created_by=contributor)
    BylineFactory(commentary=draft, author=author)
    draft.topics.add(topic)
    commentary_submit(commentary=draft, user=contributor)
    draft.refresh_from_db()
    draft.title = "Edited in review"
    commentary_save(commentary=draft, user=editor)
    assert invalidated == []


def test_publishing_or_editing_a_live_piece_invalidates_its_keys(pacnet, editor, monkeypatch):
    piece = ReadyCommentaryFactory(series=pacnet)
    invalidated = _invalidated(monkeypatch)
    commentary_publish(commentary=piece, user=editor)
    assert {f"p{piece.pk}", f"s{pacnet.pk}", "all", "site"} <= set(invalidated)
    invalidated.clear()
    piece.title = "Corrected title"
    commentary_save(commentary=piece, user=editor)
    assert set(invalidated) == {f"p{piece.pk}", "all"}


# Withdrawals


def test_a_withdrawn_piece_answers_a_tombstone_and_leaves_the_lists(client, pacnet, editor):
    author = AuthorFactory(name="Ana Lee")
    piece = CommentaryFactory(
        series=pacnet, published=True, number=12, year=THIS_YEAR, title="Sea lanes"
    )
    BylineFactory(commentary=piece, author=author)
    url = piece.get_absolute_url()
    commentary_withdraw(commentary=piece, user=editor, note="The figures were wrong.")
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 410
    for shown in ("PacNet #12 – Sea lanes", "Ana Lee", "The figures were wrong.", "Cite this"):
        assert shown in html
    assert 'content="noindex"' in html
    assert "Sea lanes" not in client.get(pacnet.get_absolute_url()).content.decode()
    assert "Sea lanes" not in client.get(reverse("commentaries:feed_rss")).content.decode()
    cite = client.get(url + "cite.bib")
    assert cite.status_code == 200
    assert "Sea lanes" in cite.content.decode()


# Corrections


def test_a_correction_shows_on_the_page_in_the_feed_and_in_json_ld(client, pacnet, editor):
    piece = CommentaryFactory(series=pacnet, published=True, number=4, year=THIS_YEAR)
    BylineFactory(commentary=piece)
    published_at = piece.published_at
    commentary_add_correction(
        commentary=piece, user=editor, text="An earlier version gave the wrong year."
    )
    piece.refresh_from_db()
    assert (piece.published_at, piece.number) == (published_at, 4)  # not a new publication
    page = client.get(piece.get_absolute_url()).content.decode()
    assert "An earlier version gave the wrong year." in page
    assert '"correction":[{"@type":"CorrectionComment"' in page
    feed = client.get(reverse("commentaries:feed_rss")).content.decode()
    assert "Correction (" in feed and "wrong year" in feed


def test_corrections_are_for_editors_on_live_pieces(pacnet, editor, contributor):
    live = CommentaryFactory(series=pacnet, published=True)
    draft = CommentaryFactory(series=pacnet, created_by=contributor)
    with pytest.raises(PermissionDenied):
        commentary_add_correction(commentary=live, user=contributor, text="Mine.")
    with pytest.raises(PermissionDenied):
        commentary_add_correction(commentary=draft, user=editor, text="Too early.")
    with pytest.raises(ValidationError):
        commentary_add_correction(commentary=live, user=editor, text=" ")


def test_an_editor_adds_a_correction_from_the_admin(client, pacnet, editor):
    live = CommentaryFactory(series=pacnet, published=True)
    client.force_login(editor)
    change = client.get(reverse("admin:commentaries_commentary_change", args=[live.pk]))
    assert "Add a correction…" in change.content.decode()
    url = reverse("admin:commentaries_commentary_correct", args=[live.pk])
    assert client.post(url, {"text": "Fixed a name."}).status_code == 302
    live.refresh_from_db()
    assert [note["text"] for note in live.correction_notes] == ["Fixed a name."]
    assert Version.objects.get_for_object(live).count() == 1
