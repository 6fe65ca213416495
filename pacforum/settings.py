"""Settings for pacforum, read only from the environment.

Every variable is documented in `.env.example` and the README. Development
defaults are safe: without `DEBUG=true` the site refuses to start unless a real
`SECRET_KEY` is given, and it then turns on HTTPS-only cookies and HSTS.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

from pacforum.ckeditor import CKEDITOR_TOOLBAR

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name, default):
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)

_DEVELOPMENT_SECRET_KEY = "django-insecure-development-only-never-in-production"  # noqa: S105
# Without a key and without DEBUG the key stays empty: commands that never
# sign anything (makemigrations, check) still run, anything that signs fails
# with Django's "must not be empty", and the WSGI/ASGI entry points refuse to
# start (pacforum/startup.py), so a server never runs with a development key.
SECRET_KEY = env("SECRET_KEY") or (_DEVELOPMENT_SECRET_KEY if DEBUG else "")
if SECRET_KEY and not DEBUG and (SECRET_KEY.startswith("django-insecure") or len(SECRET_KEY) < 50):
    raise ImproperlyConfigured("SECRET_KEY must be at least 50 random characters in production.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "pacforum.admin_site.EditorsAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.sites",
    "django.contrib.redirects",
    "django.contrib.flatpages",
    "django.contrib.sitemaps",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "taggit",
    "django_ckeditor_5",
    "reversion",
    "pacforum",
    "pacforum.editing",
    "commentaries",
    "authors",
    "subscriptions",
    "archive",
    "bench",
    "django_tasks",
    "django_tasks_db",
    "anymail",
    # Security and reliability
    "csp",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "wordpress",
]

MIDDLEWARE = [
    "pacforum.requestlog.RequestLogMiddleware",
    # WordPress short links (/?p=68) are answered before the page cache, which
    # keys the home page without its query string.
    "wordpress.middleware.WordPressShortlinkMiddleware",
    # Cached public pages for visitors without a session, before everything
    # else: a hit is answered with the headers every middleware below gave the
    # page when it was built (pacforum/pagecache.py).
    "pacforum.pagecache.PublicPageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "pacforum.security.PermissionsPolicyMiddleware",
    "pacforum.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wordpress.middleware.RedirectFallbackMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
    "pacforum.health.DatabaseUnavailableMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pacforum.urls"
WSGI_APPLICATION = "pacforum.wsgi.application"
SITE_ID = 1

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "pacforum.context_processors.site",
                "pacforum.navigation.navigation",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# SQLite file by default, PostgreSQL (or anything dj-database-url reads) when
# DATABASE_URL is set.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("CONN_MAX_AGE", 0),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE write transactions serialise publishing (and its numbering) on
    # SQLite the way the series row lock does on PostgreSQL.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"transaction_mode": "IMMEDIATE", "timeout": 20}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A check (pacforum.W001, `check --deploy`) warns when the cache is not shared
# between processes; a single-process deployment may silence it here.
SILENCED_SYSTEM_CHECKS = env_list("SILENCED_SYSTEM_CHECKS")

if env_bool("CACHE_DISABLED", False):
    # Every cache read misses: for "cold" benchmarks and for debugging.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
elif env("REDIS_URL"):
    # A down or slow Redis makes every lookup a miss instead of an error (pacforum/cache.py).
    CACHES = {
        "default": {
            "BACKEND": "pacforum.cache.FailSafeRedisCache",
            "LOCATION": env("REDIS_URL"),
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "pacforum"),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Media on S3-compatible object storage (optional extra: pip install ".[s3]"),
# so several application servers share uploads (docs/deployment.md). Credentials
# come the way boto3 finds them (AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or a role).
if env("AWS_STORAGE_BUCKET_NAME"):
    STORAGES["default"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env("AWS_STORAGE_BUCKET_NAME"),
            "endpoint_url": env("AWS_S3_ENDPOINT_URL"),
            "region_name": env("AWS_S3_REGION_NAME"),
            "custom_domain": env("AWS_S3_CUSTOM_DOMAIN"),
            "querystring_auth": False,
            "file_overwrite": False,
        },
    }

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "subscriptions.mail.SMTPBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "PacForum <noreply@localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# Email services through django-anymail: EMAIL_BACKEND=anymail.backends.<service>.EmailBackend
# and every ANYMAIL_<NAME> variable becomes anymail's <NAME> setting (API keys,
# WEBHOOK_SECRET, <SERVICE>_WEBHOOK_SIGNING_KEY…). See the README.
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in os.environ.items()
    if name.startswith("ANYMAIL_") and value
}

SITE_NAME = env("SITE_NAME", "Pacific Forum")
# The site's public address, for links in emails the worker sends (it has no request).
SITE_URL = env("SITE_URL", "http://127.0.0.1:8000")

# Newsletter delivery (subscriptions/delivery.py; README "Newsletter delivery").
# Messages per second per worker (0: as fast as the server takes them).
NEWSLETTER_RATE = float(env("NEWSLETTER_RATE", "0"))
# VERP: with "bounces@news.example.org", each message's return path is
# bounces+<token>@news.example.org and `process_bounces` attributes reports by it.
# Leave empty with an email service (anymail), whose webhooks report bounces.
NEWSLETTER_BOUNCE_ADDRESS = env("NEWSLETTER_BOUNCE_ADDRESS", "")
NEWSLETTER_HARD_BOUNCE_LIMIT = env_int("NEWSLETTER_HARD_BOUNCE_LIMIT", 3)
# The Maildir that receives mail for NEWSLETTER_BOUNCE_ADDRESS (`process_bounces`).
NEWSLETTER_BOUNCE_MAILDIR = env("NEWSLETTER_BOUNCE_MAILDIR", "")
# A delivery still "sending" after this long belonged to a worker that died: it
# becomes "unknown" (never resent automatically).
NEWSLETTER_SENDING_LEASE = timedelta(seconds=env_int("NEWSLETTER_SENDING_LEASE_SECONDS", 600))
# Delivery rows older than this are deleted by `purge_deliveries` (about 13 months).
NEWSLETTER_RETENTION = timedelta(days=env_int("NEWSLETTER_RETENTION_DAYS", 396))
# Direct SMTP: DKIM signing with dkimpy when a domain, selector and key are given.
DKIM_DOMAIN = env("DKIM_DOMAIN", "")
DKIM_SELECTOR = env("DKIM_SELECTOR", "")
DKIM_PRIVATE_KEY_FILE = env("DKIM_PRIVATE_KEY_FILE", "")
# The go-live tick (commentaries/golive.py) runs this often in `db_worker`.
GO_LIVE_TICK_SECONDS = env_int("GO_LIVE_TICK_SECONDS", 60)

# Security. With DEBUG off, everything is HTTPS-only unless explicitly relaxed
# (for example behind a proxy that terminates TLS: set SECURE_PROXY_SSL_HEADER).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
if env_bool("SECURE_PROXY_SSL_HEADER", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Rich text: django-ckeditor-5. One toolbar for every rich-text field; the
# sanitiser's allowlist (pacforum/sanitizer.py) keeps exactly what it makes.
# Uploads go through the admin's own view (staff only, pacforum/uploads.py checks).
# Editing together (pacforum/editing): an open form's heartbeat and autosave
# interval, and how long a lock outlives its last heartbeat.
EDIT_PULSE_SECONDS = env_int("EDIT_PULSE_SECONDS", 30)
EDIT_LOCK_SECONDS = env_int("EDIT_LOCK_SECONDS", 90)

CKEDITOR_5_FILE_STORAGE = "django.core.files.storage.FileSystemStorage"
CKEDITOR_5_FILE_UPLOAD_PERMISSION = "staff"
CKEDITOR_5_UPLOAD_FILE_TYPES = ["jpeg", "jpg", "png", "gif", "webp"]
CK_EDITOR_5_UPLOAD_FILE_VIEW_NAME = "admin:editor_image_upload"
CKEDITOR_5_CONFIGS = {"default": CKEDITOR_TOOLBAR}

# Subscriptions: emails leave through a task queue (django-tasks backport, the
# database backend of django-tasks-db, worked by `manage.py db_worker`).
TASKS = {
    "default": {
        "BACKEND": env("TASKS_BACKEND", "django_tasks_db.DatabaseBackend"),
    }
}
# The page cache (pacforum/pagecache.py): a page lives this long unless what
# it shows changes (or a scheduled piece goes live first); once stale, it is
# served to other readers for at most PUBLIC_PAGE_STALE_SECONDS while one
# request rebuilds it (a rebuild slower than the lock lets another start).
# Without a shared cache (no REDIS_URL) an invalidation reaches only the process
# that made it: the others' copies must expire soon, hence 5 minutes there.
PUBLIC_PAGE_CACHE_SECONDS = env_int("PUBLIC_PAGE_CACHE_SECONDS", 86400 if env("REDIS_URL") else 300)
PUBLIC_PAGE_STALE_SECONDS = env_int("PUBLIC_PAGE_STALE_SECONDS", 60)
PUBLIC_PAGE_REBUILD_LOCK_SECONDS = env_int("PUBLIC_PAGE_REBUILD_LOCK_SECONDS", 30)
# An edge cache in front of the application nodes (pacforum/edge.py):
# "varnish" (purges go to every EDGE_VARNISH_URLS, ops/varnish.vcl) or
# "cloudflare" (purge by Cache-Tag through the API); empty for none.
EDGE_CACHE = env("EDGE_CACHE", "")
EDGE_VARNISH_URLS = env_list("EDGE_VARNISH_URLS")
EDGE_CLOUDFLARE_ZONE = env("EDGE_CLOUDFLARE_ZONE", "")
EDGE_CLOUDFLARE_TOKEN = env("EDGE_CLOUDFLARE_TOKEN", "")
# New page-cache entries one client (REMOTE_ADDR) may add per window:
# (entries, seconds). Past it, its pages are served but not stored.
PUBLIC_PAGE_CACHE_CLIENT_LIMIT = (
    env_int("PUBLIC_PAGE_CACHE_CLIENT_ENTRIES", 300),
    env_int("PUBLIC_PAGE_CACHE_CLIENT_SECONDS", 300),
)
# Subscription form submissions allowed per hour, per visitor IP and per email.
SUBSCRIPTIONS_RATE_LIMITS = {
    "ip": (env_int("SUBSCRIPTIONS_RATE_LIMIT_IP", 20), 3600),
    "email": (env_int("SUBSCRIPTIONS_RATE_LIMIT_EMAIL", 3), 3600),
}


# ---------------------------------------------------------------------------
# Security and reliability. Promises and their tests: docs/security.md.
# ---------------------------------------------------------------------------

# Public pages: no inline script without the request's nonce ({{ CSP_NONCE }}
# in templates, request.csp_nonce in views), no inline styles, nothing from
# other origins.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [NONE],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# The admin, where CKEditor 5 runs: CKEditor injects <style> elements
# and previews uploads as data:/blob: images. Scripts are still self/nonce only.
CSP_ADMIN_PATH_PREFIXES = ["/admin/"]
CSP_ADMIN_DIRECTIVES = {
    **CONTENT_SECURITY_POLICY["DIRECTIVES"],
    "style-src": [SELF, UNSAFE_INLINE],
    "img-src": [SELF, "data:", "blob:"],
}
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
    )
}

# Admin sign-in: django-axes locks a username+IP pair out after
# AXES_FAILURE_LIMIT failures for AXES_COOLOFF_MINUTES.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "security/lockout.html"
AXES_VERBOSE = False
# Behind a reverse proxy, name the header carrying the client address
# (e.g. HTTP_X_FORWARDED_FOR) or every reader shares the proxy's address.
if env("AXES_CLIENT_IP_HEADER"):
    AXES_IPWARE_META_PRECEDENCE_ORDER = [env("AXES_CLIENT_IP_HEADER"), "REMOTE_ADDR"]

# Only staff have accounts: sessions end after STAFF_SESSION_HOURS (8 by
# default) and when the browser closes.
LOGIN_URL = "admin:login"
LOGIN_REDIRECT_URL = "admin:index"
SESSION_COOKIE_AGE = env_int("STAFF_SESSION_HOURS", 8) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Optional two-factor sign-in for staff (django-otp TOTP). Give every staff
# user a TOTP device in the admin ("TOTP devices") before turning it on.
OTP_REQUIRED_FOR_STAFF = env_bool("OTP_REQUIRED_FOR_STAFF", False)
OTP_TOTP_ISSUER = SITE_NAME

# Upload limits used by pacforum/uploads.py (and Django's request parsing).
UPLOAD_MAX_IMAGE_BYTES = env_int("UPLOAD_MAX_IMAGE_BYTES", 5 * 1024 * 1024)
UPLOAD_MAX_PDF_BYTES = env_int("UPLOAD_MAX_PDF_BYTES", 20 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_PERMISSIONS = 0o644
# Serve MEDIA_ROOT from Django (with Content-Disposition and nosniff). On by
# default only in development; production lets the web server do it.
SERVE_MEDIA = env_bool("SERVE_MEDIA", DEBUG)

# Structured logs: one JSON object per line on stdout, with the request id;
# tokens, query values and addresses are redacted from every line
# (pacforum/redaction.py).
LOGGING_CONFIG = "pacforum.requestlog.configure_logging"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "pacforum.requestlog.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "pacforum.requestlog.JsonFormatter"},
        "plain": {
            "()": "pacforum.requestlog.PlainFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "filters": ["request_id"],
            "formatter": env("LOG_FORMAT", "plain" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # RequestLogMiddleware already logs every request once, with its status.
        "django.server": {"level": "WARNING"},
        # Replaces Django's own DEBUG-only console handler, which printed
        # every line a second time.
        "django": {"handlers": ["console"], "level": "INFO", "propagate": False},
    },
}
