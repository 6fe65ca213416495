"""No stampede: when a page readers keep asking for goes stale, one request
rebuilds it while the others get the stale copy, across processes (a real
gunicorn, several workers and threads) through the real Redis."""

from concurrent.futures import ThreadPoolExecutor, as_completed

import pytest
from django.db import connection, transaction

from tests.factories import BylineFactory, CommentaryFactory
from tests.servers import get, gunicorn, redis_page_cache

pytestmark = pytest.mark.django_db(transaction=True)

READERS = 50


@pytest.fixture
def site(redis_url, tmp_path, free_port):
    if connection.vendor != "postgresql":
        pytest.skip("the servers read the test database over PostgreSQL")
    with (
        redis_page_cache(redis_url) as prefix,
        gunicorn(tmp_path, free_port(), redis_url=redis_url, prefix=prefix) as base,
    ):
        yield base


def test_fifty_readers_of_a_page_just_made_stale_cause_exactly_one_rebuild(site):
    piece = CommentaryFactory(published=True, title="The first title")
    BylineFactory(commentary=piece)
    url = site + piece.get_absolute_url()
    assert get(url)[1]["X-Cache"] == "miss"
    assert get(url)[1]["X-Cache"] == "hit"

    piece.title = "The second title"
    piece.save()  # committed: the page is stale in Redis

    # The rebuild needs the pieces' table; holding it locked keeps the one
    # rebuild waiting until every other reader has been answered, so that
    # all 50 really ask while the page is stale.
    with ThreadPoolExecutor(max_workers=READERS) as pool:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("LOCK TABLE commentaries_commentary IN ACCESS EXCLUSIVE MODE")
            futures = [pool.submit(get, url) for _ in range(READERS)]
            # Wait for all but one (a TimeoutError if more than one waits on
            # the table: the test fails rather than hangs).
            for done, _future in enumerate(as_completed(futures, timeout=120), start=1):
                if done == READERS - 1:
                    break
        answered = [future.result(timeout=120) for future in futures]

    kinds = [headers["X-Cache"] for _, headers, _ in answered]
    assert kinds.count("miss") == 1, kinds
    assert kinds.count("stale") == READERS - 1, kinds
    rebuilt = next(body for _, headers, body in answered if headers["X-Cache"] == "miss")
    assert "The second title" in rebuilt
    assert all("The first title" in body for _, h, body in answered if h["X-Cache"] == "stale")
    _, headers, body = get(url)
    assert headers["X-Cache"] == "hit"
    assert "The second title" in body
