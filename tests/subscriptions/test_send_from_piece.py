"""Send on demand from the piece's admin page: the buttons subscriptions adds
to the commentary change form through pacforum.object_tools."""

import pytest
from django.core import mail

from commentaries.models import Commentary
from pacforum import object_tools
from subscriptions import sending
from subscriptions.models import Edition, SeriesNewsletter
from tests.factories import CommentaryFactory, SeriesFactory, UserFactory

from .edition_helpers import confirmed, live_piece

pytestmark = pytest.mark.django_db

TEST_BUTTON = "Send a test to me (editor@example.org)"


@pytest.fixture
def editor(client):
    user = UserFactory(username="editor", email="editor@example.org", groups=["Editors"])
    client.force_login(user)
    return user


def on_demand_piece(readers=3):
    piece = live_piece()
    SeriesNewsletter.objects.create(series=piece.series, mode=SeriesNewsletter.Mode.ON_DEMAND)
    confirmed(piece.series, readers)
    sending.edition_for_go_live(commentary=piece)
    return piece


def change_form(client, piece):
    response = client.get(f"/admin/commentaries/commentary/{piece.pk}/change/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_editor_tests_confirms_and_sends_from_the_piece_and_comes_back_to_it(
    client, editor, django_capture_on_commit_callbacks
):
    piece = on_demand_piece(readers=3)
    edition = piece.edition
    page = change_form(client, piece)
    assert TEST_BUTTON in page
    assert "Send to 3 PacNet subscribers" not in page  # only after a test

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/subscriptions/edition/{edition.pk}/test-send/?back=piece", follow=True
        )
    assert response.redirect_chain[-1][0] == f"/admin/commentaries/commentary/{piece.pk}/change/"
    assert "A test is on its way to editor@example.org" in response.content.decode()
    assert [m.to for m in mail.outbox] == [["editor@example.org"]]
    mail.outbox.clear()

    page = change_form(client, piece)
    assert "Send to 3 PacNet subscribers" in page
    confirm = client.get(f"/admin/subscriptions/edition/{edition.pk}/send/?back=piece")
    text = confirm.content.decode()
    assert "will be emailed to <strong>3 PacNet subscribers</strong>" in text
    assert f'href="/admin/commentaries/commentary/{piece.pk}/change/">Go back' in text
    assert mail.outbox == []  # the confirmation page sends nothing

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/subscriptions/edition/{edition.pk}/send/?back=piece", follow=True
        )
    assert response.redirect_chain[-1][0] == f"/admin/commentaries/commentary/{piece.pk}/change/"
    assert "Sending to 3 subscribers has started" in response.content.decode()
    assert len(mail.outbox) == 3
    edition.refresh_from_db()
    assert edition.status == Edition.Status.SENT
    page = change_form(client, piece)
    assert "Send to 3" not in page and TEST_BUTTON not in page
    assert "Edition: sent" in page


def test_the_audience_count_has_thousands_separators():
    from subscriptions.admin_editions import audience_label

    series = SeriesFactory(name="PacNet", slug="pacnet")
    assert audience_label(1234, series) == "1,234 PacNet subscribers"
    assert audience_label(1, series) == "1 PacNet subscriber"


def test_contributors_never_see_the_send_buttons(client, django_capture_on_commit_callbacks):
    piece = on_demand_piece()
    contributor = UserFactory(
        username="writer", email="writer@example.org", groups=["Contributors"]
    )
    client.force_login(contributor)
    response = client.get(f"/admin/commentaries/commentary/{piece.pk}/change/")
    assert "Send a test to me" not in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        refused = client.post(
            f"/admin/subscriptions/edition/{piece.edition.pk}/test-send/?back=piece"
        )
    assert refused.status_code == 403
    assert mail.outbox == []


def test_a_series_that_sends_automatically_offers_no_send_button(client, editor):
    piece = live_piece()  # no SeriesNewsletter row: automatic
    confirmed(piece.series, 1)
    page = change_form(client, piece)
    assert "Send a test to me" not in page
    assert "Send to" not in page


def test_pieces_that_are_not_live_offer_no_send_button(client, editor):
    series = SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")
    SeriesNewsletter.objects.create(series=series, mode=SeriesNewsletter.Mode.ON_DEMAND)
    confirmed(series, 1)
    draft = CommentaryFactory(series=series)
    scheduled = CommentaryFactory(series=series, scheduled=True)
    for piece in (draft, scheduled):
        assert "Send a test to me" not in change_form(client, piece)


def test_a_series_without_subscriptions_offers_no_send_button(client, editor):
    series = SeriesFactory(name="Occasional Papers", slug="papers", subscribable=False)
    SeriesNewsletter.objects.create(series=series, mode=SeriesNewsletter.Mode.ON_DEMAND)
    piece = live_piece(series=series)
    assert sending.edition_for_go_live(commentary=piece) is None
    assert "Send a test to me" not in change_form(client, piece)


def test_the_registry_gives_nothing_for_models_without_providers_or_unsaved_objects(rf):
    request = rf.get("/")
    assert object_tools.tools_for(request, SeriesFactory()) == []
    assert object_tools.tools_for(request, Commentary()) == []
    assert object_tools.tools_for(request, None) == []


def test_registering_the_same_provider_twice_keeps_one(rf, editor):
    from subscriptions.admin_editions import piece_tools

    piece = on_demand_piece(readers=1)
    request = rf.get("/")
    request.user = editor
    before = object_tools.tools_for(request, piece)
    object_tools.register("commentaries.commentary", piece_tools, uid="subscriptions-send")
    assert object_tools.tools_for(request, piece) == before
    assert [tool.label for tool in before] == [TEST_BUTTON]
    assert before[0].posts
