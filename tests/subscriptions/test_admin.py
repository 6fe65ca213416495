import csv
import io

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.core import mail
from django.utils import timezone

from subscriptions.export import neutralise
from subscriptions.models import SubscriptionRequest
from tests.factories import SeriesFactory, SubscriptionRequestFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/subscriptions/subscriptionrequest/"


def staff_in(group_name, codenames):
    group, _ = Group.objects.get_or_create(name=group_name)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label="subscriptions", codename__in=codenames)
    )
    user = User.objects.create_user(f"{group_name.lower()}-user", is_staff=True)
    user.groups.add(group)
    return user


@pytest.fixture
def editor_client(client):
    client.force_login(
        staff_in(
            "Editors",
            ["view_subscriptionrequest", "change_subscriptionrequest"],
        )
    )
    return client


def confirmed(**kwargs):
    return SubscriptionRequestFactory(status="confirmed", confirmed_at=timezone.now(), **kwargs)


def test_contributors_without_subscription_permissions_cannot_see_subscribers(client):
    SubscriptionRequestFactory(email="secret@example.com")
    client.force_login(staff_in("Contributors", []))
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(CHANGELIST + "export/").status_code == 403
    assert "secret@example.com" not in client.get("/admin/").content.decode()


def test_editors_see_counts_per_series_and_status_on_the_list(editor_client):
    pacnet = SeriesFactory(name="PacNet", slug="pacnet")
    other = SeriesFactory(name="Issues & Insights", slug="issues")
    confirmed(series=[pacnet, other])
    confirmed(series=[pacnet])
    SubscriptionRequestFactory(series=[pacnet])
    response = editor_client.get(CHANGELIST)
    assert response.status_code == 200
    rows = {row["series"].name: row["counts"] for row in response.context["series_counts"]}
    assert rows == {"PacNet": [1, 2, 0], "Issues & Insights": [0, 1, 0]}
    assert response.context["status_totals"] == [1, 2, 0]
    assert "Requests per series and status" in response.content.decode()


def test_the_list_filters_and_searches(editor_client):
    pacnet = SeriesFactory(name="PacNet", slug="pacnet")
    confirmed(name="Kim Lee", organization="Sejong", series=[pacnet])
    SubscriptionRequestFactory(name="Ana Reader")
    html = editor_client.get(CHANGELIST, {"q": "sejong"}).content.decode()
    assert "Kim Lee" in html
    assert "Ana Reader" not in html
    html = editor_client.get(CHANGELIST, {"status__exact": "pending"}).content.decode()
    assert "Ana Reader" in html
    assert "Kim Lee" not in html
    html = editor_client.get(CHANGELIST, {"series__id__exact": pacnet.pk}).content.decode()
    assert "Kim Lee" in html


def test_the_change_page_shows_no_token_or_personal_link(editor_client):
    request = SubscriptionRequestFactory()
    html = editor_client.get(f"{CHANGELIST}{request.pk}/change/").content.decode()
    assert "/subscribe/confirm/" not in html
    assert "/unsubscribe/" not in html


def test_resend_confirmation_action_queues_emails_for_pending_requests_only(
    editor_client, django_capture_on_commit_callbacks
):
    pending = SubscriptionRequestFactory(email="pending@example.com")
    done = confirmed(email="done@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        response = editor_client.post(
            CHANGELIST,
            {"action": "resend_confirmation", "_selected_action": [pending.pk, done.pk]},
            follow=True,
        )
    assert response.status_code == 200
    assert [m.to for m in mail.outbox] == [["pending@example.com"]]
    assert "/subscribe/confirm/" in mail.outbox[0].body


def test_mark_unsubscribed_action(editor_client):
    request = confirmed()
    editor_client.post(
        CHANGELIST, {"action": "mark_unsubscribed", "_selected_action": [request.pk]}
    )
    request.refresh_from_db()
    assert request.status == SubscriptionRequest.Status.UNSUBSCRIBED
    assert request.unsubscribed_at is not None


def read_csv(response):
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    content = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(content)))


def test_export_streams_confirmed_subscribers_of_the_chosen_series(editor_client):
    pacnet = SeriesFactory(name="PacNet", slug="pacnet")
    other = SeriesFactory(name="Issues & Insights", slug="issues")
    confirmed(name="Kim Lee", email="kim@example.com", series=[pacnet, other])
    confirmed(name="Only Other", email="other@example.com", series=[other])
    SubscriptionRequestFactory(name="Still Pending", series=[pacnet])
    SubscriptionRequestFactory(
        name="Gone", status="unsubscribed", unsubscribed_at=timezone.now(), series=[pacnet]
    )
    assert editor_client.get(CHANGELIST + "export/").status_code == 200
    rows = read_csv(editor_client.post(CHANGELIST + "export/", {"series": [pacnet.pk]}))
    assert rows[0] == ["name", "email", "organization", "series", "confirmed at"]
    assert [row[:2] for row in rows[1:]] == [["Kim Lee", "kim@example.com"]]
    assert rows[1][3] == "Issues & Insights; PacNet"


def test_export_neutralises_spreadsheet_formulas(editor_client):
    pacnet = SeriesFactory(name="PacNet", slug="pacnet")
    confirmed(
        name='=HYPERLINK("http://evil.example","x")',
        organization="@SUM(A1)",
        email="kim@example.com",
        series=[pacnet],
    )
    rows = read_csv(editor_client.post(CHANGELIST + "export/", {"series": [pacnet.pk]}))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows[1][2] == "'@SUM(A1)"


def test_export_action_exports_only_the_confirmed_among_the_selected(editor_client):
    kim = confirmed(name="Kim Lee")
    pending = SubscriptionRequestFactory(name="Still Pending")
    rows = read_csv(
        editor_client.post(
            CHANGELIST, {"action": "export_confirmed", "_selected_action": [kim.pk, pending.pk]}
        )
    )
    assert [row[0] for row in rows[1:]] == ["Kim Lee"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+44 20", "'+44 20"), ("-x", "'-x"), ("@a", "'@a"), ("\tb", "'\tb")],
)
def test_cells_starting_with_a_formula_character_are_prefixed(value, expected):
    assert neutralise(value) == expected
    assert neutralise("Kim = Lee") == "Kim = Lee"


def test_staff_cannot_add_subscribers_past_the_double_opt_in(client):
    user = User.objects.create_superuser("boss", "boss@example.com", "x" * 20)
    client.force_login(user)
    assert client.get(CHANGELIST + "add/").status_code == 403
