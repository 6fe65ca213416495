"""The site survives its database going away and coming back.

A real gunicorn process serves the test database through a TCP proxy that
this test owns. Stopping the proxy cuts every connection (including the one
gunicorn keeps open, CONN_MAX_AGE=60) and refuses new ones, exactly what a
database restart or a network partition looks like to the site.
"""

import contextlib
import os
import select
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.factories import BylineFactory, CommentaryFactory

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db(transaction=True)


class TcpProxy:
    """Forwards 127.0.0.1:<port> to the database; stop() cuts everything."""

    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, int(upstream_port))
        self.port = None
        self._listener = None
        self._sockets = []
        self._lock = threading.Lock()

    def start(self):
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port or 0))
        listener.listen(32)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self):
        # shutdown() wakes the thread blocked in accept(); close() alone would not.
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()

    @staticmethod
    def _pump(a, b):
        peers = {a: b, b: a}
        try:
            while True:
                readable, _, _ = select.select([a, b], [], [], 1)
                for sock in readable:
                    data = sock.recv(65536)
                    if not data:
                        return
                    peers[sock].sendall(data)
        except (OSError, ValueError):
            return
        finally:
            a.close()
            b.close()


def _get(url):
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@pytest.fixture
def proxy():
    if connection.vendor != "postgresql":
        pytest.skip("the outage test drives a PostgreSQL server through a TCP proxy")
    settings_dict = connection.settings_dict
    proxy = TcpProxy(settings_dict["HOST"] or "127.0.0.1", settings_dict["PORT"] or 5432)
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def site(proxy, tmp_path, free_port):
    settings_dict = connection.settings_dict
    user = settings_dict["USER"] or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://{user}{password}@127.0.0.1:{proxy.port}/"
        f"{settings_dict['NAME']}",
        "CONN_MAX_AGE": "60",
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "false",
    }
    env.pop("REDIS_URL", None)
    log = (tmp_path / "gunicorn.log").open("w")
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
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if server.poll() is not None:
                pytest.fail(f"gunicorn exited: {(tmp_path / 'gunicorn.log').read_text()}")
            try:
                if _get(base + "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def test_public_pages_answer_503_while_the_database_is_down_and_recover_when_it_returns(
    proxy, site
):
    piece = CommentaryFactory(published=True, title="Harbour resilience")
    BylineFactory(commentary=piece)
    pages = ["/", piece.get_absolute_url(), piece.series.get_absolute_url()]

    for url in pages:
        status, body = _get(site + url)
        assert status == 200, url
    assert "Harbour resilience" in _get(site + "/")[1]

    proxy.stop()
    # Pages readers already fetched keep coming from the page cache...
    for url in pages:
        status, body = _get(site + url)
        assert status == 200, url
        assert "Harbour resilience" in body
    # ...and pages that need the database answer 503.
    for url in ["/topics/", "/authors/", "/search/?q=harbour"]:
        status, body = _get(site + url)
        assert status == 503, url
        assert "back in a moment" in body
        assert "Traceback" not in body
        assert "OperationalError" not in body
    assert _get(site + "/healthz")[0] == 200
    assert _get(site + "/readyz")[0] == 503

    proxy.start()
    for url in pages:
        status, body = _get(site + url)
        assert status == 200, url
    assert "Harbour resilience" in _get(site + "/")[1]
    assert _get(site + "/readyz")[0] == 200
