"""One delivery policy for every adapter: decode, handle with bounded retries, dead-letter.

* A record that does not decode is poison: straight to `dlq.<group>`.
* `PermanentError` (and payload validation errors raised by handlers): straight to the DLQ.
* Any other exception is retried with exponential backoff and jitter, up to
  `max_attempts`; then the record goes to the DLQ. The consumer always goes on.
* An outage of what the handler needs (`RetryPolicy.outage`: the store or the broker not
  answering) is waited out: retried without limit, the partition paused meanwhile, instead
  of dead-lettering every record consumed while it lasts.
* A dead letter that cannot be written (the broker down) is retried until it is: the
  record is not committed before its dead letter is stored.
* While a deliverer waits out either, `stalled` says why (readiness reports it).
* `BaseException`s that are not `Exception`s (cancellation, process exit) propagate: the
  record is then not committed and will be delivered again — at-least-once.

The dead letter keeps the original key, value and headers and adds `dlq.*` headers: error
type and message, original topic/partition/offset, group, attempts, time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from pydantic import ValidationError
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from lienthong.bus.port import Handler, PermanentError, dlq_topic
from lienthong.events import Event, MalformedEvent, RawMessage, decode
from lienthong.metrics import BUS_HANDLED, BUS_HANDLER_SECONDS
from lienthong.telemetry import continued_span

log = structlog.get_logger("lienthong.bus")

DeadLetterSink = Callable[[RawMessage], Awaitable[None]]


def no_outage(_error: BaseException) -> bool:
    return False


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5
    initial_backoff_s: float = 0.2
    max_backoff_s: float = 10.0
    # Which failures are an outage to wait out rather than the record's fault (the runtime
    # names the store's and the broker's connection errors).
    outage: Callable[[BaseException], bool] = no_outage
    outage_backoff_max_s: float = 5.0


def dead_letter(
    raw: RawMessage, group: str, error: BaseException, attempts: int, logical_topic: str
) -> RawMessage:
    """The record to write to `dlq.<group>` for `raw`."""
    extra = (
        ("dlq.error.type", type(error).__name__.encode()),
        ("dlq.error.message", str(error)[:2000].encode()),
        ("dlq.original.topic", logical_topic.encode()),
        ("dlq.original.partition", str(raw.partition).encode()),
        ("dlq.original.offset", str(raw.offset).encode()),
        ("dlq.group", group.encode()),
        ("dlq.attempts", str(attempts).encode()),
        ("dlq.failed_at", datetime.now(UTC).isoformat().encode()),
    )
    kept = tuple(h for h in raw.headers if not h[0].startswith("dlq."))
    return RawMessage(topic=dlq_topic(group), key=raw.key, value=raw.value, headers=kept + extra)


class Deliverer:
    """Applies the policy to one record for one consumer group."""

    def __init__(
        self,
        group: str,
        handler: Handler,
        policy: RetryPolicy,
        sink: DeadLetterSink,
        types: frozenset[str] | None = None,
    ):
        self.group = group
        self.handler = handler
        self.policy = policy
        self.sink = sink
        self._wanted = None if types is None else frozenset(t.encode() for t in types)
        self.stalled: str | None = None  # why records are not moving on, while they are not
        self._ok = BUS_HANDLED.labels(group=group, outcome="ok")
        self._skipped = BUS_HANDLED.labels(group=group, outcome="skipped")
        self._dead = BUS_HANDLED.labels(group=group, outcome="dead_letter")
        self._seconds = BUS_HANDLER_SECONDS.labels(group=group)

    async def deliver(self, raw: RawMessage, logical_topic: str) -> None:
        if self._wanted is not None and not self._wants(raw):
            self._skipped.inc()
            return
        try:
            event = decode(raw)
        except MalformedEvent as exc:
            await self._bury(raw, exc, 0, logical_topic)
            return
        started = time.perf_counter()
        with continued_span(f"{self.group} process {event.type}", event.traceparent):
            failure = await self._handle_with_retries(event)
        if failure is not None:
            error, attempts = failure
            await self._bury(raw, error, attempts, logical_topic, event)
            return
        self._ok.inc()
        self._seconds.observe(time.perf_counter() - started)

    def _wants(self, raw: RawMessage) -> bool:
        """From the `ce_type` header alone; a record without one is decoded (and, being
        malformed, dead-lettered)."""
        types = [value for name, value in raw.headers if name == "ce_type"]
        if len(types) != 1 or not isinstance(types[0], bytes):
            return True  # decoded, found malformed, dead-lettered
        return types[0] in self._wanted if self._wanted is not None else True

    async def _handle_with_retries(self, event: Event) -> tuple[BaseException, int] | None:
        """None when handled; else the last error and the number of attempts made."""
        try:  # the first attempt is outside tenacity: the common case stays cheap
            await self._handle(event, 1)
            return None
        except (PermanentError, ValidationError) as exc:
            return exc, 1
        except Exception as exc:  # logged in _handle; retried below
            first_error: BaseException = exc
        if self.policy.max_attempts <= 1:
            return first_error, 1
        attempts = 1
        await asyncio.sleep(self.policy.initial_backoff_s)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.policy.max_attempts - 1),
                wait=wait_exponential_jitter(
                    multiplier=self.policy.initial_backoff_s,
                    max=self.policy.max_backoff_s,
                    jitter=self.policy.initial_backoff_s,
                ),
                retry=retry_if_not_exception_type((PermanentError, ValidationError)),
                before_sleep=None,
            ):
                with attempt:
                    attempts += 1
                    await self._handle(event, attempts)
        except RetryError as exc:
            return exc.last_attempt.exception() or exc, attempts
        except (PermanentError, ValidationError) as exc:
            return exc, attempts
        return None

    async def _handle(self, event: Event, attempt: int) -> None:
        try:
            await self._through_outages(event)
        except Exception as exc:
            log.warning(
                "handler_failed",
                group=self.group,
                event_id=event.id,
                event_type=event.type,
                attempt=attempt,
                error=type(exc).__name__,
            )
            raise

    async def _through_outages(self, event: Event) -> None:
        """The handler, retried for as long as what it needs is out (`RetryPolicy.outage`)."""
        pause = self.policy.initial_backoff_s
        while True:
            try:
                await self.handler(event)
            except Exception as exc:
                if not self.policy.outage(exc):
                    raise
                self._stall(f"waiting for a dependency: {type(exc).__name__}")
                await asyncio.sleep(pause)
                pause = min(self.policy.outage_backoff_max_s, max(0.05, pause * 2))
                continue
            self._unstall()
            return

    def _stall(self, why: str) -> None:
        if self.stalled != why:
            log.warning("consumer_stalled", group=self.group, why=why)
        self.stalled = why

    def _unstall(self) -> None:
        if self.stalled is not None:
            log.info("consumer_resumed", group=self.group)
            self.stalled = None

    async def _store_dead_letter(self, letter: RawMessage) -> None:
        """Written whatever it takes: the record is committed only after its dead letter."""
        pause = self.policy.initial_backoff_s
        while True:
            try:
                await self.sink(letter)
            except Exception as exc:
                self._stall(f"dead-letter topic unwritable: {type(exc).__name__}")
                await asyncio.sleep(pause)
                pause = min(self.policy.outage_backoff_max_s, max(0.05, pause * 2))
                continue
            self._unstall()
            return

    async def _bury(
        self,
        raw: RawMessage,
        error: BaseException,
        attempts: int,
        logical_topic: str,
        event: Event | None = None,
    ) -> None:
        await self._store_dead_letter(dead_letter(raw, self.group, error, attempts, logical_topic))
        self._dead.inc()
        log.error(
            "dead_lettered",
            group=self.group,
            topic=logical_topic,
            partition=raw.partition,
            offset=raw.offset,
            event_id=event.id if event else None,
            error=type(error).__name__,
            attempts=attempts,
        )
