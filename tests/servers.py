"""Real servers for tests: gunicorn serving the test database, and Varnish
(ops/varnish.vcl) in front of it, each on a free port."""

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent
VCL = ROOT / "ops" / "varnish.vcl"


def get(url, headers=None, method="GET"):
    """(status, headers, body) of one request; never raises on an HTTP error."""
    request = urllib.request.Request(url, headers=headers or {}, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def _wait_until_up(url, process, log_path):
    for _ in range(300):
        if process.poll() is not None:
            pytest.fail(f"{url}: the server exited: {Path(log_path).read_text()}")
        try:
            urllib.request.urlopen(url, timeout=5).close()  # noqa: S310
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    process.terminate()
    pytest.fail(f"{url} did not start: {Path(log_path).read_text()}")


def redis_cache_settings(redis_url, prefix):
    return {
        "default": {
            "BACKEND": "pacforum.cache.FailSafeRedisCache",
            "LOCATION": redis_url,
            "KEY_PREFIX": prefix,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


def new_prefix():
    return f"pacforum-test-{uuid.uuid4().hex}"


@contextmanager
def redis_page_cache(redis_url, prefix=None):
    """The page cache on Redis under a key prefix of its own, for this process
    (and for the servers started with the same prefix); deleted afterwards."""
    from django.core.cache import caches

    prefix = prefix or new_prefix()
    with override_settings(CACHES=redis_cache_settings(redis_url, prefix)):
        yield prefix
        client = caches["default"]._cache.get_client(write=True)
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)


@contextmanager
def gunicorn(tmp_path, port, *, redis_url, prefix, workers=2, threads=8, env=None):
    """gunicorn serving the test database (which must be committed:
    `transactional_db`) with the page cache on Redis."""
    settings_dict = connection.settings_dict
    user = settings_dict["USER"] or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict["PASSWORD"] else ""
    host = settings_dict["HOST"] or "127.0.0.1"
    db_port = settings_dict["PORT"] or 5432
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings_server",
        "DATABASE_URL": f"postgres://{user}{password}@{host}:{db_port}/{settings_dict['NAME']}",
        "CONN_MAX_AGE": "60",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "false",
        "REDIS_URL": redis_url,
        "CACHE_KEY_PREFIX": prefix,
        "GUNICORN_ACCESS_LOG": "off",
        **(env or {}),
    }
    log_path = tmp_path / f"gunicorn-{port}.log"
    log = log_path.open("w")
    command = [sys.executable, "-m", "gunicorn", "pacforum.wsgi", "--bind", f"127.0.0.1:{port}"]
    command += ["--workers", str(workers), "--threads", str(threads), "--timeout", "120"]
    server = subprocess.Popen(  # noqa: S603
        command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base + "/healthz", server, log_path)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@contextmanager
def varnish(tmp_path, port, backend_port):
    """varnishd with ops/varnish.vcl, its backend's port replaced."""
    varnishd = shutil.which("varnishd") or "/usr/sbin/varnishd"
    if not Path(varnishd).exists():
        if os.environ.get("CI"):
            pytest.fail("varnishd is missing (apt-get install varnish varnish-modules)")
        pytest.skip("varnishd is missing (apt-get install varnish varnish-modules)")
    vcl = VCL.read_text().replace('.port = "8000";', f'.port = "{backend_port}";')
    assert f'.port = "{backend_port}";' in vcl
    vcl_path = tmp_path / "varnish.vcl"
    vcl_path.write_text(vcl)
    workdir = tmp_path / "varnish-work"
    workdir.mkdir()
    log_path = tmp_path / "varnishd.log"
    log = log_path.open("w")
    command = [varnishd, "-F", "-j", "none", "-n", str(workdir), "-a", f"127.0.0.1:{port}"]
    command += ["-f", str(vcl_path), "-s", "malloc,64m", "-T", "none"]
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base + "/healthz", server, log_path)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
