"""The SMTP backend for direct sending: Django's, plus DKIM and an honest outcome.

Two things Django's backend cannot tell apart matter for "never twice":
whether a failed message certainly did not go (the connection broke before the
end of its data: safe to retry), or may have gone (the server had the whole
message, and its reply never came). This backend runs the SMTP transaction
step by step and raises `UncertainDelivery` for the second case.

With DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY_FILE set, every message
is signed with dkimpy before it leaves.
"""

import contextlib
import re
import smtplib
from functools import lru_cache
from pathlib import Path

import dkim
from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend
from django.core.mail.message import sanitize_address

SIGNED_HEADERS = [
    b"from",
    b"to",
    b"subject",
    b"date",
    b"message-id",
    b"list-id",
    b"list-unsubscribe",
    b"list-unsubscribe-post",
    b"mime-version",
    b"content-type",
]
_LEADING_DOT = re.compile(rb"(?m)^\.")


class UncertainDelivery(smtplib.SMTPException):
    """The server received the whole message but its answer was lost: it may
    have accepted it. Never retried automatically."""


@lru_cache(maxsize=4)
def _private_key(path: str) -> bytes:
    return Path(path).read_bytes()


def dkim_configured() -> bool:
    return bool(settings.DKIM_DOMAIN and settings.DKIM_SELECTOR and settings.DKIM_PRIVATE_KEY_FILE)


def dkim_sign(data: bytes) -> bytes:
    """The message with a DKIM-Signature header (relaxed/relaxed, rsa-sha256 or ed25519)."""
    signature = dkim.sign(
        data,
        settings.DKIM_SELECTOR.encode(),
        settings.DKIM_DOMAIN.encode(),
        _private_key(settings.DKIM_PRIVATE_KEY_FILE),
        canonicalize=(b"relaxed", b"relaxed"),
        include_headers=[h for h in SIGNED_HEADERS if h in data.lower()],
    )
    return signature + data


class SMTPBackend(EmailBackend):
    """Django's SMTP backend, with DKIM and step-by-step transactions.

    A message may carry `envelope_sender` (the VERP return path); it becomes
    the SMTP MAIL FROM while the From header stays the message's own.
    """

    def _send(self, email_message):
        if not email_message.recipients():
            return False
        encoding = email_message.encoding or settings.DEFAULT_CHARSET
        sender = getattr(email_message, "envelope_sender", None) or email_message.from_email
        from_email = sanitize_address(sender, encoding)
        recipients = [sanitize_address(addr, encoding) for addr in email_message.recipients()]
        data = email_message.message().as_bytes(linesep="\r\n")
        if dkim_configured():
            data = dkim_sign(data)
        try:
            self._transaction(from_email, recipients, data)
        except smtplib.SMTPException:
            if not self.fail_silently:
                raise
            return False
        return True

    def _transaction(self, from_email, recipients, data):
        connection = self.connection
        connection.ehlo_or_helo_if_needed()
        code, reply = connection.mail(from_email)
        if code != 250:
            self._reset()
            raise smtplib.SMTPSenderRefused(code, reply, from_email)
        refused = {}
        for recipient in recipients:
            code, reply = connection.rcpt(recipient)
            if code not in (250, 251):
                refused[recipient] = (code, reply)
        if len(refused) == len(recipients):
            self._reset()
            raise smtplib.SMTPRecipientsRefused(refused)
        connection.putcmd("data")
        code, reply = connection.getreply()
        if code != 354:
            self._reset()
            raise smtplib.SMTPDataError(code, reply)
        payload = _LEADING_DOT.sub(b"..", data)
        if not payload.endswith(b"\r\n"):
            payload += b"\r\n"
        # If sending raises, the final "." never left: the message cannot have
        # been accepted. Once it has left, only the server's reply tells.
        connection.send(payload + b".\r\n")
        try:
            code, reply = connection.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise UncertainDelivery(f"no reply after the message data: {error}") from error
        if code != 250:
            self._reset()
            raise smtplib.SMTPDataError(code, reply)
        if refused:
            raise smtplib.SMTPRecipientsRefused(refused)

    def _reset(self):
        with contextlib.suppress(smtplib.SMTPException, OSError):
            self.connection.rset()
