import pytest

from tests.factories import BylineFactory, CommentaryFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_is_valid_html_and_accessible(
    live_server, page, html_validator, run_axe, tmp_path
):
    piece = CommentaryFactory(published=True, title="A readable piece")
    BylineFactory(commentary=piece)
    page.goto(live_server.url + "/")
    # The home page lists it under "Latest" and as its series' newest piece.
    assert page.get_by_role("link", name="A readable piece").first.is_visible()
    assert html_validator(page.content(), tmp_path) == []
    assert run_axe(page) == []
