"""Addresses and identifiers that tie a message back to its delivery row.

The token is the delivery's id and a keyed digest of it (SECRET_KEY): it
names no subscriber, and a forged or mangled one is rejected.
"""

import re
from email.utils import parseaddr

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "subscriptions.verp"
TOKEN_RE = re.compile(r"d(\d{1,18})-([0-9a-f]{12})")


def _digest(delivery_id: int) -> str:
    return salted_hmac(SALT, str(delivery_id)).hexdigest()[:12]


def token(delivery_id: int) -> str:
    return f"d{delivery_id}-{_digest(delivery_id)}"


def read_token(value: str) -> int | None:
    """The delivery id in a token (anywhere in `value`), or None if there is no valid one."""
    for match in TOKEN_RE.finditer(value or ""):
        delivery_id = int(match.group(1))
        if constant_time_compare(match.group(2), _digest(delivery_id)):
            return delivery_id
    return None


def _domain_of(address: str) -> str:
    return parseaddr(address)[1].rpartition("@")[2] or "localhost"


def message_domain() -> str:
    return _domain_of(settings.DEFAULT_FROM_EMAIL)


def return_path(delivery_id: int) -> str:
    """bounces+<token>@domain from NEWSLETTER_BOUNCE_ADDRESS = bounces@domain."""
    local, _, domain = settings.NEWSLETTER_BOUNCE_ADDRESS.rpartition("@")
    return f"{local}+{token(delivery_id)}@{domain}"


def delivery_from_address(address: str) -> int | None:
    """The delivery a VERP address (bounces+<token>@domain) names, if valid."""
    local = parseaddr(address)[1].rpartition("@")[0]
    _, plus, tag = local.partition("+")
    return read_token(tag) if plus else None


def list_id(series) -> str:
    return f"{series.name} <{series.slug}.{message_domain()}>"
