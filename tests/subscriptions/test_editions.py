"""Editions: made when a piece goes live, through the signal and the one tick."""

from datetime import timedelta

import lxml.html
import pytest
from django.core import mail
from django.utils import timezone

from commentaries import golive
from commentaries.models import Commentary, GoLive
from commentaries.services import commentary_publish
from commentaries.signals import piece_went_live
from subscriptions.editions import render_edition
from subscriptions.models import Delivery, Edition, SeriesNewsletter
from tests.factories import CommentaryFactory, ReadyCommentaryFactory, SeriesFactory

from .edition_helpers import confirmed, live_piece

pytestmark = pytest.mark.django_db


@pytest.fixture
def pacnet():
    return SeriesFactory(
        name="PacNet",
        slug="pacnet",
        short_label="PacNet",
        disclaimer="<p>The views are the authors' own.</p>",
    )


@pytest.mark.sqlite
def test_publishing_now_sends_the_edition_to_confirmed_subscribers(
    pacnet, django_capture_on_commit_callbacks
):
    readers = confirmed(pacnet, 2)
    confirmed(SeriesFactory(), 1)  # another series' subscriber gets nothing
    piece = ReadyCommentaryFactory(series=pacnet, title="Alliances at sea")

    with django_capture_on_commit_callbacks(execute=True):
        commentary_publish(commentary=piece)

    edition = Edition.objects.get(commentary=piece)
    assert edition.status == Edition.Status.SENT
    assert sorted(m.to[0] for m in mail.outbox) == sorted(r.email for r in readers)
    assert mail.outbox[0].subject == "PacNet #1 – Alliances at sea"
    assert GoLive.objects.filter(commentary=piece).exists()


def test_the_signal_is_sent_once_per_publication(pacnet, django_capture_on_commit_callbacks):
    heard = []

    def listener(sender, commentary, **kwargs):
        heard.append(commentary.pk)

    piece_went_live.connect(listener)
    try:
        piece = ReadyCommentaryFactory(series=pacnet)
        with django_capture_on_commit_callbacks(execute=True):
            commentary_publish(commentary=piece)
        assert golive.announce_due() == 0
        assert golive.announce(commentary_id=piece.pk) is False
    finally:
        piece_went_live.disconnect(listener)
    assert heard == [piece.pk]


def test_a_scheduled_piece_is_announced_by_the_tick_once_its_time_has_come(
    pacnet, django_capture_on_commit_callbacks
):
    confirmed(pacnet, 1)
    piece = ReadyCommentaryFactory(series=pacnet)
    with django_capture_on_commit_callbacks(execute=True):
        commentary_publish(commentary=piece, at=timezone.now() + timedelta(hours=2))
    assert not Edition.objects.exists()
    assert mail.outbox == []

    # Its time comes (the tick runs every minute in db_worker).
    Commentary.objects.filter(pk=piece.pk).update(published_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert golive.announce_due() == 1
    assert Edition.objects.get().status == Edition.Status.SENT
    assert len(mail.outbox) == 1


def test_old_pieces_and_pieces_live_before_the_tick_existed_send_nothing(pacnet):
    confirmed(pacnet, 1)
    CommentaryFactory(
        series=pacnet, published=True, published_at=timezone.now() - timedelta(days=30)
    )
    assert golive.announce_due() == 0
    assert not Edition.objects.exists()


def test_an_on_demand_series_waits_for_an_editor(pacnet, django_capture_on_commit_callbacks):
    SeriesNewsletter.objects.create(series=pacnet, mode=SeriesNewsletter.Mode.ON_DEMAND)
    confirmed(pacnet, 2)
    piece = ReadyCommentaryFactory(series=pacnet)
    with django_capture_on_commit_callbacks(execute=True):
        commentary_publish(commentary=piece)
    edition = Edition.objects.get()
    assert edition.status == Edition.Status.WAITING
    assert not Delivery.objects.exists()
    assert mail.outbox == []


def test_a_series_nobody_may_subscribe_to_has_no_editions(django_capture_on_commit_callbacks):
    series = SeriesFactory(subscribable=False)
    piece = ReadyCommentaryFactory(series=series)
    with django_capture_on_commit_callbacks(execute=True):
        commentary_publish(commentary=piece)
    assert not Edition.objects.exists()


def test_edition_html_is_self_contained_with_inlined_css_and_absolute_images(settings):
    settings.SITE_URL = "https://forum.example.org"
    piece = live_piece(
        body='<p>Intro with <a href="/pacnet/">a link</a>.</p>'
        '<figure class="image"><img src="/media/uploads/map.png"></figure>'
        '<p><img src="https://cdn.example.org/chart.png" alt="A chart"></p>',
        summary="What the alliance means.",
    )
    rendered = render_edition(piece)
    html = rendered["html"]
    tree = lxml.html.document_fromstring(html)

    assert tree.xpath("//script") == []
    assert tree.xpath("//link") == []
    assert tree.xpath("//style") == []
    assert 'style="' in html
    images = tree.xpath("//img")
    assert [img.get("src") for img in images] == [
        "https://forum.example.org/media/uploads/map.png",
        "https://cdn.example.org/chart.png",
    ]
    assert all(img.get("alt") for img in images)
    assert "https://forum.example.org/pacnet/" in html
    assert len(html.encode()) < 100_000
    for part in (html, rendered["text"]):
        assert piece.display_title in part
        assert "What the alliance means." in part
        assert "Kim Saeme" in part
        assert "represent the views of the respective authors" in part
        assert f"https://forum.example.org{piece.get_absolute_url()}" in part


def test_a_typical_long_piece_stays_under_100_kb():
    paragraph = "<p>" + "A sentence of a typical commentary about the region. " * 12 + "</p>"
    piece = live_piece(body=paragraph * 25)  # about 1,500 words
    assert len(render_edition(piece)["html"].encode()) < 100_000


def test_the_pdf_link_is_in_both_parts(settings):
    settings.SITE_URL = "https://forum.example.org"
    piece = live_piece()
    Commentary.objects.filter(pk=piece.pk).update(pdf="pdf/2026/piece.pdf")
    piece.refresh_from_db()
    rendered = render_edition(piece)
    assert "https://forum.example.org/media/pdf/2026/piece.pdf" in rendered["html"]
    assert "https://forum.example.org/media/pdf/2026/piece.pdf" in rendered["text"]


def test_an_edition_keeps_email_lines_short_so_both_parts_stay_8bit():
    paragraph = "<p>" + "A long paragraph of a commentary, as CKEditor writes it. " * 40 + "</p>"
    rendered = render_edition(live_piece(body=paragraph * 5))
    for part in (rendered["html"], rendered["text"]):
        assert max(len(line) for line in part.splitlines()) < 998
    assert "A long paragraph of a commentary" in rendered["text"]


DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_the_tick_keeps_exactly_one_successor_and_extra_ticks_die_out(settings):
    from django.core.management import call_command
    from django_tasks_db.models import DBTaskResult

    from commentaries.tasks import TICK_PATH, ensure_tick, go_live_tick

    settings.TASKS = DATABASE_TASKS
    settings.GO_LIVE_TICK_SECONDS = 60
    waiting = DBTaskResult.objects.filter(task_path=TICK_PATH, status="READY")

    go_live_tick.call()
    go_live_tick.call()  # a duplicate run: still one successor
    assert waiting.count() == 1
    successor = waiting.get()
    assert timezone.now() + timedelta(seconds=50) < successor.run_after
    assert successor.priority > 0  # ahead of deliveries in the queue

    assert ensure_tick() is False  # start_tick on a deploy: nothing to add
    call_command("start_tick")
    assert waiting.count() == 1
    # Publishing now nudges it: one tick to run at once, once.
    assert ensure_tick(now=True) is True
    assert ensure_tick(now=True) is False
    assert waiting.count() == 2


def test_the_tick_resumes_an_edition_whose_worker_died(settings):
    from django_tasks_db.models import DBTaskResult

    from commentaries.tasks import go_live_tick
    from subscriptions.tasks import DELIVER_PATH

    from .edition_helpers import started_edition

    settings.TASKS = DATABASE_TASKS
    piece = live_piece()
    confirmed(piece.series, 2)
    edition = started_edition(piece)  # queued rows, and no delivery task waiting
    deliveries = DBTaskResult.objects.filter(task_path=DELIVER_PATH, status="READY")
    assert not deliveries.exists()

    go_live_tick.call()
    assert deliveries.get().args_kwargs["kwargs"] == {"edition_id": edition.pk}
    go_live_tick.call()
    assert deliveries.count() == 1
