"""The admin details editors trip on: the “Responds to” picker, static pages'
site, the dashboard's schedule."""

import pytest
from django.contrib.sites.models import Site
from django.urls import reverse

from tests.factories import CommentaryFactory, SeriesFactory, UserFactory

pytestmark = pytest.mark.django_db

AUTOCOMPLETE = "/admin/autocomplete/"


@pytest.fixture
def editor(client):
    user = UserFactory(username="editor", groups=["Editors"])
    client.force_login(user)
    return user


def responds_to(client, term, editing=None):
    headers = {}
    if editing is not None:
        headers["Referer"] = "http://testserver" + reverse(
            "admin:commentaries_commentary_change", args=[editing.pk]
        )
    response = client.get(
        AUTOCOMPLETE,
        {
            "term": term,
            "app_label": "commentaries",
            "model_name": "commentary",
            "field_name": "responds_to",
        },
        headers=headers,
    )
    return [result["text"] for result in response.json()["results"]]


@pytest.fixture
def pacnet():
    series = SeriesFactory(name="PacNet", slug="pacnet", short_label="PacNet")
    CommentaryFactory(series=series, title="Ports", published=True, number=20, year=2019)
    CommentaryFactory(series=series, title="Cables", published=True, number=68, year=2021)
    CommentaryFactory(
        series=series, title="A reply", published=True, number=68, suffix="R", year=2021
    )
    CommentaryFactory(series=series, title="Unfinished draft on ports")
    return series


def test_responds_to_finds_a_number_written_with_a_hash(client, editor, pacnet):
    assert responds_to(client, "#20") == ["PacNet #20 (2019) – Ports"]


def test_responds_to_finds_a_number_with_its_suffix(client, editor, pacnet):
    assert responds_to(client, "68R") == ["PacNet #68R (2021) – A reply"]
    assert responds_to(client, "PacNet #68") == [
        "PacNet #68 (2021) – Cables",
        "PacNet #68R (2021) – A reply",
    ]


def test_responds_to_leaves_out_drafts_and_the_piece_itself(client, editor, pacnet):
    assert responds_to(client, "ports") == ["PacNet #20 (2019) – Ports"]
    ports = pacnet.commentaries.get(title="Ports")
    assert responds_to(client, "ports", editing=ports) == []
    assert responds_to(client, "#20", editing=ports) == []


def test_a_new_static_page_belongs_to_the_current_site(client, editor):
    client.force_login(UserFactory(username="admin", is_staff=True, is_superuser=True))
    html = client.get(reverse("admin:flatpages_flatpage_add")).content.decode()
    site = Site.objects.get_current()
    assert f'<option value="{site.pk}" selected>{site.domain}</option>' in html


def test_the_dashboard_lists_upcoming_scheduled_pieces(client, editor, pacnet):
    CommentaryFactory(series=pacnet, title="Next week’s piece", scheduled=True)
    html = client.get(reverse("admin:index")).content.decode()
    scheduled = html[html.index("Scheduled</h2>") :]
    assert "Next week’s piece" in scheduled[: scheduled.index("</table>")]
