"""The staff side of editions and deliveries, and the worker's health."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from subscriptions import sending
from subscriptions.models import Delivery, Edition, SeriesNewsletter
from tests.factories import SeriesFactory, UserFactory

from .edition_helpers import confirmed, live_piece, started_edition

pytestmark = pytest.mark.django_db
State = Delivery.State


@pytest.fixture
def editor(client):
    user = UserFactory(username="editor", email="editor@example.org", groups=["Editors"])
    client.force_login(user)
    return user


@pytest.fixture
def waiting_edition():
    piece = live_piece()
    SeriesNewsletter.objects.create(series=piece.series, mode=SeriesNewsletter.Mode.ON_DEMAND)
    confirmed(piece.series, 2)
    return sending.edition_for_go_live(commentary=piece)


def url(edition, action=""):
    return f"/admin/subscriptions/edition/{edition.pk}/" + (f"{action}/" if action else "change/")


def test_on_demand_send_needs_a_test_then_a_confirmation_and_a_double_click_sends_once(
    client, editor, waiting_edition, django_capture_on_commit_callbacks
):
    page = client.get(url(waiting_edition)).content.decode()
    assert "Send yourself a test first" in page
    assert client.get(url(waiting_edition, "send")).status_code == 302  # no test yet

    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(waiting_edition, "test-send"))
    assert [m.to for m in mail.outbox] == [["editor@example.org"]]
    assert mail.outbox[0].subject.startswith("[Test] PacNet #")
    mail.outbox.clear()

    page = client.get(url(waiting_edition)).content.decode()
    assert "Send to 2 PacNet subscribers" in page
    confirm = client.get(url(waiting_edition, "send")).content.decode()
    assert "Send to 2 PacNet subscribers" in confirm
    with django_capture_on_commit_callbacks(execute=True):
        client.post(url(waiting_edition, "send"))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(waiting_edition, "send"), follow=True)
    assert "already sent" in response.content.decode()
    assert len(mail.outbox) == 2
    assert len({m.to[0] for m in mail.outbox}) == 2
    waiting_edition.refresh_from_db()
    assert waiting_edition.status == Edition.Status.SENT
    assert waiting_edition.send_requested_by == editor


def test_the_list_shows_live_counts_and_unknown_deliveries(client, editor):
    piece = live_piece()
    confirmed(piece.series, 4)
    edition = started_edition(piece)
    rows = list(edition.deliveries.all())
    Delivery.objects.filter(pk=rows[0].pk).update(state=State.SENT, sent_at=timezone.now())
    Delivery.objects.filter(pk=rows[1].pk).update(state=State.UNKNOWN)
    Delivery.objects.filter(pk=rows[2].pk).update(state=State.FAILED)

    listing = client.get("/admin/subscriptions/edition/").content.decode()
    assert piece.display_title in listing
    assert '<progress max="4" value="3">' in listing
    page = client.get(url(edition)).content.decode()
    assert "<td>1</td><td>1</td><td>1</td><td>1</td><td>0</td><td>0</td><td>4</td>" in page
    assert "Resend the 2 failed and unknown" in page
    assert "may or may not have arrived" in page
    deliveries = client.get("/admin/subscriptions/delivery/?state__exact=unknown").content.decode()
    assert rows[1].subscription.email in deliveries


def test_cancel_and_resend_from_the_edition_page(client, editor):
    piece = live_piece()
    confirmed(piece.series, 3)
    edition = started_edition(piece)
    client.post(url(edition, "cancel"))
    assert set(edition.deliveries.values_list("state", flat=True)) == {State.CANCELLED}
    response = client.post(url(edition, "resend"), follow=True)
    assert "0 failed or unknown deliveries queued again" in response.content.decode()
    Delivery.objects.filter(pk=edition.deliveries.first().pk).update(state=State.UNKNOWN)
    client.post(url(edition, "resend"))
    assert edition.deliveries.filter(state=State.QUEUED).count() == 1


def test_actions_refuse_get_and_contributors_see_nothing(client, waiting_edition):
    client.force_login(UserFactory(username="writer", groups=["Contributors"]))
    assert client.get("/admin/subscriptions/edition/").status_code == 403
    assert client.post(url(waiting_edition, "cancel")).status_code == 403
    assert client.get("/admin/subscriptions/delivery/").status_code == 403
    client.force_login(UserFactory(username="editor2", groups=["Editors"]))
    assert client.get(url(waiting_edition, "cancel")).status_code == 403
    waiting_edition.refresh_from_db()
    assert waiting_edition.status == Edition.Status.WAITING


def test_a_subscribers_page_shows_their_delivery_history(client, editor):
    piece = live_piece()
    reader = confirmed(piece.series, 1)[0]
    started_edition(piece)
    page = client.get(f"/admin/subscriptions/subscriptionrequest/{reader.pk}/change/")
    assert "delivery history" in page.content.decode().lower()
    assert piece.display_title in page.content.decode()


def test_the_export_form_preselects_every_series_and_works_as_shown(client, editor):
    first = SeriesFactory(name="PacNet")
    second = SeriesFactory(name="YL Brief")
    confirmed(first, 1)
    page = client.get("/admin/subscriptions/subscriptionrequest/export/").content.decode()
    assert page.count("checked") >= 2
    response = client.post(
        "/admin/subscriptions/subscriptionrequest/export/", {"series": [first.pk, second.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_staff_can_download_and_erase_one_address(client, editor):
    piece = live_piece()
    reader = confirmed(piece.series, 1)[0]
    started_edition(piece)
    changelist = "/admin/subscriptions/subscriptionrequest/"
    response = client.post(
        changelist, {"action": "export_everything_held", "_selected_action": [reader.pk]}
    )
    assert response.json()["email"] == reader.email
    client.post(changelist, {"action": "erase", "_selected_action": [reader.pk]})
    assert not type(reader).objects.filter(pk=reader.pk).exists()
    assert Delivery.objects.filter(subscription__isnull=True).count() == 1


def test_readyz_and_the_dashboard_report_a_dead_worker(client, editor, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    body = client.get("/readyz").json()
    assert body["status"] == "ok"
    assert body["worker"]["ok"] is False
    assert "never run a task" in body["worker"]["problems"][0]
    assert "background worker looks dead" in client.get("/admin/").content.decode()

    # A tick that started a minute ago: alive.
    from commentaries.tasks import go_live_tick

    result = go_live_tick.enqueue()
    DBTaskResult.objects.filter(pk=result.id).update(
        status="SUCCESSFUL", started_at=timezone.now() - timedelta(minutes=1)
    )
    assert client.get("/readyz").json()["worker"] == {"ok": True, "problems": []}
    assert "background worker looks dead" not in client.get("/admin/").content.decode()

    # A task queued 10 minutes ago and still waiting: the worker is stuck.
    stuck = go_live_tick.enqueue()
    DBTaskResult.objects.filter(pk=stuck.id).update(
        enqueued_at=timezone.now() - timedelta(minutes=10)
    )
    problems = client.get("/readyz").json()["worker"]["problems"]
    assert problems == ["a queued task has waited 10 minutes"]
