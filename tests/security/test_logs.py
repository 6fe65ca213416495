"""No subscriber token, query value or address reaches a log line: not the
request log, not Django's own lines, not gunicorn's access log."""

import logging
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection

from pacforum import requestlog
from pacforum.requestlog import JsonFormatter, RequestIdFilter
from subscriptions import tokens
from subscriptions.models import SubscriptionRequest
from tests.factories import SeriesFactory, SubscriptionRequestFactory

ROOT = Path(__file__).resolve().parents[2]
ADDRESS = "ana.reader@example.org"


class Capture(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.records = []

    def emit(self, record):
        self.records.append(record)


@pytest.fixture
def every_record():
    """Every record of every logger (Django's own do not reach the root)."""
    handler = Capture()
    loggers = [logging.getLogger(), logging.getLogger("django")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        lg.setLevel(logging.DEBUG)
    yield handler.records
    for lg, level in zip(loggers, levels, strict=True):
        lg.removeHandler(handler)
        lg.setLevel(level)


def written(records):
    """What the site's handlers would write for these records, plus each
    record's message and plain attributes."""
    request_id = RequestIdFilter()
    plain = getattr(requestlog, "PlainFormatter", logging.Formatter)
    formatters = [JsonFormatter(), plain("%(name)s [%(request_id)s] %(message)s")]
    for record in records:
        request_id.filter(record)
        yield record.getMessage()
        for value in vars(record).values():
            if isinstance(value, str):
                yield value
        for formatter in formatters:
            yield formatter.format(record)


def secrets_in(text, secrets):
    return [secret for secret in secrets if secret and secret.lower() in text.lower()]


@pytest.mark.django_db
def test_the_subscription_journey_leaves_no_token_or_address_in_any_log_record(
    client, every_record, django_capture_on_commit_callbacks, settings
):
    pacnet = SeriesFactory(name="PacNet", slug="pacnet")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/subscribe/?utm_source={ADDRESS}",
            {"name": "Ana Reader", "email": ADDRESS, "series": [pacnet.pk], "consent": "on"},
        )
    assert response.status_code == 302
    body = mail.outbox[0].body
    confirm = re.search(r"/subscribe/confirm/[^/\s]+/", body)[0]
    manage = re.search(r"/subscribe/manage/[^/\s]+/", body)[0]
    unsubscribe = re.search(r"/unsubscribe/[^/\s]+/", body)[0]
    secrets = [
        ADDRESS,
        "ana.reader",
        *(url.split("/")[-2] for url in (confirm, manage, unsubscribe)),
    ]

    assert client.get(confirm).status_code == 200
    assert client.post(confirm).status_code == 200
    assert client.get(manage + f"?email={ADDRESS}").status_code == 200
    assert client.post(manage, {"series": [pacnet.pk]}).status_code == 302
    assert client.get(unsubscribe).status_code == 200
    assert client.post(unsubscribe).status_code == 200
    assert client.post(unsubscribe + "one-click/").status_code == 200
    # Refused links are logged by Django as 400s, with their path.
    assert client.get(confirm[:-8] + "tampered/").status_code == 400
    settings.SUBSCRIPTIONS_MANAGE_LINK_MAX_AGE = -1
    assert client.get(manage).status_code == 400
    assert client.get(manage.rstrip("/")).status_code in (301, 400)

    assert SubscriptionRequest.objects.get().status == "unsubscribed"
    requests = [r for r in every_record if r.name == "pacforum.request"]
    assert len(requests) >= 10, "the journey's requests were not logged"
    assert any(r.name == "django.request" for r in every_record), "no 4xx line was captured"
    leaks = {text: found for text in written(every_record) if (found := secrets_in(text, secrets))}
    assert leaks == {}
    assert any("/subscribe/manage/[token]/" in r.getMessage() for r in requests)


def test_anything_shaped_like_a_token_or_an_address_is_redacted_from_a_line():
    from pacforum.redaction import redact

    token = "eyJyIjoxLCJlIjoiYWJjIn0:1v2Xyz:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    assert redact(f"Referer https://x.example/anything/{token}/") == (
        "Referer https://x.example/anything/[signed]/"
    )
    assert redact("GET /search/?q=harbour&page=2 HTTP/1.1") == (
        "GET /search/?q=[value]&page=[value] HTTP/1.1"
    )
    assert redact("refused for Ana@Example.org") == "refused for [address]"
    assert (
        redact("GET /unsubscribe/short/one-click/ 200") == "GET /unsubscribe/[token]/one-click/ 200"
    )
    assert redact("GET /pacnet/2026/harbour-resilience/ 200") == (
        "GET /pacnet/2026/harbour-resilience/ 200"
    )


# --- gunicorn --------------------------------------------------------------------


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url, headers=None):
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.django_db(transaction=True)
def test_gunicorns_access_log_as_documented_carries_no_token_query_value_or_address(tmp_path):
    subscription = SubscriptionRequestFactory(email=ADDRESS)
    manage = tokens.make_manage_token(subscription=subscription)
    confirm = tokens.make_confirm_token(subscription=subscription, series_ids=[])
    settings_dict = connection.settings_dict
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{settings_dict['USER'] or 'postgres'}{password}@"
        f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/"
        f"{settings_dict['NAME']}",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "false",
    }
    env.pop("REDIS_URL", None)
    env["GUNICORN_ACCESS_LOG"] = "-"  # off by default; the README says how to turn it on
    if connection.vendor != "postgresql":
        pytest.skip("gunicorn serves the test database only on PostgreSQL")
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        # Started from the repository's top folder, as the README says, so
        # gunicorn reads gunicorn.conf.py.
        server = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "gunicorn",
                "pacforum.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "1",
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                assert server.poll() is None, log_path.read_text()
                try:
                    if _get(base + "/healthz") == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            referer = {"Referer": f"{base}/subscribe/manage/{manage}/?email={ADDRESS}"}
            assert _get(f"{base}/subscribe/manage/{manage}/?email={ADDRESS}", referer) == 200
            assert _get(f"{base}/subscribe/confirm/{confirm}/?utm_id=campaign-7") == 200
            assert _get(f"{base}/unsubscribe/{manage}/one-click/") in (200, 302)
            assert _get(f"{base}/subscribe/manage/{manage}") in (200, 301)
        finally:
            server.terminate()
            server.wait(timeout=20)
    output = log_path.read_text()
    access = [
        line
        for line in output.splitlines()
        if '"GET /subscribe/manage/' in line and not line.startswith("{")
    ]
    assert access, f"no access log line in:\n{output}"
    assert '"GET /subscribe/manage/[token]/?email=[value] HTTP/1.1" 200' in access[0]
    for secret in (manage, confirm, ADDRESS, "campaign-7"):
        assert secret not in output


def test_a_test_urlconf_seen_first_does_not_hide_the_sites_token_routes(settings):
    from pacforum.redaction import _secret_routes, redact

    _secret_routes.cache_clear()
    settings.ROOT_URLCONF = "tests.security.test_health"
    redact("GET /healthz 200")
    settings.ROOT_URLCONF = "pacforum.urls"
    assert (
        redact("GET /unsubscribe/short/one-click/ 200") == "GET /unsubscribe/[token]/one-click/ 200"
    )


def test_redaction_skips_only_patterns_that_cannot_match():
    """`redact` runs a pattern only on text holding what its every match holds:
    it must give what running all of them gives, on lines with and without."""
    from django.conf import settings

    from pacforum import redaction

    def every_pattern(text):
        routes = redaction._secret_routes(settings.ROOT_URLCONF)
        text = routes.sub(redaction._redact_route, text)
        text = redaction._SIGNED.sub("[signed]", text)
        text = redaction._QUERY.sub(lambda m: "?" + redaction.redact_query(m.group(1)), text)
        return redaction._ADDRESS.sub("[address]", text)

    token = "eyJyIjoxLCJlIjoiYWJjIn0:1v2Xyz:AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
    slug = "what-port-investment-means-for-northeast-asia-after-the-summit"
    lines = [
        f'{{"time": "2026-12-07T20:10:00+0000", "message": "GET /pacnet/2026/{slug}/ 200"}}',
        f"GET /anything/{token}/ 200",
        f"GET /anything/{token[:-1]}/ 200",  # 19 characters after the last colon
        f"GET /x/abcdef:abcd:{'a' * 20}/",
        f"GET /x/abcdef:abcd:{'a' * 19}/",
        "GET /search/?q=harbour&email=ana@example.org HTTP/1.1",
        "refused for Ana@Example.org and bo@例え.テスト",
        "GET /subscribe/manage/some-token/?x=1 200",
        "ana@example",
        "?",
        "@",
        ":" + "a" * 25,
        "GET",
        "-",
        "unsubscribe/some-token/",  # no leading "/": no route matches
    ]
    for line in lines:
        assert redaction.redact(line) == every_pattern(line), line


# The patterns before they were anchored at the start of a run: each failed try
# from inside a long run rescanned the rest of it.
UNANCHORED_SIGNED = r"\.?[A-Za-z0-9_-]{6,}(?::[A-Za-z0-9_-]{4,}){1,2}:[A-Za-z0-9_-]{20,}"
UNANCHORED_ADDRESS = (
    r"[^\s@\"'<>(),;:/\\\[\]]+@[A-Za-z0-9\u00a0-\uffff.-]+\.[A-Za-z\u00a0-\uffff]{2,}"
)


@pytest.mark.parametrize(
    "line",
    [
        "mail ana@example.com, bo.kim+news@sub.example.org; (c@d.io)",
        "x.eJxsig:1abc:abcdefghijklmnopqrstuvwxyz12 and abc.eJxsig:1abc:abcdefghijklmnopqrst12",
        "ab:cdefgh:ijkl:abcdefghijklmnopqrstuvwxyz and a@b@c.de",
        "/subscribe/confirm/eyJyIjoxfQ:1v2Xyz:AbCdEfGhIjKlMnOpQrStUvWxYz01/ ana@例え.テスト",
        "@@a@b.cd ..x@y.zz",
    ],
)
def test_anchored_patterns_redact_exactly_what_the_unanchored_ones_did(line):
    from pacforum import redaction

    assert redaction._SIGNED.sub("[s]", line) == re.sub(UNANCHORED_SIGNED, "[s]", line)
    assert redaction._ADDRESS.sub("[a]", line) == re.sub(UNANCHORED_ADDRESS, "[a]", line)


@pytest.mark.parametrize(
    "path",
    [
        "/" + "a" * 100_000 + "@",
        "/" + "a" * 100_000 + ":" + "b" * 20,
        "/" + "a-" * 50_000 + ":" + "b" * 25,
        "/x?" + "a" * 100_000 + "@",
    ],
    ids=["@ after a long run", "signed end after a long run", "dashes", "query"],
)
def test_a_hostile_path_cannot_make_redaction_take_quadratic_time(path):
    """Every request's path is redacted several times on its way to the logs:
    a path built to make a pattern backtrack would buy seconds of a worker's
    CPU per request (0.4 s for 4,000 characters before). Linear, 100,000
    characters take milliseconds; quadratic, minutes. The bound is far from both."""
    from pacforum.redaction import redact

    started = time.process_time()
    redact(path)
    assert time.process_time() - started < 2
