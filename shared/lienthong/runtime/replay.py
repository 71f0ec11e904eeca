"""Rebuild a service's read models by replaying the topics it consumes.

Projections are disposable: drop them, read every record of the consumed topics from the
beginning (a fresh consumer group, so the live group's offsets are untouched) and hand each
event to the service's handlers again. Handlers are idempotent, so a replay that is stopped
and started again converges to the same state.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

import structlog

from lienthong.bus import Bus
from lienthong.events import MalformedEvent, RawMessage, decode
from lienthong.runtime.service import ServiceSpec
from lienthong.store import Store

log = structlog.get_logger("lienthong.replay")


async def replay_service(
    spec: ServiceSpec,
    bus: Bus,
    store: Store,
    on_total: Callable[[int], None] | None = None,
    on_record: Callable[[], None] | None = None,
) -> int:
    """Drop `spec.projections` and rebuild them; returns the number of events replayed."""
    for name in spec.projections:
        await store.collection(name).drop()
    for hook in spec.setup:  # indexes of the dropped collections
        await hook()
    totals: list[int] = []
    replayed = 0

    def add_total(count: int) -> None:
        totals.append(count)
        if on_total is not None:
            on_total(sum(totals))

    async def handle(record: RawMessage) -> None:
        nonlocal replayed
        try:
            event = decode(record)
        except MalformedEvent:
            log.warning("replay_skipped_malformed", topic=record.topic, offset=record.offset)
        else:
            await spec.dispatch(event)
            replayed += 1
        if on_record is not None:
            on_record()

    run = uuid.uuid4().hex[:8]
    for topic in spec.consumes:
        await bus.consume_available(topic, f"replay.{spec.name}.{run}", handle, add_total)
    log.info("replay_done", service=spec.name, events=replayed)
    return replayed
