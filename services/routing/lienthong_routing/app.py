"""The routing service layer: handle an event, publish the reaction, keep the read models.

Order of work for one event: load the dossier's state, fold the event and decide (pure),
publish what was decided (dossier facts first, then tasks), then save. A crash after
publishing and before saving re-handles the event and publishes the same ids again, which
every consumer drops; a crash before publishing loses nothing (the offset is not committed).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime

import structlog

from lienthong.bus import Bus, Handler
from lienthong.clock import Clock, utc_now
from lienthong.events import Event
from lienthong.runtime import Periodic
from lienthong.topics import DOSSIER_EVENTS
from lienthong_routing.alarms import alarm_event, alarms_of
from lienthong_routing.reaction import Decider, Outgoing, react
from lienthong_routing.repository import WorkflowRepository
from lienthong_routing.rules import RoutingRules
from lienthong_routing.state import WorkflowState

log = structlog.get_logger("lienthong.routing")

_RECENT_LIMIT = 50_000


class Routing:
    def __init__(
        self,
        rules: RoutingRules,
        repository: WorkflowRepository,
        bus: Bus,
        clock: Clock = utc_now,
        sweep_interval_s: float = 60.0,
        owned_partitions: Collection[int] | None = None,
        group: str = "routing",
    ) -> None:
        self.rules = rules
        self.repository = repository
        self.bus = bus
        self.clock = clock
        self.sweep_interval_s = sweep_interval_s
        self.owned_partitions = owned_partitions
        self.group = group
        self.catch_up: Callable[[], Awaitable[object]] | None = None
        self._caught_up = False
        self._catching_up = asyncio.Lock()
        # A failed sweep is logged by the loop; the next round reads the same window again.
        self._sweeper = Periodic("routing-sweep", sweep_interval_s, self._sweep_round)
        # Ids of facts this instance published and saved: when they come back on the stream
        # they are known no-ops, skipped without reading the database.
        self._recent: OrderedDict[str, None] = OrderedDict()
        # Alarms this instance rang: a sweep overlapping the previous one skips them.
        self._rung: OrderedDict[str, None] = OrderedDict()

    def on(self, decide: Decider) -> Handler:
        """The bus handler that folds an event and applies `decide` to it."""

        async def handle(event: Event) -> None:
            await self.handle(event, decide)

        handle.__name__ = decide.__name__
        return handle

    async def ensure_caught_up(self) -> None:
        """Before the first event: a fresh instance (empty database) folds the stream so far.
        Runs from `on_start`, and from the first handled event when nothing started us (the
        kernel's `lienthong replay`)."""
        if self._caught_up:
            return
        async with self._catching_up:
            if not self._caught_up and self.catch_up is not None:
                await self.catch_up()
            self._caught_up = True

    async def handle(self, event: Event, decide: Decider) -> None:
        await self.ensure_caught_up()
        if event.id in self._recent:
            return
        state = await self.repository.load(event.subject)
        reaction = react(self.rules, state, event, decide)
        if reaction is None:
            return
        await self.publish(reaction.outgoing)
        await self.save(reaction.state, reaction.previous)
        self._remember(reaction.facts)
        if reaction.outgoing:
            log.debug(
                "dossier_event_handled",
                dossier_id=event.subject,
                cause=event.type,
                emitted=[o.event.type for o in reaction.outgoing],
            )

    def _remember(self, facts: list[Event]) -> None:
        for fact in facts:
            self._recent[fact.id] = None
        while len(self._recent) > _RECENT_LIMIT:
            self._recent.popitem(last=False)

    async def save(self, state: WorkflowState, before: WorkflowState | None = None) -> None:
        alarms_before = alarms_of(before, self.rules) if before else []
        await self.repository.save(
            state, alarms_of(state, self.rules), before, alarms_before, self.clock()
        )

    async def publish(self, outgoing: list[Outgoing]) -> None:
        facts = [o.event for o in outgoing if o.topic == DOSSIER_EVENTS]
        if facts:
            await self.bus.publish(DOSSIER_EVENTS, *facts)
        for topic in dict.fromkeys(o.topic for o in outgoing if o.topic != DOSSIER_EVENTS):
            await self.bus.publish(topic, *(o.event for o in outgoing if o.topic == topic))

    # --- deadlines ------------------------------------------------------------------

    async def sweep(
        self, now: datetime | None = None, partitions: Collection[int] | None = None
    ) -> int:
        """Record a warning or an overdue step for every alarm due at `now`; returns how
        many this instance recorded. Reads, per partition, only the alarm buckets between its
        sweep mark and `now` (by `_id`), publishes the facts, then moves the mark. It never
        deletes an alarm: the consumer folds the facts and drops the rung alarms itself (it
        is the buckets' only writer). Ids are deterministic, so two sweeps of the same alarm
        (two replicas, a retry, the overlap with the previous sweep) record one fact."""
        moment = now or self.clock()
        owned = partitions if partitions is not None else self._partitions_to_sweep()
        recorded = 0
        for partition, swept_to, due in await self.repository.sweep_window(moment, owned):
            fresh = [alarm for alarm in due if alarm.id not in self._rung]
            events = [alarm_event(alarm, moment, self.rules) for alarm in fresh]
            if events:
                await self.bus.publish(DOSSIER_EVENTS, *events)
            for alarm in fresh:
                self._rung[alarm.id] = None
            while len(self._rung) > _RECENT_LIMIT:
                self._rung.popitem(last=False)
            if moment > swept_to:
                await self.repository.mark_swept(partition, moment)
            recorded += len(events)
        return recorded

    def _partitions_to_sweep(self) -> Collection[int] | None:
        """Configured partitions, else those this replica's consumer owns now (Kafka moves
        them at rebalances), else — no live consumer, e.g. a tool — all of them."""
        if self.owned_partitions is not None:
            return self.owned_partitions
        return self.bus.assigned_partitions(self.group, DOSSIER_EVENTS)

    async def _sweep_round(self) -> None:
        count = await self.sweep()
        if count:
            log.info("deadline_sweep", recorded=count)

    async def start(self) -> None:
        if self.sweep_interval_s > 0:
            await self._sweeper.start()

    async def stop(self) -> None:
        await self._sweeper.stop()
