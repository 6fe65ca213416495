# gunicorn reads this file when started from the repository's top folder
# (README, "Production"). The access log goes to stdout beside the
# application's JSON lines; GUNICORN_ACCESS_LOG names a file instead, or "off".
# Tokens, query values and addresses are redacted (pacforum/gunicorn_logging.py).
import os

logger_class = "pacforum.gunicorn_logging.RedactingLogger"
_access_log = os.environ.get("GUNICORN_ACCESS_LOG", "-")
accesslog = None if _access_log == "off" else _access_log
# Combined log format, plus the request id the application returns and the time taken.
access_log_format = (
    '%(h)s - - %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %({x-request-id}o)s %(M)sms'
)
