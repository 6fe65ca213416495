"""A real SMTP server for the tests: aiosmtpd on a free port, with scripted faults.

It keeps what it accepted (envelope and bytes) in memory, writes nothing to
disk, and can answer 451 or 550, drop the connection, or hold a message's DATA
phase open until the test lets it go.
"""

import asyncio
import email
import email.policy
import logging
import socket
import threading
import time
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

# aiosmtpd logs every command, addresses included, at INFO.
logging.getLogger("mail.log").setLevel(logging.WARNING)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list
    data: bytes

    @property
    def message(self):
        return email.message_from_bytes(self.data, policy=email.policy.default)


@dataclass
class Script:
    """What the server does; every field may be changed while it runs."""

    refuse: dict = field(default_factory=dict)  # address -> "550 ..." at RCPT
    data_replies: list = field(default_factory=list)  # replies to the next DATA phases
    drop_at_rcpt: set = field(default_factory=set)  # RCPT numbers (1-based) that drop
    drop_after_data: set = field(default_factory=set)  # DATA numbers that drop, no reply
    hold_data: set = field(default_factory=set)  # DATA numbers held open until release


class Handler:
    def __init__(self, script: Script, keep: bool = True):
        self.script = script
        self.keep = keep
        self.received: list[Received] = []
        self.count = 0
        self.rcpts = 0
        self.datas = 0
        self.holding = threading.Event()
        self.release = threading.Event()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            self.rcpts += 1
            number = self.rcpts
        if number in self.script.drop_at_rcpt:
            server.transport.close()
            return "421 4.4.2 closing connection"
        if address in self.script.refuse:
            return self.script.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.datas += 1
            number = self.datas
        if self.script.data_replies:
            return self.script.data_replies.pop(0)
        if number in self.script.hold_data:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        with self.lock:
            self.count += 1
            if self.keep:
                self.received.append(
                    Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content)
                )
            else:
                self.received.append(Received("", list(envelope.rcpt_tos), b""))
        if number in self.script.drop_after_data:
            server.transport.close()
            return "421 gone"
        return "250 2.0.0 accepted"

    def recipients(self) -> list[str]:
        with self.lock:
            return [address for item in self.received for address in item.rcpt_tos]


class SMTPServer:
    def __init__(self, keep: bool = True):
        self.script = Script()
        self.handler = Handler(self.script, keep=keep)
        self.port = free_port()
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10
        )

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.handler.release.set()
        self.controller.stop()

    @property
    def received(self):
        return self.handler.received

    def wait_for(self, predicate, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False
