"""One courier per agency: takes due tasks from the outbox and delivers them.

Retry schedule, for retryable failures (timeouts, refused connections, 5xx, 429):
* within a round, a short tenacity burst (default 3 tries, 0.2 s → 2 s, exponential with
  jitter) rides out a blip;
* between rounds the task waits in the outbox, exponential from 1 s capped at 5 min, with
  jitter; the circuit breaker stops all calls to an agency after 5 failed rounds in a row and
  probes it again every 30 s. A task still undeliverable after 3 days fails for good
  (≈ 900 rounds at the cap): a TaskDeliveryFailed event and a dead letter to replay.
Every call of every round carries the task's own idempotency key.

Several replicas deliver from one outbox: a task is delivered under a lease (`leases`), so one
replica at a time calls the agency with it, and a dead replica's tasks are taken over when its
leases run out (`LIENTHONG_ADAPTER_LEASE_S`).
"""

from __future__ import annotations

import asyncio
import random
import time

import structlog
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from lienthong.runtime import Periodic
from lienthong.runtime.health import Tally
from lienthong.store.port import Document
from lienthong_agency_adapter.breaker import CircuitBreaker
from lienthong_agency_adapter.config import AdapterSettings, AgencyConfig
from lienthong_agency_adapter.connectors.base import (
    Connector,
    Delivery,
    DeliveryError,
    Receipt,
    RetryableDeliveryError,
)
from lienthong_agency_adapter.leases import DeliveryLeases, LeaseLost, lease_key
from lienthong_agency_adapter.outbox import TaskOutbox, in_turn, turn_of
from lienthong_agency_adapter.recorder import AnswerConflict, TaskRecorder, assigned

log = structlog.get_logger("lienthong.agency_adapter")

BATCH = 50  # due tasks read per query


def delivery_of(document: Document, public_url: str) -> Delivery:
    _, task = assigned(document)
    return Delivery(
        task_id=task.task_id,
        dossier_id=task.dossier_id,
        dossier_code=task.dossier_code,
        procedure=task.procedure,
        step=task.step,
        unit=task.unit,
        due_at=task.due_at.isoformat(),
        idempotency_key=task.idempotency_key,
        callback_url=f"{public_url}/v1/agencies/{document['agency']}/tasks/{task.task_id}",
    )


class Courier:
    def __init__(
        self,
        agency: AgencyConfig,
        connector: Connector,
        outbox: TaskOutbox,
        recorder: TaskRecorder,
        settings: AdapterSettings,
        public_url: str,
        tally: Tally | None = None,
        *,
        holder: str = "local",
    ) -> None:
        self.agency = agency
        self.connector = connector
        self.outbox = outbox
        self.recorder = recorder
        self.settings = settings
        self.public_url = public_url
        self.breaker = CircuitBreaker(settings.breaker_failures, settings.breaker_open_s)
        # Every call to the agency's system, and each that failed, for the health snapshot.
        self.tally = tally or Tally()
        self.leases = DeliveryLeases(outbox.leases, agency.code, holder, settings.lease_s)
        self._limit = asyncio.Semaphore(agency.concurrency)
        self._pace_lock = asyncio.Lock()
        self._next_slot = 0.0
        self._stopping = False
        # One round delivers everything due (see deliver_due); between rounds the courier
        # waits for the poll interval, or for the breaker's next probe when it is open, unless
        # a new task wakes it. A failed round (the store or the bus briefly away) is logged
        # by the loop and the next round retries.
        self._rounds = Periodic(f"courier:{agency.code}", self._pause_s, self.deliver_due)
        self._sweeps = Periodic(
            f"leases:{agency.code}",
            settings.lease_sweep_interval_s,
            self.sweep_leases,
            jitter=0.2,
        )

    def _pause_s(self) -> float:
        return max(self.settings.poll_interval_s, self.breaker.seconds_until_probe())

    def wake(self) -> None:
        self._rounds.wake()

    async def start(self) -> None:
        self._stopping = False
        await self._rounds.start()
        await self._sweeps.start()

    async def stop(self) -> None:
        """Finish the deliveries in hand (each is recorded), start no other."""
        self._stopping = True
        await self._sweeps.stop()
        await self._rounds.stop()

    async def deliver_due(self) -> None:
        """Deliver what is due until nothing due is left to this replica: the tasks other
        replicas hold are read again by each query (hence the larger limit) and passed over."""
        while not self._stopping and self.breaker.allows():
            due = await self.outbox.due(self.agency.code, BATCH + self.leases.watching)
            self.leases.forget_all_but(lease_key(d["_id"], turn_of(d)) for d in due)
            if not due:
                return
            if self.breaker.state != "closed":  # half-open: one probe before the rest
                if not await self._probe(due):
                    return
                continue
            outcomes = await asyncio.gather(
                *(self._limited(document) for document in due), return_exceptions=True
            )
            errors = [o for o in outcomes if isinstance(o, Exception)]
            if errors:  # every delivery of the batch has finished; report the first error
                raise errors[0]
            if not any(outcomes):
                return

    async def _probe(self, due: list[Document]) -> bool:
        for document in due:
            if await self.attempt(document):
                return True
        return False

    async def _limited(self, document: Document) -> bool:
        async with self._limit:
            await self._pace()
            return self.breaker.allows() and await self.attempt(document)

    async def attempt(self, document: Document) -> bool:
        """Deliver a due task under its lease; False when another replica has it (or has
        just finished its turn: the outbox is read again once the lease is ours)."""
        lease = await self.leases.take(document["_id"], turn_of(document))
        if lease is None:
            return False
        fresh = await self.outbox.get(document["_id"])
        if fresh is None or not in_turn(fresh, lease.turn):
            await self.leases.release(lease)
            return False
        try:
            await self.leases.hold(lease, self.deliver(fresh))
        except LeaseLost:  # another replica has the task now; its delivery carries the key
            return False
        await self.leases.release(lease)
        return True

    async def _pace(self) -> None:
        """Space calls by 1/rate_per_s when the agency has a rate limit."""
        if not self.agency.rate_per_s:
            return
        async with self._pace_lock:
            now = time.monotonic()
            if self._next_slot > now:
                await asyncio.sleep(self._next_slot - now)
            self._next_slot = max(now, self._next_slot) + 1 / self.agency.rate_per_s

    async def deliver(self, document: Document) -> None:
        attempts = int(document.get("attempts", 0))
        delivery = delivery_of(document, self.public_url)
        try:
            receipt, tries = await self._burst(delivery)
        except RetryableDeliveryError as exc:
            self.breaker.failed()
            await self._postpone(document, attempts + self.settings.burst_attempts, str(exc))
            return
        except DeliveryError as exc:
            self.breaker.succeeded()  # the agency is up; it refused this one task
            await self.recorder.failed(document, str(exc), retryable=False, attempts=attempts + 1)
            return
        except Exception as exc:  # a bug or a broken mapping: terminal, visible, never a crash
            reason = f"connector error: {type(exc).__name__}: {exc}"
            await self.recorder.failed(document, reason, retryable=False, attempts=attempts + 1)
            return
        self.breaker.succeeded()
        await self._record(document, receipt, attempts + tries)

    async def _burst(self, delivery: Delivery) -> tuple[Receipt, int]:
        tries = 0
        async for attempt in AsyncRetrying(
            stop=stop_after_attempt(self.settings.burst_attempts),
            wait=wait_exponential_jitter(
                multiplier=self.settings.burst_initial_s, max=self.settings.burst_max_s
            ),
            retry=retry_if_exception_type(RetryableDeliveryError),
            reraise=True,
        ):
            with attempt:
                tries += 1
                return await self._call(delivery), tries
        raise AssertionError("unreachable: tenacity either returns or reraises")

    async def _call(self, delivery: Delivery) -> Receipt:
        """One call to the agency's system, counted when it ends (so a health window holds
        each call's attempt and its outcome together): any exception is a failed call."""
        key = (self.agency.code,)
        try:
            receipt = await self.connector.deliver(delivery)
        except BaseException as exc:
            self.tally.add(key, "attempts")
            if isinstance(exc, Exception):
                self.tally.add(key, "failures")
            raise
        self.tally.add(key, "attempts")
        return receipt

    async def sweep_leases(self) -> None:
        """Delete the leases that crashed rounds left behind on tasks that have moved on."""

        async def turn_is_over(task_id: str, turn: int) -> bool:
            document = await self.outbox.get(task_id)
            return document is None or not in_turn(document, turn)

        await self.leases.sweep(turn_is_over)

    async def _record(self, document: Document, receipt: Receipt, attempts: int) -> None:
        if receipt.awaiting_pickup:
            await self.outbox.set(document["_id"], state="waiting", attempts=attempts)
            return
        if receipt.answer is None:
            await self.recorder.delivered(
                document, self.connector.kind, attempts, receipt.reference
            )
            return
        # The answer came in the response: published before the task stops being due, so a
        # kill or a failed publish in between makes the next round call again (same key) and
        # publish the same facts, instead of leaving the step open for good.
        await self.recorder.announce_delivered(document, self.connector.kind, attempts)
        fresh = await self.outbox.get(document["_id"])
        try:
            await self.recorder.answered(fresh or document, receipt.answer)
        except AnswerConflict:  # its callback answered otherwise first: that answer stands
            log.error("agency_answer_conflict", task_id=document["_id"], agency=self.agency.code)
        await self.recorder.mark_delivered(document, attempts, receipt.reference)

    async def _postpone(self, document: Document, attempts: int, reason: str) -> None:
        waited = time.time() - float(document["accepted_at"])
        if waited > self.settings.give_up_after_s:
            reason = f"agency unreachable for {int(waited)} s: {reason}"
            await self.recorder.failed(document, reason, retryable=True, attempts=attempts)
            return
        rounds = int(document.get("rounds", 0)) + 1
        backoff = min(self.settings.round_max_s, self.settings.round_initial_s * 2 ** (rounds - 1))
        delay = backoff * (0.5 + random.random() / 2)
        await self.outbox.set(
            document["_id"],
            turn=turn_of(document) + 1,  # the round is over: its lease ends with it
            rounds=rounds,
            attempts=attempts,
            next_attempt_at=time.time() + delay,
            error=reason[:300],
        )
