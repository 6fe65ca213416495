"""Health checks, the friendly 503 page, fail-safe cache and request logs."""

import json
import logging
import shutil
import socket
import subprocess
import time

import pytest
from django.core.cache import caches
from django.db import OperationalError
from django.http import HttpResponse
from django.test import override_settings
from django.urls import path

from pacforum.cache import FailSafeRedisCache
from pacforum.requestlog import JsonFormatter, RequestIdFilter, request_id_var
from tests.isolation import free_port


def _database_down(request):
    raise OperationalError('connection to server at "db" failed: Connection refused')


def _fine(request):
    return HttpResponse("fine")


def _bug(request):
    raise RuntimeError("an unexpected bug")


class _BrokenDatabaseMiddleware:
    """Stands in for a middleware that queries the database (sessions, axes)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/middleware-needs-db/":
            raise OperationalError("server closed the connection unexpectedly")
        return self.get_response(request)


urlpatterns = [
    path("view-needs-db/", _database_down),
    path("middleware-needs-db/", _fine),
    path("bug/", _bug),
]
handler500 = "pacforum.health.handler500"


@pytest.mark.django_db
def test_healthz_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_checks_the_database_and_the_cache(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == ["database", "cache"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_readyz_is_ready_with_every_cache_off(client):
    # CACHE_DISABLED=true: a cache that keeps nothing is not a cache failure.
    with override_settings(
        CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    ):
        caches.close_all()
        response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == ["database", "cache"]


def _unreachable_redis():
    return {
        "default": {
            "BACKEND": "pacforum.cache.FailSafeRedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.mark.django_db
def test_readyz_is_503_when_the_cache_is_unreachable(client):
    with override_settings(CACHES=_unreachable_redis()):
        caches.close_all()
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "cache" in response.json()["problems"]


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_view_that_cannot_reach_the_database_answers_with_the_friendly_503_page(client):
    response = client.get("/view-needs-db/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    page = response.content.decode()
    assert "back in a moment" in page
    assert "Traceback" not in page
    assert "Connection refused" not in page


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_a_middleware_that_cannot_reach_the_database_also_gets_the_503_page(client, settings):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}._BrokenDatabaseMiddleware"]
    client.raise_request_exception = False
    response = client.get("/middleware-needs-db/")
    assert response.status_code == 503
    assert "back in a moment" in response.content.decode()


@pytest.mark.django_db
def test_pages_keep_serving_when_redis_is_unreachable(client):
    with override_settings(CACHES=_unreachable_redis()):
        caches.close_all()
        cache = caches["default"]
        assert isinstance(cache, FailSafeRedisCache)
        assert cache.get("anything", "fallback") == "fallback"
        assert cache.set("anything", 1) is None
        assert cache.get_or_set("key", "computed") == "computed"
        assert cache.get_many(["a", "b"]) == {}
        response = client.get("/")
    assert response.status_code == 200


@pytest.fixture
def private_redis_url(tmp_path):
    """A redis-server of the test's own, on a free port."""
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = free_port()
    process = subprocess.Popen(  # noqa: S603
        [server, "--port", str(port), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_fail_safe_cache_stores_and_reads_when_redis_is_up(private_redis_url):
    cache = FailSafeRedisCache(private_redis_url, {"KEY_PREFIX": "pacforum-test"})
    cache.set("greeting", {"hello": "world"})
    assert cache.get("greeting") == {"hello": "world"}
    assert cache.add("counter", 1) is True
    assert cache.incr("counter") == 2
    with pytest.raises(ValueError):
        cache.incr("missing")


@pytest.mark.django_db
def test_every_response_carries_a_request_id_and_is_logged_once_with_status_and_timing(
    client, caplog
):
    with caplog.at_level(logging.INFO, logger="pacforum.request"):
        response = client.get("/healthz?token=secret-value", HTTP_X_REQUEST_ID="req-12345678")
    assert response["X-Request-ID"] == "req-12345678"
    (record,) = [r for r in caplog.records if r.name == "pacforum.request"]
    assert record.status == 200
    assert record.path == "/healthz"
    assert record.duration_ms >= 0
    assert record.bytes == len(response.content)
    line = JsonFormatter().format(record)
    assert "secret-value" not in line
    assert json.loads(line)["request_id"] == "req-12345678"


@pytest.mark.django_db
def test_the_request_line_carries_what_an_access_log_holds_with_tokens_redacted(client, caplog):
    referer = "https://news.example.org/read?email=ana@example.org"
    with caplog.at_level(logging.INFO, logger="pacforum.request"):
        client.get(
            "/healthz",
            REMOTE_ADDR="203.0.113.9",
            HTTP_REFERER=referer,
            HTTP_USER_AGENT="Reader/1.0",
        )
    (record,) = [r for r in caplog.records if r.name == "pacforum.request"]
    entry = json.loads(JsonFormatter().format(record))
    assert entry["client"] == "203.0.113.9"
    assert entry["method"] == "GET"
    assert entry["user_agent"] == "Reader/1.0"
    assert entry["referer"] == "https://news.example.org/read?email=[value]"
    assert "ana@example.org" not in json.dumps(entry)


@pytest.mark.django_db
def test_a_malformed_request_id_is_replaced(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert response["X-Request-ID"] != "bad id\nwith newline"
    assert len(response["X-Request-ID"]) == 32


def test_log_lines_are_json_with_the_request_id():
    record = logging.LogRecord("pacforum.test", logging.WARNING, __file__, 1, "hi %s", ("x",), None)
    record.event = "test"
    request_id_var.set("req-abcdefgh")
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "hi x"
    assert entry["level"] == "WARNING"
    assert entry["event"] == "test"
    assert entry["request_id"] == "req-abcdefgh"


@pytest.mark.browser
@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_the_503_and_lockout_pages_are_valid_html(client, settings, html_validator, tmp_path):
    from axes.utils import reset

    assert html_validator(client.get("/view-needs-db/").content.decode(), tmp_path) == []
    settings.AXES_ENABLED = True
    settings.ROOT_URLCONF = "pacforum.urls"
    reset()
    for _ in range(5):
        response = client.post("/admin/login/", {"username": "nobody", "password": "wrong"})
    reset()
    assert response.status_code == 429
    assert html_validator(response.content.decode(), tmp_path) == []


@pytest.mark.urls(__name__)
@pytest.mark.django_db
def test_an_unexpected_error_is_logged_with_its_traceback_and_request_id(client, caplog):
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/bug/?email=reader@example.org")
    assert response.status_code == 500
    (record,) = [r for r in caplog.records if r.name == "django.request"]
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == response["X-Request-ID"]
    assert "RuntimeError: an unexpected bug" in entry["exception"]
    assert entry["message"] == "Internal Server Error: /bug/"
    assert "reader@example.org" not in json.dumps(entry)
