# gunicorn reads this file when started from the repository's top folder
# (README, "Production"). Its access log is off by default: the application
# already logs one JSON line per request with the same fields, the request id
# and the time taken (pacforum/requestlog.py), and a second line per request
# costs every request its formatting. GUNICORN_ACCESS_LOG turns it on: "-" for
# stdout, or a file. Tokens, query values and addresses are redacted
# (pacforum/gunicorn_logging.py).
import os

logger_class = "pacforum.gunicorn_logging.RedactingLogger"
_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "off")
accesslog = None if _access_log == "off" else _access_log
# Combined log format, plus the request id the application returns and the time taken.
access_log_format = (
    '%(h)s - - %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s %(M)sms'
)
