"""Health checks and graceful failure when the database goes away.

`/healthz` answers while the process can serve at all; `/readyz` also checks
the database and the cache, so a load balancer stops sending traffic to an
instance that cannot build pages. Neither is cached, and neither needs a
session or a user.

When the database is unreachable, a reader gets a short 503 page that says so
(with `Retry-After`) instead of a stack trace; nothing is kept broken, so the
first request after the database returns is served normally.
"""

import contextlib
import logging
import sys
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, InterfaceError, OperationalError, connections
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.views.decorators.cache import never_cache
from django.views.defaults import server_error

from pacforum.cache import cache_is_off
from pacforum.worker import worker_status

logger = logging.getLogger("pacforum.health")

DATABASE_DOWN_ERRORS = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


@never_cache
def healthz(request):
    return JsonResponse({"status": "ok"})


def _check_database():
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as error:
        return type(error).__name__
    return None


def _check_cache():
    if cache_is_off():  # CACHE_DISABLED: nothing to reach
        return None
    key = f"readyz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "ok", timeout=10)
        seen = cache.get(key)
        cache.delete(key)
    except Exception as error:  # any backend, any failure: not ready
        return type(error).__name__
    return None if seen == "ok" else "cache did not keep a value"


@never_cache
def readyz(request):
    problems = {}
    if database_error := _check_database():
        problems["database"] = database_error
    if cache_error := _check_cache():
        problems["cache"] = cache_error
    if problems:
        logger.warning("not ready", extra={"event": "not_ready", **problems})
        return JsonResponse({"status": "unavailable", "problems": problems}, status=503)
    body = {"status": "ok", "checks": ["database", "cache"]}
    # A dead background worker is reported, but does not take this web process
    # out of the load balancer: it can still serve every page.
    worker = worker_status()
    if worker is not None:
        body["worker"] = {"ok": not worker["problems"], "problems": worker["problems"]}
    return JsonResponse(body)


def service_unavailable_response(request):
    """The friendly 503 page. It is rendered without context processors or
    the base template, because those may need the database that is down."""
    try:
        body = loader.render_to_string(
            "503.html", {"site_name": settings.SITE_NAME, "retry_after": RETRY_AFTER_SECONDS}
        )
    except Exception:  # the page of last resort must not fail
        body = "<!DOCTYPE html><title>Temporarily unavailable</title><p>Please try again soon."
    response = HttpResponse(body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def _close_broken_connections():
    # A fresh connection is opened by the next request. Connections inside a
    # transaction (a test's, or ATOMIC_REQUESTS) are left to their owner.
    for connection in connections.all(initialized_only=True):
        if connection.in_atomic_block:
            continue
        with contextlib.suppress(DatabaseError):
            connection.close()


class DatabaseUnavailableMiddleware:
    """Turns "cannot reach the database" raised by a view into the 503 page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DATABASE_DOWN_ERRORS):
            logger.error(
                "database unavailable",
                extra={"event": "database_unavailable", "error": type(exception).__name__},
            )
            _close_broken_connections()
            return service_unavailable_response(request)
        return None


def handler500(request):
    """Database outages raised outside views (in middleware) also get the 503 page."""
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_DOWN_ERRORS):
        _close_broken_connections()
        return service_unavailable_response(request)
    return server_error(request)
