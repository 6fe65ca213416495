"""Structured request logging: one JSON line per request on stdout.

Every log record made while a request is handled carries its request id
(taken from a well-formed `X-Request-ID` header set by the proxy, or made
here) and the id is echoed in the response, so a reader's error report can be
matched with the server's log. Query strings, cookies, headers and form data
are never logged: they may hold tokens or personal data. Every record is made
through a factory that redacts its message, and every formatted line is
redacted again (tokens in paths, signed values, query values, addresses; see
`pacforum.redaction`), whoever logged it.
"""

import contextvars
import json
import logging
import logging.config
import re
import time
import uuid

from .redaction import redact

request_id_var = contextvars.ContextVar("request_id", default="-")
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_STANDARD_ATTRS = set(vars(logging.LogRecord("", logging.INFO, "", 0, "", (), None)).keys()) | {
    "message",
    "asctime",
    "request_id",
    "request",
}

logger = logging.getLogger("pacforum.request")


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.request_id = request_id_var.get()
        return True


_traceback_formatter = logging.Formatter()


def _redacting_record_factory(base):
    def make_record(*args, **kwargs):
        record = base(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed call is the logging module's to report
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text: the traceback (an exception's message
            # may quote a path) is written redacted by every handler.
            record.exc_text = redact(_traceback_formatter.formatException(record.exc_info))
        return record

    make_record.redacting = True
    return make_record


def configure_logging(logging_settings):
    """LOGGING_CONFIG: install the redacting record factory, then dictConfig."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "redacting", False):
        logging.setLogRecordFactory(_redacting_record_factory(factory))
    if logging_settings:
        logging.config.dictConfig(logging_settings)


class PlainFormatter(logging.Formatter):
    """Human-readable lines (LOG_FORMAT=plain), redacted."""

    def format(self, record):
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line; extra= fields become keys; redacted."""

    def format(self, record):
        return redact(self._format(record))

    def _format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id_var.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value if isinstance(value, (str, int, float, bool)) else str(value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RequestLogMiddleware:
    """Outermost middleware: one line per request, with what an access log
    holds (client address, method, path, status, size, Referer, User-Agent)
    and the request id and timing. gunicorn's own access log is off by
    default (`gunicorn.conf.py`): this line replaces it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # Not reset on the way out: Django logs 4xx/5xx responses ("Not Found: …")
        # after the middleware chain returns, and that line should carry the id too.
        request_id_var.set(request_id)
        request.request_id = request_id
        started = time.perf_counter()
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        if logger.isEnabledFor(logging.INFO):
            self._log(request, response, started)
        return response

    def _log(self, request, response, started):
        path = redact(request.path)
        fields = {
            "event": "request",
            "client": request.META.get("REMOTE_ADDR", ""),
            "method": request.method,
            "path": path,
            "status": response.status_code,
            "referer": redact(request.headers.get("Referer", "")),
            "user_agent": request.headers.get("User-Agent", ""),
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
        }
        if not response.streaming:
            fields["bytes"] = len(response.content)
        logger.info("%s %s %s", request.method, path, response.status_code, extra=fields)
