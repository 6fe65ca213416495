"""One canonical form for a subscriber's email address.

Two spellings of one mailbox must be one subscription request (one row, one
per-address rate limit), so every address is stored as: trimmed, Unicode NFC,
lower-case, the domain in IDNA 2008 ASCII form (`bücher.example` and
`BÜCHER.example` become `xn--bcher-kva.example`; full-width letters are mapped
by UTS #46). Quoted local parts (`"victim"@example.org`) and address literals
(`victim@[127.0.0.1]`) are refused: the first is another spelling of an
ordinary address, the second would make our mail server connect to any IP.
"""

import re
import unicodedata

import idna
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

INVALID = "Enter a valid email address."
MAX_LENGTH = 254
_DOT_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")


def canonical_email(value: str) -> str:
    """The stored form of `value`; raises ValidationError with a message a
    visitor can act on."""
    value = unicodedata.normalize("NFC", value.strip())
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise ValidationError(INVALID, code="invalid")
    if '"' in local or "\\" in local:
        raise ValidationError(
            "Enter the address without quotation marks or backslashes.", code="quoted"
        )
    if domain.startswith("[") or domain.endswith("]"):
        raise ValidationError(
            "Enter an address with a domain name, not an IP address.", code="address_literal"
        )
    try:
        domain = idna.encode(domain, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        raise ValidationError(INVALID, code="invalid") from None
    address = f"{local.lower()}@{domain}"
    if len(address) > MAX_LENGTH:
        raise ValidationError(INVALID, code="invalid")
    validate_email(address)
    return address


def canonical_stored_email(value: str) -> str | None:
    """The canonical form of an address stored before the rules above, or None
    when it has none (an address literal). A quoted local part that needs no
    quotes (`"victim"@example.org`) is unquoted, so it merges with its twin."""
    local, at, domain = value.strip().rpartition("@")
    if at and len(local) > 2 and local[0] == local[-1] == '"' and _DOT_ATOM.fullmatch(local[1:-1]):
        value = f"{local[1:-1]}@{domain}"
    try:
        return canonical_email(value)
    except ValidationError:
        return None
