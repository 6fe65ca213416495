"""The edge backends' requests, and the headers pages carry for an edge
(the real Varnish runs in test_edge_varnish.py)."""

import json

import pytest

from pacforum import edge
from tests.factories import BylineFactory, CommentaryFactory

pytestmark = pytest.mark.django_db


class Recorder:
    """Stands in for the network: records each request, answers `status`, `body`."""

    def __init__(self, status=200, body=b'{"success": true, "errors": [], "result": {"id": "x"}}'):
        self.requests = []
        self.status, self.body = status, body

    def __call__(self, request, timeout):
        self.requests.append(request)
        return self.status, self.body


def test_cloudflare_purges_by_tag_in_the_documented_shape(monkeypatch):
    sent = Recorder()
    monkeypatch.setattr(edge, "_send", sent)
    keys = [f"p{n}" for n in range(45)]
    edge.Cloudflare("zone123", "secret-token").purge(keys)
    assert len(sent.requests) == 2  # at most 30 tags a call
    first = sent.requests[0]
    assert first.get_method() == "POST"
    assert first.full_url == "https://api.cloudflare.com/client/v4/zones/zone123/purge_cache"
    assert first.get_header("Authorization") == "Bearer secret-token"
    assert first.get_header("Content-type") == "application/json"
    bodies = [json.loads(request.data) for request in sent.requests]
    assert bodies == [{"tags": keys[:30]}, {"tags": keys[30:]}]


def test_cloudflare_answers_other_than_success_fail_the_purge(monkeypatch):
    monkeypatch.setattr(
        edge, "_send", Recorder(200, b'{"success": false, "errors": [{"code": 1134}]}')
    )
    with pytest.raises(edge.PurgeFailed):
        edge.Cloudflare("zone123", "t").purge(["p1"])
    monkeypatch.setattr(edge, "_send", Recorder(403, b"Forbidden"))
    with pytest.raises(edge.PurgeFailed):
        edge.Cloudflare("zone123", "t").purge(["p1"])


def test_varnish_purges_every_frontend_by_xkey(monkeypatch):
    sent = Recorder(body=b"Purged 3 objects.")
    monkeypatch.setattr(edge, "_send", sent)
    edge.Varnish(["http://10.0.0.5:6081", "http://10.0.0.6:6081/"]).purge(["p1", "site"])
    assert [(r.get_method(), r.full_url) for r in sent.requests] == [
        ("PURGE", "http://10.0.0.5:6081/"),
        ("PURGE", "http://10.0.0.6:6081/"),
    ]
    assert {r.get_header("Xkey-purge") for r in sent.requests} == {"p1 site"}


def test_a_failed_purge_is_retried_later_through_the_task_queue(monkeypatch, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EDGE_CACHE = "varnish"
    settings.EDGE_VARNISH_URLS = ["http://127.0.0.1:9"]
    monkeypatch.setattr(edge, "_send", Recorder(503, b"Service Unavailable"))
    assert edge.purge_edge.call(keys=["p1"]) == "retry scheduled"
    retry = DBTaskResult.objects.get(task_path="pacforum.edge.purge_edge")
    assert retry.args_kwargs["kwargs"] == {"keys": ["p1"], "attempt": 2}
    assert retry.run_after is not None


def test_pages_carry_their_keys_for_the_configured_edge_only(client, settings):
    piece = CommentaryFactory(published=True)
    byline = BylineFactory(commentary=piece)
    url = piece.get_absolute_url()
    plain = client.get(url)
    assert "xkey" not in plain and "Cache-Tag" not in plain
    assert "s-maxage" not in plain["Cache-Control"]

    settings.EDGE_CACHE = "varnish"
    for response in (client.get(url), client.get(url)):  # a miss, then a hit
        keys = response["xkey"].split(" ")
        assert {f"p{piece.pk}", f"a{byline.author_id}", f"n{piece.pk}", "site"} <= set(keys)
        assert "s-maxage=" in response["Cache-Control"]
        assert "stale-while-revalidate=60" in response["Cache-Control"]

    settings.EDGE_CACHE = "cloudflare"
    tags = client.get(url)["Cache-Tag"].split(",")
    assert f"p{piece.pk}" in tags


def test_staff_pages_never_carry_keys_or_shared_lifetimes(admin_client, settings):
    settings.EDGE_CACHE = "varnish"
    piece = CommentaryFactory(published=True)
    response = admin_client.get(piece.get_absolute_url())
    assert "xkey" not in response
    assert "private" in response["Cache-Control"]
    assert "s-maxage" not in response["Cache-Control"]


def test_an_edge_cache_that_cannot_be_purged_is_a_configuration_error(settings):
    from pacforum.checks import edge_cache

    settings.EDGE_CACHE = "varnish"
    settings.EDGE_VARNISH_URLS = []
    assert [error.id for error in edge_cache()] == ["pacforum.E003"]
    settings.EDGE_CACHE = "fastly"
    assert [error.id for error in edge_cache()] == ["pacforum.E002"]
    settings.EDGE_CACHE = ""
    assert edge_cache() == []
