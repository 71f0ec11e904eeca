"""Outages are waited out, not dead-lettered: the store or the broker not answering, and a
dead-letter topic that cannot be written. Meanwhile the consumer says why it is stalled."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pymongo.errors import AutoReconnect

from lienthong.bus import InMemoryBus, KafkaBus, PermanentError, RetryPolicy, Subscription
from lienthong.bus.delivery import Deliverer
from lienthong.bus.kafka_group import GroupMember
from lienthong.events import Event, RawMessage, encode, new_event
from lienthong.outages import is_outage
from tests.conftest import Infra
from tests.support import eventually_async as until

TOPIC = "dossier.events"
POLICY = RetryPolicy(
    max_attempts=3,
    initial_backoff_s=0.01,
    max_backoff_s=0.02,
    outage=is_outage,
    outage_backoff_max_s=0.05,
)


def received(subject: str) -> Event:
    at = "2026-03-02T09:00:00+07:00"
    fact = {"code": subject, "procedure": "1.001193", "procedure_version": "1"}
    fact |= {"receiving_unit": "R", "received_at": at, "appointment_at": at}
    return new_event("dossier.received", subject, fact, source="/tests")


async def test_a_store_outage_longer_than_every_retry_is_waited_out() -> None:
    """Ten refusals in a row (more than `max_attempts`): handled once the store is back,
    never dead-lettered, and the group reported stalled meanwhile."""
    bus = InMemoryBus(policy=POLICY)
    await bus.ensure_topics({TOPIC: 1})
    calls: list[str] = []
    back = asyncio.Event()

    async def handler(event: Event) -> None:
        calls.append(event.subject)
        if not back.is_set():
            raise AutoReconnect("connection refused")

    bus.subscribe(Subscription("projection", [TOPIC], handler))
    await bus.start()
    await bus.publish(TOPIC, received("D1"))

    async def stalled() -> bool:
        return len(calls) > 10 and bus.consumer_health()["projection"].startswith("failing:")

    await until(stalled, what="the consumer stalled on the outage")
    assert "AutoReconnect" in bus.consumer_health()["projection"]
    back.set()
    await bus.wait_idle()
    assert bus.consumer_health() == {"projection": "ok"}
    assert calls[-1] == "D1"
    assert "dlq.projection" not in bus._topics, "nothing was dead-lettered"
    await bus.stop()


async def test_a_dead_letter_that_cannot_be_written_is_retried_until_it_is() -> None:
    written: list[RawMessage] = []
    refusals = 4

    async def sink(letter: RawMessage) -> None:
        nonlocal refusals
        if refusals:
            refusals -= 1
            raise ConnectionError("broker down")
        written.append(letter)

    async def handler(_event: Event) -> None:
        raise PermanentError("not for us")

    deliverer = Deliverer("group-a", handler, POLICY, sink)
    seen_stalled: list[str | None] = []
    delivering = asyncio.create_task(deliverer.deliver(encode(received("D2"), TOPIC), TOPIC))
    while not delivering.done():
        seen_stalled.append(deliverer.stalled)
        await asyncio.sleep(0.005)
    await delivering
    assert len(written) == 1, "the dead letter is stored once the broker is back"
    assert written[0].topic == "dlq.group-a"
    assert any(why and "dead-letter topic unwritable" in why for why in seen_stalled)
    assert deliverer.stalled is None


def test_only_connection_failures_are_outages() -> None:
    assert is_outage(AutoReconnect("x"))
    assert not is_outage(ValueError("a bug"))
    assert not is_outage(PermanentError("the record's fault"))


@pytest.mark.kafka
async def test_a_crashed_kafka_consumer_is_started_again_from_its_last_commit(
    infra: Infra, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    crashes = 1
    drain = GroupMember._drain

    async def crashing(self: Any, records: Any) -> None:
        nonlocal crashes
        if crashes:
            crashes -= 1
            raise RuntimeError("a bug in the loop")
        await drain(self, records)

    monkeypatch.setattr(GroupMember, "_drain", crashing)
    bus = KafkaBus(infra.kafka_bootstrap, topic_prefix=f"{unique}.", policy=POLICY)
    await bus.ensure_topics({TOPIC: 1})
    handled: list[str] = []

    async def handler(event: Event) -> None:
        handled.append(event.subject)

    bus.subscribe(Subscription("projection", [TOPIC], handler))
    await bus.start()
    try:
        await bus.publish(TOPIC, received("D3"))
        health: list[str] = []

        async def crashed_then_handled() -> bool:
            health.append(bus.consumer_health()["projection"])
            return handled == ["D3"]

        await until(crashed_then_handled, timeout=60, what="D3 handled after the restart")
        assert any("consumer crashed: RuntimeError" in h for h in health), health
        assert bus.consumer_health() == {"projection": "ok"}
    finally:
        await bus.stop()
