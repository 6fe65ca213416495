import pytest
from django.urls import reverse

from tests.factories import BylineFactory, CommentaryFactory

pytestmark = pytest.mark.django_db


def test_home_page_lists_published_commentaries_only(client):
    live = CommentaryFactory(published=True, title="Visible piece")
    CommentaryFactory(title="Hidden draft")
    BylineFactory(commentary=live)
    response = client.get(reverse("commentaries:home"))
    assert response.status_code == 200
    assert "Visible piece" in response.content.decode()
    assert "Hidden draft" not in response.content.decode()


def test_home_page_runs_a_fixed_number_of_queries(client, django_assert_max_num_queries):
    for _ in range(15):
        piece = CommentaryFactory(published=True)
        BylineFactory.create_batch(3, commentary=piece)
    with django_assert_max_num_queries(4):
        client.get(reverse("commentaries:home"))
