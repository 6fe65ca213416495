"""The environment variables docs/deployment.md promises are read by the settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def settings_under(**env):
    """Import pacforum.settings in a fresh interpreter under `env`."""
    code = (
        "import json, pacforum.settings as s; "
        "print(json.dumps({'storage': s.STORAGES['default'], 'cache': s.CACHES['default'], "
        "'conn_max_age': s.DATABASES['default']['CONN_MAX_AGE']}))"
    )
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "REDIS_", "CACHE_"))}
    base.update(DEBUG="true", **env)
    out = subprocess.run(  # noqa: S603
        [sys.executable, "-c", code], cwd=ROOT, env=base, capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_media_stay_on_the_local_disk_without_a_bucket():
    assert settings_under()["storage"]["BACKEND"].endswith("FileSystemStorage")


def test_a_bucket_puts_media_on_s3_compatible_storage():
    storage = settings_under(
        AWS_STORAGE_BUCKET_NAME="pacforum-media",
        AWS_S3_ENDPOINT_URL="https://s3.example.net",
        AWS_S3_REGION_NAME="eu-west-1",
        AWS_S3_CUSTOM_DOMAIN="media.example.org",
    )["storage"]
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "pacforum-media"
    assert storage["OPTIONS"]["endpoint_url"] == "https://s3.example.net"
    assert storage["OPTIONS"]["region_name"] == "eu-west-1"
    assert storage["OPTIONS"]["custom_domain"] == "media.example.org"


def test_redis_url_makes_redis_the_shared_cache():
    cache = settings_under(REDIS_URL="redis://cache.internal:6379/0")["cache"]
    assert cache["BACKEND"] == "pacforum.cache.FailSafeRedisCache"
    assert cache["LOCATION"] == "redis://cache.internal:6379/0"


def test_persistent_database_connections_come_from_conn_max_age():
    assert settings_under(CONN_MAX_AGE="60")["conn_max_age"] == 60
