import pytest
from django.urls import reverse

from tests.factories import BylineFactory, CommentaryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite]


def test_home_page_lists_published_commentaries_only(client):
    live = CommentaryFactory(published=True, title="Visible piece")
    CommentaryFactory(title="Hidden draft")
    BylineFactory(commentary=live)
    response = client.get(reverse("commentaries:home"))
    assert response.status_code == 200
    assert "Visible piece" in response.content.decode()
    assert "Hidden draft" not in response.content.decode()


def test_home_page_runs_a_fixed_number_of_queries(client, django_assert_num_queries):
    for _ in range(15):
        piece = CommentaryFactory(published=True)
        BylineFactory.create_batch(3, commentary=piece)
    # Latest pieces (1) and the newest per series (1), their bylines read from
    # the credits stored on each; featured topics (1); site state (2: series
    # with the next scheduled time, static pages; cached afterwards).
    with django_assert_num_queries(5):
        client.get(reverse("commentaries:home"))


def test_preview_of_a_draft_is_404_for_anonymous_readers(client):
    draft = CommentaryFactory(title="Secret draft")
    response = client.get(reverse("commentaries:preview", args=[draft.pk]))
    assert response.status_code == 404


def test_staff_can_preview_a_draft_as_readers_will_see_it(admin_client):
    draft = CommentaryFactory(title="Work in progress", body="<p>Almost there.</p>")
    response = admin_client.get(reverse("commentaries:preview", args=[draft.pk]))
    assert response.status_code == 200
    assert "Almost there." in response.content.decode()
    assert response["X-Robots-Tag"] == "noindex, nofollow"
