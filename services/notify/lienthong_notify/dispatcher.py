"""Sending what is due: queued messages whose time has come, and sends of a dead worker.

`dispatch_concurrency` workers per process send through each channel's providers (each
provider keeps its own rate limit). Per message: own the attempt (see `outbox`), send,
record the outcome, announce it.

Retries: a retryable failure reschedules the message with exponential backoff,
`backoff_initial_s · 2^(attempt-1)` capped at `backoff_max_s`. With the defaults (10 attempts,
30 s doubling, 1 h cap) the waits are 30 s, 1, 2, 4, 8, 16, 32 min, then 1 h, 1 h: the last
attempt comes ≈ 3 h after the first — long enough to ride out a gateway outage, short enough
that an appointment notice is still useful. Then, or at once for a permanent failure, the
message is `failed`, which staff see in the notification log.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta

import structlog

from lienthong.clock import Clock
from lienthong.runtime import Periodic
from lienthong.store import Document
from lienthong_notify.announce import Announcer
from lienthong_notify.outbox import Outbox
from lienthong_notify.providers import DeliveryFailure, FailoverChannel, Outgoing

log = structlog.get_logger("lienthong.notify.dispatcher")

RECORD_ATTEMPTS = 6  # 0.2 + 0.4 + … + 3.2 s ≈ 6 s of store trouble before giving up


@dataclass(frozen=True)
class DispatchPolicy:
    max_attempts: int
    backoff_initial_s: float
    backoff_max_s: float
    lease_s: float
    interval_s: float
    batch: int
    concurrency: int

    def backoff(self, attempt: int) -> timedelta:
        return timedelta(
            seconds=min(self.backoff_max_s, self.backoff_initial_s * 2 ** (attempt - 1))
        )


def outgoing(doc: Document) -> Outgoing:
    return Outgoing(
        notification_id=doc["_id"],
        channel=doc["channel"],
        recipient=doc["recipient"],
        reference=doc["reference"],
        subject=doc.get("subject") or "",
        text=doc.get("text") or "",
        html=doc.get("html") or "",
    )


class Dispatcher:
    """Workers taking messages from an in-process queue, fed two ways: the notifier hands
    over each message it queues (no store round trip), and a poll every `interval_s` adds
    what the store says is due (retries, quiet-hour releases, sends of a dead process)."""

    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, FailoverChannel],
        announcer: Announcer,
        policy: DispatchPolicy,
        clock: Clock,
    ) -> None:
        self.outbox, self.channels, self.announcer = outbox, channels, announcer
        self.policy, self.clock = policy, clock
        self._queue: asyncio.Queue[Document | None] = asyncio.Queue()
        self._in_flight: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = asyncio.Event()
        # A failed poll (the store or the bus is down) is logged by the loop; the next retries.
        self._poll = Periodic("notify-poll", policy.interval_s, self.poll_once)

    def submit(self, doc: Document) -> None:
        """Send `doc` soon (it is in the store already; this only saves the poll)."""
        if doc["_id"] not in self._in_flight and not self._stopping.is_set():
            self._in_flight.add(doc["_id"])
            self._queue.put_nowait(doc)

    async def start(self) -> None:
        self._stopping.clear()
        workers = [self._work() for _ in range(self.policy.concurrency)]
        self._tasks = [asyncio.create_task(w, name="notify-sender") for w in workers]
        await self._poll.start()

    async def stop(self) -> None:
        """Finish the sends in hand (each is recorded); what is still queued stays in the
        store for the next process."""
        self._stopping.set()
        await self._poll.stop()
        for _ in range(self.policy.concurrency):
            self._queue.put_nowait(None)
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    async def poll_once(self) -> int:
        """Queue what the store says is due; re-announce lost status events."""
        due = await self.outbox.due(self.clock(), self.policy.batch, self._in_flight)
        for doc in due:
            self.submit(doc)
        await self.announcer.sweep(self.clock())
        return len(due)

    async def _work(self) -> None:
        while True:
            doc = await self._queue.get()
            if doc is None or self._stopping.is_set():
                return
            try:
                await self._dispatch(doc)
            except Exception as exc:  # recorded nowhere: the lease brings the message back
                log.error("dispatch_failed", notification_id=doc["_id"], error=type(exc).__name__)
            finally:
                self._in_flight.discard(doc["_id"])

    async def _dispatch(self, doc: Document) -> None:
        lease = timedelta(seconds=self.policy.lease_s)
        attempt = await self.outbox.begin_attempt(doc, self.clock(), lease)
        if attempt is None:
            return
        try:
            accepted = await self.channels[doc["channel"]].send(outgoing(doc))
        except DeliveryFailure as failure:
            await self._failed(doc, attempt, failure)
            return
        fields: dict[str, object] = {
            "provider": accepted.provider,
            "provider_id": accepted.provider_id,
            "sent_at": self.clock(),
            "attempts": attempt,
        }
        await self._change(doc, "sent", fields)

    async def _failed(self, doc: Document, attempt: int, failure: DeliveryFailure) -> None:
        if failure.retryable and attempt < self.policy.max_attempts:
            due_at = self.clock() + self.policy.backoff(attempt)
            await self.outbox.reschedule(doc["_id"], attempt, due_at, failure.reason)
            log.info("notification_retry_scheduled", notification_id=doc["_id"], attempt=attempt)
            return
        reason = failure.reason if not failure.retryable else f"retries-exhausted:{failure.reason}"
        await self._change(doc, "failed", {"last_error": reason, "attempts": attempt})

    async def _change(self, doc: Document, status: str, fields: dict[str, object]) -> None:
        # The provider has answered: losing this write would make the message look unsent and,
        # after the lease, send it again. A store hiccup is worth a few seconds of retrying.
        for attempt in range(RECORD_ATTEMPTS):
            try:
                await self.outbox.set_status(doc["_id"], status, self.clock(), fields)
                break
            except Exception as exc:
                if attempt == RECORD_ATTEMPTS - 1:
                    raise
                log.warning(
                    "status_write_retried", notification_id=doc["_id"], error=type(exc).__name__
                )
                await asyncio.sleep(0.2 * 2**attempt)
        log.info("notification_status", notification_id=doc["_id"], status=status)
        await self.announcer.publish({**doc, **fields, "status": status})
