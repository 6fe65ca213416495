"""`manage.py check --deploy` warns when the cache is not shared between processes."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.test import override_settings

from pacforum.checks import shared_cache

ROOT = Path(__file__).resolve().parents[2]


def cache(backend):
    return {"default": {"BACKEND": backend}}


def test_a_per_process_cache_is_a_deploy_warning():
    with override_settings(CACHES=cache("django.core.cache.backends.locmem.LocMemCache")):
        (warning,) = shared_cache()
    assert warning.id == "pacforum.W001"
    assert "each process" in warning.msg
    assert "REDIS_URL" in warning.hint


def test_a_disabled_cache_is_a_deploy_warning_too():
    with override_settings(CACHES=cache("django.core.cache.backends.dummy.DummyCache")):
        (warning,) = shared_cache()
    assert "off (CACHE_DISABLED)" in warning.msg


def test_the_shared_redis_cache_passes():
    with override_settings(CACHES=cache("pacforum.cache.FailSafeRedisCache")):
        assert shared_cache() == []


def run_deploy_check(**env):
    skip = ("REDIS_", "CACHE_", "DJANGO_")
    base = {k: v for k, v in os.environ.items() if not k.startswith(skip)}
    base.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(60),
        ALLOWED_HOSTS="pacforum.example.org",
        **env,
    )
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=base,
        capture_output=True,
        text=True,
    )


def test_check_deploy_fails_without_redis_and_passes_with_it_or_when_silenced():
    without = run_deploy_check()
    assert without.returncode != 0
    assert "pacforum.W001" in without.stderr + without.stdout
    assert run_deploy_check(REDIS_URL="redis://127.0.0.1:6379/15").returncode == 0
    assert run_deploy_check(SILENCED_SYSTEM_CHECKS="pacforum.W001").returncode == 0
