"""The simulated agencies' systems as a process of their own (`--simulators process`).

By default the agency adapter runs the simulated systems inside its own process
(`LIENTHONG_ADAPTER_SIMULATORS=true`, each on a free port), so their CPU time is counted as
the adapter's. Here the very same systems (`EmbeddedSimulators`: behaviour, credentials,
result documents) are served by a process of their own, and the adapter is given the shipped
agencies file with every `{simulator:NAME}` endpoint pointing at them: the results then
separate the adapter's cost from the simulated agencies', as in production where the
agencies' systems are not ours.

The systems here call LiênThông back as a real agency's would: until their answer is taken
(`PatientTransport`, up to `CALLBACK_PATIENCE_S`), where the simulator alone gives up after five
tries within seconds — less than it takes to restart the adapter or the broker behind it.

With `--record FILE`, every call the systems get is written to FILE (JSON lines: system,
idempotency key, task id, dossier code, time, and the phase: `received` as soon as the request
is read, before the system acts on it, then `answered` with the HTTP status), so a run can
check what each agency saw, whatever happened to the adapter meanwhile (a caller killed before
the answer still leaves its `received` line).

    python bench/_agencies.py --delay 2.0 --ready-file URLS.json [--record CALLS.jsonl]
                                                                      (SIGTERM stops it)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import time
import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx

from lienthong_agency_adapter.config import DEFAULT_AGENCIES_FILE, load_agencies
from lienthong_agency_adapter.connectors.soap import local
from lienthong_agency_adapter.simulators.embedded import EmbeddedSimulators
from lienthong_agency_adapter.simulators.server import serving


def announce(ready_file: Path, urls: dict[str, str]) -> None:
    """System name → base URL, written in one go (the bench waits for the file)."""
    partial = ready_file.with_suffix(".partial")
    partial.write_text(json.dumps(urls))
    partial.rename(ready_file)


Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Asgi = Callable[[Message, Receive, Send], Awaitable[None]]
# Where each connector puts the task's id and dossier code: REST mapping, SOAP mapping, webhook.
TASK_FIELDS = ("ma_cong_viec", "MaCongViec", "task_id")
DOSSIER_FIELDS = ("ho_so", "MaHoSo", "dossier_code")


def _fields(body: bytes) -> dict[str, Any]:
    """The request's fields, flat: a JSON object (the webhook's `task` inside), or a SOAP
    envelope's elements by local name (the idempotency key is one of its header's)."""
    if body.lstrip().startswith(b"<"):
        root = ET.fromstring(body)  # noqa: S314 - our own adapter's envelope, no DTD
        return {local(e.tag): (e.text or "") for e in root.iter()}
    data = json.loads(body or b"{}")
    return {**data, **data.get("task", {})} if isinstance(data, dict) else {}


def recorded(app: Asgi, system: str, calls: Path) -> Asgi:
    """`app`, writing to `calls` a `received` line per HTTP call it gets (before handling it)
    and an `answered` line with the status when it answers."""
    file = calls.open("a", encoding="utf-8")

    def write(row: dict[str, Any]) -> None:
        file.write(json.dumps(row) + "\n")
        file.flush()

    async def middleware(scope: Message, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        chunks, more = [], True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        fields = _fields(body)
        row = {
            "system": system,
            "at": time.time(),
            "key": headers.get("idempotency-key") or fields.get("IdempotencyKey", ""),
            "task": next((str(fields[f]) for f in TASK_FIELDS if fields.get(f)), ""),
            "dossier": next((str(fields[f]) for f in DOSSIER_FIELDS if fields.get(f)), ""),
        }
        write({**row, "phase": "received"})
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def answer(message: Message) -> None:
            if message["type"] == "http.response.start":
                write({**row, "phase": "answered", "at": time.time(), "status": message["status"]})
            await send(message)

        await app(scope, replay, answer)

    return middleware


CALLBACK_PATIENCE_S = 600.0
CALLBACK_WAITS_S = (0.2, 5.0)  # first and longest pause between two tries


class PatientTransport(httpx.AsyncHTTPTransport):
    """Tries a callback again while LiênThông cannot take it (unreachable, 5xx, 409 "not
    yet"), pausing longer each time, until `CALLBACK_PATIENCE_S` has passed."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        give_up = time.monotonic() + CALLBACK_PATIENCE_S
        pause, longest = CALLBACK_WAITS_S
        while True:
            try:
                response = await super().handle_async_request(request)
            except httpx.TransportError:
                if time.monotonic() > give_up:
                    raise
            else:
                taken = response.status_code < 500 and response.status_code != 409
                if taken or time.monotonic() > give_up:
                    return response
                await response.aclose()
            await asyncio.sleep(pause)
            pause = min(longest, 2 * pause)


async def serve(delay_s: float, ready_file: Path, calls: Path | None = None) -> None:
    simulators = EmbeddedSimulators(answer_delay_s=delay_s)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    async with AsyncExitStack() as stack:
        systems = (
            simulators.civil_status,
            simulators.residence,
            simulators.social_insurance,
            simulators.departments,
        )
        for system in systems:
            stack.push_async_callback(system.close)
            # The client the simulator makes for its callbacks, made here with the transport.
            system._http = httpx.AsyncClient(timeout=10, transport=PatientTransport())
        urls = {}
        for name, app in simulators._apps().items():  # the shipped systems, as the adapter's
            served = recorded(app, name, calls) if calls is not None else app
            urls[name] = await stack.enter_async_context(serving(served, simulators.host, 0))
        announce(ready_file, urls)
        await stopping.wait()


def recorded_systems() -> dict[str, str | None]:
    """Agency code → the simulated system (as named in the calls file) its tasks go to, or
    None for a connector no simulated system serves (the pull inbox, the officers' manual
    inbox): the shipped agencies file, which `agencies_file` points at the simulators."""
    book = load_agencies(DEFAULT_AGENCIES_FILE)
    return {agency.code: agency.simulator for agency in book.agencies}


def agencies_file(urls: dict[str, str], path: Path) -> Path:
    """The shipped agencies file with each `{simulator:NAME}` replaced by NAME's URL."""
    text = DEFAULT_AGENCIES_FILE.read_text(encoding="utf-8")
    for name, url in urls.items():
        text = text.replace(f"{{simulator:{name}}}", url.rstrip("/"))
    path.write_text(text, encoding="utf-8")
    load_agencies(path).check_simulators(None)  # raises if an endpoint still names one
    return path


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--delay", type=float, default=2.0, help="officer's answer delay (s)")
    parser.add_argument("--ready-file", type=Path, required=True)
    parser.add_argument("--record", type=Path, help="write every call answered to this file")
    args = parser.parse_args()
    asyncio.run(serve(args.delay, args.ready_file, args.record))
