"""Signed, expiring links for confirming and managing a subscription.

Nothing is stored: a token is the request's id and a keyed digest of its email
(plus, for confirmation, the series asked for and when), signed with SECRET_KEY.
Signing is not encryption, so the address itself never goes into a URL (and
from there into access logs). Changing the email or deleting the request makes
its old tokens worthless.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

CONFIRM_SALT = "subscriptions.confirm"
MANAGE_SALT = "subscriptions.manage"


def confirm_max_age():
    return getattr(settings, "SUBSCRIPTIONS_CONFIRM_LINK_MAX_AGE", timedelta(days=7))


def manage_max_age():
    return getattr(settings, "SUBSCRIPTIONS_MANAGE_LINK_MAX_AGE", timedelta(days=400))


def email_tag(email):
    return salted_hmac("subscriptions.email", email.lower()).hexdigest()[:20]


def belongs_to(link, subscription):
    """Whether a decoded link was issued for this request's current address."""
    return constant_time_compare(link.email_tag, email_tag(subscription.email))


class InvalidToken(Exception):
    """The link was tampered with or never issued by us."""


class ExpiredToken(InvalidToken):
    """The link was ours, but is too old."""


@dataclass(frozen=True)
class Confirmation:
    request_id: int
    email_tag: str
    series_ids: tuple[int, ...]
    issued_at: float


@dataclass(frozen=True)
class Membership:
    request_id: int
    email_tag: str


def _load(token, *, salt, max_age):
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired as error:
        raise ExpiredToken from error
    except (signing.BadSignature, ValueError, TypeError) as error:
        raise InvalidToken from error
    if not isinstance(data, dict):
        raise InvalidToken
    return data


def make_confirm_token(*, subscription, series_ids):
    return signing.dumps(
        {
            "r": subscription.pk,
            "e": email_tag(subscription.email),
            "s": sorted(series_ids),
            "t": timezone.now().timestamp(),
        },
        salt=CONFIRM_SALT,
        compress=True,
    )


def read_confirm_token(token):
    data = _load(token, salt=CONFIRM_SALT, max_age=confirm_max_age())
    try:
        return Confirmation(
            request_id=int(data["r"]),
            email_tag=str(data["e"]),
            series_ids=tuple(int(pk) for pk in data["s"]),
            issued_at=float(data["t"]),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidToken from error


def make_manage_token(*, subscription):
    return signing.dumps(
        {"r": subscription.pk, "e": email_tag(subscription.email)}, salt=MANAGE_SALT
    )


def read_manage_token(token):
    data = _load(token, salt=MANAGE_SALT, max_age=manage_max_age())
    try:
        return Membership(request_id=int(data["r"]), email_tag=str(data["e"]))
    except (KeyError, TypeError, ValueError) as error:
        raise InvalidToken from error
