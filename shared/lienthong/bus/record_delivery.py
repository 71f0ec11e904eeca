"""Delivery for consumer groups that take records as they are (`Subscription.records`).

Such a group (the notary) must see every record of its topics, in log order per partition:
a record it passed over would be a hole in what it keeps, which no later replay could fill
in its place. So nothing is decoded, filtered or dead-lettered. A record whose handler fails
is tried again, with backoff up to `RetryPolicy.max_backoff_s`, until it is handled; its
partition waits meanwhile and `stalled` says why (readiness reports it): an operator sees a
group that is stuck, where a dead letter would have left a gap that nobody sees.
Cancellation and process exit propagate: the record is not committed and comes again.
"""

from __future__ import annotations

import asyncio
import time

import structlog

from lienthong.bus.delivery import DeadLetterSink, Deliverer, RetryPolicy
from lienthong.bus.port import RecordHandler, Subscription
from lienthong.events import RawMessage
from lienthong.metrics import BUS_HANDLED, BUS_HANDLER_SECONDS

log = structlog.get_logger("lienthong.bus")


class RecordDeliverer:
    """Hands each record to one group's record handler until it is handled."""

    def __init__(self, group: str, handler: RecordHandler, policy: RetryPolicy) -> None:
        self.group = group
        self.handler = handler
        self.policy = policy
        self.stalled: str | None = None
        self._ok = BUS_HANDLED.labels(group=group, outcome="ok")
        self._seconds = BUS_HANDLER_SECONDS.labels(group=group)

    async def deliver(self, raw: RawMessage, logical_topic: str) -> None:
        started = time.perf_counter()
        pause, attempt = self.policy.initial_backoff_s, 0
        while True:
            attempt += 1
            try:
                await self.handler(raw)
            except Exception as exc:
                kind = "waiting for a dependency" if self.policy.outage(exc) else "record failing"
                self._stall(f"{kind}: {type(exc).__name__}")
                log.warning(
                    "record_handler_failed",
                    group=self.group,
                    topic=logical_topic,
                    partition=raw.partition,
                    offset=raw.offset,
                    attempt=attempt,
                    error=type(exc).__name__,
                )
                await asyncio.sleep(pause)
                pause = min(self.policy.max_backoff_s, max(0.05, pause * 2))
                continue
            break
        if self.stalled is not None:
            log.info("consumer_resumed", group=self.group)
            self.stalled = None
        self._ok.inc()
        self._seconds.observe(time.perf_counter() - started)

    def _stall(self, why: str) -> None:
        if self.stalled != why:
            log.warning("consumer_stalled", group=self.group, why=why)
        self.stalled = why


def deliverer_for(
    subscription: Subscription, policy: RetryPolicy, sink: DeadLetterSink
) -> Deliverer | RecordDeliverer:
    """The delivery a subscription asks for: decoded events with the dead-letter policy, or
    records as they are."""
    if subscription.records is not None:
        return RecordDeliverer(subscription.group, subscription.records, policy)
    assert subscription.handler is not None  # Subscription checks that one of them is given
    return Deliverer(subscription.group, subscription.handler, policy, sink, subscription.types)
