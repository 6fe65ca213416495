"""Settings for a real gunicorn that tests start (tests/servers.py): the test
settings, with the page cache on the Redis database the test gives it
(REDIS_URL, CACHE_KEY_PREFIX) and, when TEST_ROOT_URLCONF is set, extra
probe pages."""

import os

from tests.settings import *  # noqa: F403

if os.environ.get("REDIS_URL"):
    CACHES = {
        "default": {
            "BACKEND": "pacforum.cache.FailSafeRedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": os.environ.get("CACHE_KEY_PREFIX", "pacforum"),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
if os.environ.get("TEST_ROOT_URLCONF"):
    ROOT_URLCONF = os.environ["TEST_ROOT_URLCONF"]
