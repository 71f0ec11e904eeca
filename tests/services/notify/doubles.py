"""Test doubles that are real servers on loopback: an SMTP server (aiosmtpd) and an HTTP SMS
gateway (FastAPI on uvicorn). Both record what they receive, in arrival order."""

from __future__ import annotations

import asyncio
import email
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from typing import Any

import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI, Header, HTTPException

from tests.support import free_port


class MailRecorder:
    """aiosmtpd handler: every message received, parsed."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.arrivals: list[float] = []
        self.delay_s = 0.0
        self.refuse: set[str] = set()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        arrived = time.monotonic()  # the whole message is here; the delay is the server's
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        raw = envelope.content
        assert isinstance(raw, bytes)
        self.messages.append(email.message_from_bytes(raw, policy=default))
        self.arrivals.append(arrived)
        return "250 OK"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@contextmanager
def smtp_server() -> Iterator[tuple[MailRecorder, int]]:
    recorder = MailRecorder()
    port = free_port()
    controller = Controller(recorder, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


@dataclass
class GatewayDouble:
    """SMS gateways `/<name>/send`; `answers[name]` is the HTTP status each one gives."""

    port: int
    answers: dict[str, int] = field(default_factory=dict)
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    arrivals: list[float] = field(default_factory=list)
    delay_s: float = 0.0

    def url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/{name}/send"

    def to(self, phone: str) -> list[tuple[str, dict[str, Any]]]:
        return [(name, body) for name, body in self.received if body["to"] == phone]

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{name}/send")
        async def send(
            name: str, body: dict[str, Any], authorization: str | None = Header(None)
        ) -> dict[str, str]:
            if authorization != f"Bearer token-{name}":
                raise HTTPException(401)
            arrived = time.monotonic()  # the request is here; the delay is the gateway's
            if self.delay_s:
                await asyncio.sleep(self.delay_s)
            status = self.answers.get(name, 200)
            if status != 200:
                raise HTTPException(status)
            self.received.append((name, body))
            self.arrivals.append(arrived)
            return {"id": f"{name}-{len(self.received)}"}

        return app


@asynccontextmanager
async def sms_gateway() -> AsyncIterator[GatewayDouble]:
    double = GatewayDouble(port=free_port())
    config = uvicorn.Config(
        double.app(), host="127.0.0.1", port=double.port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.02)
    try:
        yield double
    finally:
        server.should_exit = True
        await task
