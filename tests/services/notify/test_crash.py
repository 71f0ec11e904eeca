"""Killing notify (SIGKILL) while it sends 200 messages, then restarting it: every message
arrives; the only repeats are of sends in flight at the kill, with the same Message-ID /
client reference, so the receiving side can drop them."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from lienthong.bus import KafkaBus
from lienthong.events import Event
from lienthong.schemas.dossier import Applicant, DossierReceived, DossierSubmitted
from lienthong.store import MongoStore
from lienthong.topics import DOSSIER_EVENTS
from lienthong_notify.notifier import notification_id
from tests.conftest import ROOT, Infra
from tests.services.notify.doubles import GatewayDouble, MailRecorder, sms_gateway, smtp_server
from tests.support import free_port

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

DOSSIERS = 200
CONCURRENCY = 4
SOCKET_DRAIN_S = 1.0


def dossier_events(i: int) -> tuple[list[Event], str, str]:
    """Submitted + received for dossier i; even ones prefer email, odd ones SMS."""
    dossier_id, channel = str(uuid.uuid4()), ("email" if i % 2 == 0 else "sms")
    applicant = Applicant(
        full_name="Lê Văn Cường",
        id_number="079200001234",
        phone=f"0912{i:06d}",
        email=f"c{i}@example.vn",
        ward_code="26743",
        contact_channel=channel,
    )
    submitted = DossierSubmitted(
        procedure="1.001193", channel="online", ward_code="26743", applicant=applicant
    )
    received = DossierReceived(
        code=f"000.00.01.H29-260310-{i:04d}",
        procedure="1.001193",
        procedure_version="1",
        receiving_unit="TTHCC-26743",
        received_at=datetime(2026, 3, 10, 3, 0, tzinfo=UTC),
        appointment_at=datetime(2026, 3, 12, 8, 30, tzinfo=UTC),
    )
    events = [
        submitted.to_event(dossier_id, source="/tests"),
        received.to_event(dossier_id, source="/tests"),
    ]
    return events, notification_id(events[1].id, channel), channel


def start_notify(
    infra: Infra, unique: str, mail_port: int, gateway: GatewayDouble, log: Path
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    providers = [
        {"name": n, "url": gateway.url(n), "token": f"token-{n}"} for n in ("alpha", "beta")
    ]
    env |= {
        "LIENTHONG_TOPIC_PREFIX": f"{unique}.",
        "LIENTHONG_DATABASE_PREFIX": unique,
        "LIENTHONG_NOTIFY_SMTP_HOST": "127.0.0.1",
        "LIENTHONG_NOTIFY_SMTP_PORT": str(mail_port),
        "LIENTHONG_NOTIFY_SMS_PROVIDERS": json.dumps(providers),
        "LIENTHONG_NOTIFY_SEND_LEASE_S": "3",
        "LIENTHONG_NOTIFY_DISPATCH_INTERVAL_S": "0.2",
        "LIENTHONG_NOTIFY_DISPATCH_CONCURRENCY": str(CONCURRENCY),
        "LIENTHONG_NOTIFY_QUIET_HOURS_START": "00:00",  # no quiet hours: the test runs any time
        "LIENTHONG_NOTIFY_QUIET_HOURS_END": "00:00",
    }
    command = [sys.executable, "-m", "lienthong.cli.main", "run", "notify"]
    flags = ["--kafka", infra.kafka_bootstrap, "--mongo", infra.mongo_url]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*command, *flags, "--port", str(free_port())],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def references(mail: MailRecorder, gateway: GatewayDouble) -> list[tuple[str, float]]:
    """(reference, arrival) of everything received, both channels."""
    mails = [
        (str(m["Message-ID"]).strip("<>").split("@")[0], t)
        for m, t in zip(mail.messages, mail.arrivals, strict=True)
    ]
    texts = [
        (b["client_ref"], t) for (_, b), t in zip(gateway.received, gateway.arrivals, strict=True)
    ]
    return mails + texts


async def wait_for(predicate: object, timeout: float, what: str) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def feed(infra: Infra, unique: str, events: list[Event]) -> None:
    """Publish what intake would have published."""
    bus = KafkaBus(infra.kafka_bootstrap, client_id=f"{unique}-feeder", topic_prefix=f"{unique}.")
    await bus.ensure_topics({DOSSIER_EVENTS: 12})
    await bus.start()
    await bus.publish(DOSSIER_EVENTS, *events)
    await bus.stop()


async def kill_midway_and_restart(
    start: Callable[[], subprocess.Popen[bytes]],
    mail: MailRecorder,
    gateway: GatewayDouble,
    expected: set[str],
) -> tuple[float, int]:
    """SIGKILL notify after 50 sends, start it again, wait for everything; returns the moment
    of the kill and how many sends had arrived by then."""
    first = start()
    try:
        await wait_for(lambda: len(references(mail, gateway)) >= 50, 90, "50 sends")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        killed_at, before_kill = time.monotonic(), len(references(mail, gateway))
        second = start()
        try:
            await wait_for(
                lambda: {r for r, _ in references(mail, gateway)} >= expected,
                120,
                "every message after the restart",
            )
            await asyncio.sleep(1)  # let any straggling repeat show itself
        finally:
            second.send_signal(signal.SIGTERM)
            second.wait(30)
    finally:
        if first.poll() is None:
            first.kill()
    return killed_at, before_kill


async def test_a_killed_notify_restarts_and_sends_everything_once(
    infra: Infra, unique: str, tmp_path: Path
) -> None:
    made = [dossier_events(i) for i in range(DOSSIERS)]
    expected = {reference for _, reference, _ in made}
    await feed(infra, unique, [event for events, _, _ in made for event in events])
    with smtp_server() as (mail, mail_port):
        async with sms_gateway() as gateway:
            mail.delay_s = gateway.delay_s = 0.05  # slow enough to be killed mid-stream
            killed_at, before_kill = await kill_midway_and_restart(
                lambda: start_notify(infra, unique, mail_port, gateway, tmp_path / "notify.log"),
                mail,
                gateway,
                expected,
            )
            received = references(mail, gateway)
    store = MongoStore.connect(infra.mongo_url, f"{unique}_notify")
    await store.drop_database()
    await store.close()

    counts = Counter(reference for reference, _ in received)
    assert set(counts) == expected
    assert before_kill < DOSSIERS, "the kill came after everything was sent: nothing tested"
    repeated = {r for r, n in counts.items() if n > 1}
    assert all(counts[r] == 2 for r in repeated)
    # A repeat is a send that reached the provider before the kill but was not yet recorded:
    # at most one per concurrent send, and its first arrival is at the kill. "At": the killed
    # process's last bytes sit in the socket until the doubles (threads of this process) read
    # them, which under load can be a moment after the kill; the restarted notify cannot send
    # an in-flight message again before its lease (3 s) has run out.
    assert len(repeated) <= CONCURRENCY
    first_arrivals = {r: min(t for ref, t in received if ref == r) for r in repeated}
    assert all(t <= killed_at + SOCKET_DRAIN_S for t in first_arrivals.values()), (
        first_arrivals,
        killed_at,
    )
