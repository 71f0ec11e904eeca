"""One delivery policy for every adapter: decode, handle with bounded retries, dead-letter.

* A record of a type no handler of the group wants is passed over (counted as `skipped`),
  whether it is another service's business or a type this consumer does not know yet: services
  are deployed one at a time and the vocabulary is extended, not repurposed (DESIGN §2), so a
  newer publisher's new type must not fill every older consumer's dead-letter topic.
* A record larger than `MAX_RECORD_BYTES`, one that does not decode, one whose key is not its
  event's subject (none at all: Kafka orders a stream by its key), or one whose payload does
  not match its registered schema (a known field of the wrong type, a required one missing)
  is poison: straight to `dlq.<group>`, before any handler sees it, so no read model stores
  what its type does not allow. What a newer publisher may have extended is not: fields it
  added are ignored, a value of a closed vocabulary (a `Literal`, an enum) this consumer does
  not know yet is left to the handler, and a payload of a schema version newer than the
  registered one is not checked at all (only its handler can tell what it can take from it).
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
type and message, original topic/partition/offset, group, attempts, time. Of a record too large
to be a fact, it keeps the first `MAX_RECORD_BYTES` (`dlq.value.truncated` = the original
length; the whole record stays at its original offset until retention): a dead letter as large
as the broker's limit could never be written, and its consumer would wait for it forever.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from pydantic import ValidationError
from pydantic_core import ErrorDetails
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

import lienthong.schemas  # noqa: F401  (registers every payload schema checked below)
from lienthong.bus.port import Handler, PermanentError, dlq_topic
from lienthong.events import (
    Event,
    MalformedEvent,
    RawMessage,
    UnknownEventType,
    decode,
    registration,
)
from lienthong.metrics import BUS_HANDLED, BUS_HANDLER_SECONDS
from lienthong.telemetry import continued_span

log = structlog.get_logger("lienthong.bus")

DeadLetterSink = Callable[[RawMessage], Awaitable[None]]

# An event is a fact, not a file (documents travel as SHA-256 references): a larger record is a
# producer's bug. Half the broker's default limit (1 MiB), so that a dead letter (at most this
# much value, and its headers) can always be written.
MAX_RECORD_BYTES = 512 * 1024
# Headers of a dead letter of a too large record are dropped above this (a record can be too
# large by its headers alone).
_MAX_KEPT_HEADER_BYTES = 64 * 1024


class RecordTooLarge(MalformedEvent):
    """A record larger than `MAX_RECORD_BYTES`."""


class InvalidPayload(MalformedEvent):
    """An event whose payload does not match the schema registered for its type."""


class KeyNotSubject(MalformedEvent):
    """A record whose Kafka key is not its event's subject (or that has no key)."""


def record_bytes(raw: RawMessage) -> int:
    headers = sum(len(name) + len(value or b"") for name, value in raw.headers)
    return len(raw.key or b"") + len(raw.value) + headers


def check_event(raw: RawMessage, event: Event) -> None:
    """Raise a MalformedEvent unless the record is keyed by its subject and its payload fits."""
    if raw.key is None:
        raise KeyNotSubject("the record has no key; events are keyed by their subject")
    if raw.key != event.subject.encode():
        raise KeyNotSubject("the record's key is not the subject of its event")
    check_payload(event)


# Errors that a newer publisher's extended vocabulary makes (a word where a word is expected,
# only not one this consumer knows): not the record's fault.
_VOCABULARY_ERRORS = frozenset({"literal_error", "enum"})


def _unknown_word(error: ErrorDetails) -> bool:
    return error["type"] in _VOCABULARY_ERRORS and isinstance(error.get("input"), str)


def check_payload(event: Event) -> None:
    """Raise InvalidPayload unless the fields the registered schema knows have its types (a
    tolerant reader: fields a newer publisher added, and values it added to a vocabulary, are
    not this consumer's business). Types without a registered schema, and payloads of a newer
    schema version than the registered one, are left to their handlers."""
    try:
        found = registration(event.type)
    except UnknownEventType:
        return
    if event.schema_version > found.version:
        return
    model = found.model
    known = {name: value for name, value in event.data.items() if name in model.model_fields}
    try:
        model.model_validate(known)
    except ValidationError as exc:
        if all(_unknown_word(error) for error in exc.errors()):
            return
        raise InvalidPayload(f"{event.type} v{event.schema_version}: {exc}") from None


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
    extra: tuple[tuple[str, bytes], ...] = (
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
    value = raw.value
    if record_bytes(raw) > MAX_RECORD_BYTES:
        value = raw.value[:MAX_RECORD_BYTES]
        extra += (("dlq.value.truncated", str(len(raw.value)).encode()),)
        if sum(len(name) + len(v or b"") for name, v in kept) > _MAX_KEPT_HEADER_BYTES:
            kept = (("dlq.headers.dropped", str(len(kept)).encode()),)
    return RawMessage(topic=dlq_topic(group), key=raw.key, value=value, headers=kept + extra)


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
        size = record_bytes(raw)
        if size > MAX_RECORD_BYTES:
            too_large = RecordTooLarge(f"{size} bytes; an event is at most {MAX_RECORD_BYTES}")
            await self._bury(raw, too_large, 0, logical_topic)
            return
        try:
            event = decode(raw)
        except MalformedEvent as exc:
            await self._bury(raw, exc, 0, logical_topic)
            return
        try:
            check_event(raw, event)
        except MalformedEvent as exc:
            await self._bury(raw, exc, 0, logical_topic, event)
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
