"""Checks a server process makes before it accepts a request."""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def require_secret_key():
    """Refuse to start a server without a SECRET_KEY. The settings leave it
    empty when it is unset and DEBUG is off, so that commands which sign
    nothing (makemigrations, check) still run; Django refuses an empty key
    when it is read."""
    try:
        settings.SECRET_KEY  # noqa: B018
    except ImproperlyConfigured as missing:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set SECRET_KEY to a long random value "
            "(or DEBUG=true for local development)."
        ) from missing
