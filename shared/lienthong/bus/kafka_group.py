"""One consumer group member of the Kafka bus: fetch a batch, handle each partition's records
in order (partitions concurrently), commit after the batch; started again from the last commit
whenever it dies of an error. A crash before the commit redelivers the batch."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

import structlog
from aiokafka import ConsumerRebalanceListener, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, KafkaError

from lienthong.bus.delivery import Deliverer
from lienthong.bus.port import Subscription
from lienthong.bus.record_delivery import RecordDeliverer

if TYPE_CHECKING:
    from lienthong.bus.kafka import KafkaBus

log = structlog.get_logger("lienthong.bus.kafka")


class _Revocations(ConsumerRebalanceListener):  # type: ignore[misc]
    """Tells the subscription when partitions are taken away (see `Subscription`).

    aiokafka calls it from its coordinator while the member may still be handling a batch of
    the partitions being taken: the handlers in flight could write (and cache) after being
    told. So it first waits for the batch in hand to be handled (not committed: a commit then
    fails and the new owner sees those records again, as at-least-once allows)."""

    def __init__(self, on_revoked: Callable[[], None] | None, idle: asyncio.Event) -> None:
        self._on_revoked = on_revoked
        self._idle = idle

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        if self._on_revoked is not None and revoked:  # (called with none on the first join)
            await self._idle.wait()
            self._on_revoked()

    async def on_partitions_assigned(self, assigned: object) -> None:
        return None


class GroupMember:
    """One consumer group member: fetch a batch, handle per partition in order, commit."""

    def __init__(
        self, bus: KafkaBus, subscription: Subscription, deliverer: Deliverer | RecordDeliverer
    ) -> None:
        self._bus = bus
        self._subscription = subscription
        self._deliverer = deliverer
        self._consumer = bus.consumer(subscription.group, max_poll_records=bus._batch_size)
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()  # no batch being handled
        self._idle.set()
        self.failure: str | None = None

    async def start(self) -> None:
        await self._open()
        self._task = asyncio.create_task(
            self._supervise(), name=f"consumer:{self._subscription.group}"
        )

    async def _open(self) -> None:
        topics = [self._bus.physical(t) for t in self._subscription.topics]
        listener = _Revocations(self._subscription.on_revoked, self._idle)
        self._consumer.subscribe(topics, listener=listener)
        try:
            await self._consumer.start()
        except BaseException:
            await self._consumer.stop()
            raise

    async def _supervise(self) -> None:
        """The member's loop, started again (a new consumer, from the last commit) whenever
        it dies of an error; `failure` says why until it runs again."""
        pause = 1.0
        while not self._stopping:
            try:
                await self._run()
                return
            except Exception as exc:  # logged by _run; readiness shows it meanwhile
                self.failure = f"consumer crashed: {type(exc).__name__}"
            await asyncio.sleep(pause)
            pause = min(30.0, pause * 2)
            if self._stopping:
                return
            try:
                self._consumer = self._bus.consumer(
                    self._subscription.group, max_poll_records=self._bus._batch_size
                )
                await self._open()
                self.failure = None
                pause = 1.0
                log.info("consumer_restarted", group=self._subscription.group)
            except Exception as exc:
                self.failure = f"consumer restart failed: {type(exc).__name__}"
                log.error("consumer_restart_failed", group=self.group, error=type(exc).__name__)

    def health(self) -> str:
        """'ok', or why this member is not moving records on."""
        if not self.running:
            return "failing: consumer stopped"
        why = self.failure or self._deliverer.stalled
        return f"failing: {why}" if why else "ok"

    async def stop(self) -> None:
        self._stopping = True
        if self._task is None:
            return
        if self._task.done():  # a crash was logged by _run; its outcome is taken here, so
            if not self._task.cancelled():  # asyncio does not report it again when the
                self._task.exception()  # task is collected, perhaps in another's output
            return
        done, _ = await asyncio.wait([self._task], timeout=30)
        if not done:
            self._task.cancel()
            await asyncio.wait([self._task])

    @property
    def group(self) -> str:
        return self._subscription.group

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def assignment(self) -> set[TopicPartition]:
        return set(self._consumer.assignment())

    async def _run(self) -> None:
        group = self._subscription.group
        try:
            while not self._stopping:
                batches = await self._consumer.getmany(
                    timeout_ms=200, max_records=self._bus._batch_size
                )
                if not batches:
                    continue
                self._idle.clear()
                try:
                    await asyncio.gather(*(self._drain(r) for r in batches.values()))
                finally:
                    self._idle.set()
                await self._commit({tp: records[-1].offset + 1 for tp, records in batches.items()})
        except BaseException as exc:
            log.error("consumer_crashed", group=group, error=type(exc).__name__)
            raise
        finally:
            await self._consumer.stop()

    async def _drain(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        for record in records:
            raw = self._bus.raw(record)
            await self._deliverer.deliver(raw, raw.topic)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, KafkaError) as exc:
            # The partitions moved to another member during the batch: it starts from the
            # last commit and sees these records again (at-least-once, handlers idempotent).
            log.warning("commit_failed", group=self._subscription.group, error=type(exc).__name__)
