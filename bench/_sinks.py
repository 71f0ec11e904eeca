"""The citizens' side of notify, for runs that count messages: an SMTP server (aiosmtpd) and an
HTTP SMS gateway on loopback, in a process of their own (killing notify must not lose what was
received), writing one line per message received to a JSON-lines file: the channel, the
reference notify gave the message (the email's Message-ID, the SMS `client_ref`: both the
notification id, the same on every attempt) and when it arrived. Nothing personal is written
(no recipient, no text).

    python bench/_sinks.py --ready-file READY.json --record MESSAGES.jsonl   (SIGTERM stops it)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import threading
import time
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from _agencies import announce
from _infra import stable_port
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from fastapi import FastAPI, Header, HTTPException

from lienthong_agency_adapter.simulators.server import serving

SMS_TOKEN = "bench-sms-token"  # what notify presents to the gateway (its SMS_PROVIDERS)


class MessageLog:
    """Append-only, one JSON line per message, flushed at once (the file is read while the
    run goes on, and must hold everything received if this process is stopped hard)."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8")
        self._lock = threading.Lock()  # the SMTP server answers in a thread of its own

    def write(self, channel: str, reference: str) -> None:
        line = json.dumps({"channel": channel, "reference": reference, "at": time.time()})
        with self._lock:
            self._file.write(line + "\n")
            self._file.flush()


class MailSink:
    """aiosmtpd handler: every message is accepted and logged by its Message-ID."""

    def __init__(self, log: MessageLog) -> None:
        self.log = log

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        message_id = BytesHeaderParser().parsebytes(raw).get("Message-ID", "")
        self.log.write("email", message_id.strip().strip("<>").split("@", 1)[0])
        return "250 OK"


def sms_gateway(log: MessageLog) -> FastAPI:
    """The HTTP SMS gateway contract notify's `HttpSmsProvider` speaks."""
    app = FastAPI(title="bench SMS gateway")
    sent = 0

    @app.post("/send")
    async def send(
        body: dict[str, Any], authorization: str | None = Header(None)
    ) -> dict[str, str]:
        nonlocal sent
        if authorization != f"Bearer {SMS_TOKEN}":
            raise HTTPException(401)
        log.write("sms", str(body.get("client_ref", "")))
        sent += 1
        return {"id": f"sms-{sent}"}

    return app


async def serve(ready_file: Path, record: Path) -> None:
    log = MessageLog(record)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    smtp_port = stable_port()
    mail = Controller(MailSink(log), hostname="127.0.0.1", port=smtp_port)
    mail.start()
    try:
        async with serving(sms_gateway(log)) as url:
            announce(ready_file, {"smtp_port": str(smtp_port), "sms_url": f"{url}/send"})
            await stopping.wait()
    finally:
        mail.stop()


def notify_env(ready: dict[str, str]) -> dict[str, str]:
    """What tells notify to send through these sinks."""
    gateway = {"name": "bench-sink", "url": ready["sms_url"], "token": SMS_TOKEN}
    return {
        "LIENTHONG_NOTIFY_SMTP_HOST": "127.0.0.1",
        "LIENTHONG_NOTIFY_SMTP_PORT": ready["smtp_port"],
        "LIENTHONG_NOTIFY_SMS_PROVIDERS": json.dumps([gateway]),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument("--record", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(serve(args.ready_file, args.record))
