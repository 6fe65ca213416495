"""Test settings: the real settings with a throwaway key and fast hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-" + "x" * 60)

from pacforum.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SECURE_SSL_REDIRECT = False
MEDIA_ROOT = BASE_DIR / ".test-media"  # noqa: F405
SERVE_MEDIA = True

# Subscriptions: run queued tasks in-process (after commit) so tests see the emails.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
# django-axes needs a request in authenticate(), which the test client's
# login() does not pass; the lockout tests turn it back on.
AXES_ENABLED = False

# The suite runs on a per-process memory cache even when REDIS_URL is set:
# parallel workers would otherwise flush each other's Redis keys between tests.
# tests/test_redis_cache.py runs the page cache on the real Redis backend.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
