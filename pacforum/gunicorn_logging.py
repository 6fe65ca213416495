"""gunicorn's logger with the site's redaction (pacforum/redaction.py): the
access log's request line, path, query string, Referer and every other field,
and the error log's messages, carry no token, query value or address.

Used by `gunicorn.conf.py` at the top of the repository, which gunicorn reads
when started from there (README, "Production")."""

import logging

from gunicorn.glogging import Logger

from .redaction import redact, redact_query


class _RedactFilter(logging.Filter):
    def filter(self, record):
        record.msg, record.args = redact(record.getMessage()), ()
        return True


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for handler in self.error_log.handlers:
            handler.addFilter(_RedactFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if isinstance(value, str):
                atoms[key] = redact_query(value) if key == "q" else redact(value)
        return atoms
