"""Without SECRET_KEY (and DEBUG off) a server refuses to start, while commands
that sign nothing still run."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(args, **env):
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG"} and "DJANGO" not in k
    }
    base.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True
    )


def test_a_server_without_a_secret_key_refuses_to_start():
    for entry in ("pacforum.wsgi", "pacforum.asgi"):
        result = run(["-c", f"import {entry}"])
        assert result.returncode != 0
        assert "SECRET_KEY is not set" in result.stderr


def test_a_server_with_a_secret_key_starts():
    result = run(["-c", "import pacforum.wsgi"], SECRET_KEY=secrets.token_urlsafe(60))
    assert result.returncode == 0, result.stderr


def test_makemigrations_check_runs_without_a_secret_key():
    result = run(["manage.py", "makemigrations", "--check", "--dry-run"])
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def test_a_weak_secret_key_is_refused_in_production():
    result = run(["manage.py", "check"], SECRET_KEY="short")
    assert result.returncode != 0
    assert "at least 50 random characters" in result.stderr
