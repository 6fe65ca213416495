"""The edge cache: a real Varnish (ops/varnish.vcl, vmod-xkey) in front of a
real gunicorn of the site, purged by key when content changes."""

import pytest
from django.db import connection
from django.test import override_settings

from tests.factories import BylineFactory, CommentaryFactory, UserFactory
from tests.isolation import free_port
from tests.servers import get, gunicorn, new_prefix, redis_page_cache, varnish

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def servers(django_db_setup, redis_url, tmp_path_factory):
    """gunicorn and Varnish in front of it, for the whole module (each test
    has its own data and starts with an empty edge)."""
    if connection.vendor != "postgresql":
        pytest.skip("the servers read the test database over PostgreSQL")
    tmp_path = tmp_path_factory.mktemp("edge")
    app_port, edge_port, prefix = free_port(), free_port(), new_prefix()
    env = {
        "EDGE_CACHE": "varnish",
        "EDGE_VARNISH_URLS": f"http://127.0.0.1:{edge_port}",
        "TEST_ROOT_URLCONF": "tests.edge_urls",
    }
    with (
        gunicorn(
            tmp_path, app_port, redis_url=redis_url, prefix=prefix, workers=2, threads=2, env=env
        ),
        varnish(tmp_path, edge_port, app_port) as base,
    ):
        yield base, prefix


@pytest.fixture
def edge(servers, redis_url):
    base, prefix = servers
    with (
        redis_page_cache(redis_url, prefix),
        # This process purges like an application node does (tasks run at once here).
        override_settings(EDGE_CACHE="varnish", EDGE_VARNISH_URLS=[base]),
    ):
        yield base
    get(base + "/", method="PURGE", headers={"xkey-purge": "site"})  # empty the edge


def piece_with_author(title):
    piece = CommentaryFactory(published=True, title=title)
    BylineFactory(commentary=piece)
    return piece


def test_public_pages_are_kept_at_the_edge_and_their_keys_never_reach_the_browser(edge):
    piece = piece_with_author("Kept at the edge")
    url = edge + piece.get_absolute_url()
    status, first, body = get(url)
    assert (status, first["X-Edge"]) == (200, "miss")
    _, second, again = get(url)
    assert second["X-Edge"] == "hit"
    assert again == body
    for headers in (first, second):
        assert "xkey" not in headers
        assert "Cache-Tag" not in headers
        assert "s-maxage=" in headers["Cache-Control"]
        assert "stale-while-revalidate=" in headers["Cache-Control"]


def test_a_change_purges_exactly_the_pages_that_show_it(edge):
    changed = piece_with_author("Before the correction")
    other = piece_with_author("Unrelated piece")
    urls = [edge + changed.get_absolute_url(), edge + other.get_absolute_url()]
    for url in urls:
        get(url)
        assert get(url)[1]["X-Edge"] == "hit"

    changed.title = "After the correction"
    changed.save()  # purged by key at the edge, through the task queue

    _, headers, body = get(urls[0])
    assert headers["X-Edge"] == "miss"
    assert "After the correction" in body
    assert get(urls[1])[1]["X-Edge"] == "hit"


def test_a_page_rendered_for_staff_never_reaches_an_anonymous_reader(edge, client):
    editor = UserFactory(username="editor", is_staff=True)
    client.force_login(editor)
    session = {"Cookie": f"sessionid={client.cookies['sessionid'].value}"}
    piece = piece_with_author("Seen by staff")
    for path in ["/edge-probe/who/", piece.get_absolute_url(), "/"]:
        status, headers, body = get(edge + path, headers=session)
        assert status == 200, path
        assert "private" in headers["Cache-Control"], path
        if path == "/edge-probe/who/":
            assert body == "staff editor"
        # The staff's answer was not stored: a reader gets the edge's first
        # anonymous copy, built for a reader.
        _, reader, reader_body = get(edge + path)
        assert reader["X-Edge"] == "miss", path
        assert "private" not in reader["Cache-Control"], path
        if path == "/edge-probe/who/":
            assert reader_body == "anonymous reader"
        # And staff never get the readers' copy.
        _, again, staff_body = get(edge + path, headers=session)
        assert again["X-Edge"] == "miss", path
        if path == "/edge-probe/who/":
            assert staff_body == "staff editor"


def test_a_response_that_sets_a_cookie_never_reaches_another_reader(edge):
    url = edge + "/edge-probe/cookie/"
    _, first, first_body = get(url)
    _, second, second_body = get(url)
    assert first["X-Edge"] == second["X-Edge"] == "miss"
    assert first_body != second_body
    assert first_body.removeprefix("token ") in first["Set-Cookie"]
    assert first_body.removeprefix("token ") not in second["Set-Cookie"]
    # Nor does one that a reader's cookie made (cookies other than a session
    # are dropped at the edge, so the page is the same for every reader).
    _, with_cookie, _ = get(url, headers={"Cookie": "csrftoken=abc; probe=mine"})
    assert with_cookie["X-Edge"] == "miss"


def test_purging_needs_an_allowed_address_and_keys(edge):
    assert get(edge + "/", method="PURGE")[0] == 400
    status, _, body = get(edge + "/", method="PURGE", headers={"xkey-purge": "site"})
    assert status == 200
    assert "Purged" in body
