"""The live tail: one follower of `dossier.events` per console process, fanned out to every
connected operator's server-sent-event stream, each with its own filters.

The follower runs only while someone watches (it starts with the first listener and stops
with the last). A listener that cannot keep up loses the oldest events of its queue, never
the process's memory; the stream says how many were dropped. Events are decoded here and
shown as `Line`s: ids, types, units, steps, dates — never a payload's personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import OrderedDict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import structlog

from lienthong.bus import Bus
from lienthong.events import MalformedEvent, decode
from lienthong.store import Collection
from lienthong.topics import DOSSIER_EVENTS
from lienthong_console.facts import Line, line_of

log = structlog.get_logger("lienthong.console")


@dataclass(frozen=True)
class Filters:
    dossier: str | None = None  # a dossier code or id
    type: str | None = None  # an event type, or a prefix ending in '*'
    unit: str | None = None
    procedure: str | None = None
    units: frozenset[str] | None = None  # the viewer's scope (None: the whole city)

    def admits(self, line: Line) -> bool:
        if self.dossier and self.dossier not in (line.code, line.dossier):
            return False
        if self.type:
            if self.type.endswith("*"):
                if not line.type.startswith(self.type[:-1]):
                    return False
            elif line.type != self.type:
                return False
        if self.unit and line.unit != self.unit:
            return False
        if self.procedure and line.procedure != self.procedure:
            return False
        return self.units is None or line.unit in self.units


@dataclass(eq=False)  # identity: each connected client is its own listener
class Listener:
    filters: Filters
    queue: asyncio.Queue[Line]
    dropped: int = 0

    def offer(self, line: Line) -> None:
        if not self.filters.admits(line):
            return
        if self.queue.full():
            self.queue.get_nowait()
            self.dropped += 1
        self.queue.put_nowait(line)


@dataclass
class TailHub:
    bus: Bus
    dossiers: Collection  # the console's own projection: code, procedure, receiving unit
    queue_size: int = 1000
    _listeners: set[Listener] = field(default_factory=set)
    _task: asyncio.Task[None] | None = None
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    _known: OrderedDict[str, tuple[str | None, str | None, str | None]] = field(
        default_factory=OrderedDict
    )
    _stopping: set[asyncio.Task[None]] = field(default_factory=set)

    @contextlib.asynccontextmanager
    async def listen(self, filters: Filters) -> AsyncIterator[Listener]:
        listener = Listener(filters, asyncio.Queue(self.queue_size))
        self._listeners.add(listener)
        if self._task is None or self._task.done():
            self._ready = asyncio.Event()
            self._task = asyncio.create_task(self._follow(self._ready), name="console:tail")
        try:
            await asyncio.wait_for(self._ready.wait(), timeout=30)
            yield listener
        finally:
            self._listeners.discard(listener)
            if not self._listeners and self._task is not None:
                # Forgotten before it is awaited: a client arriving while it stops (a page
                # reload) starts a follower of its own instead of joining this dying one.
                # Not awaited either: the server cancels this block when the client goes, and
                # a cancellation reaching the follower while its consumer stops would leak it.
                # The stopping task is kept until it is done.
                task, self._task = self._task, None
                task.cancel()
                self._stopping.add(task)
                task.add_done_callback(self._stopping.discard)

    async def stop(self) -> None:
        task, self._task = self._task, None
        tasks = [t for t in (task, *self._stopping) if t is not None]
        for each in tasks:
            each.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=10)

    async def _follow(self, ready: asyncio.Event) -> None:
        try:
            async with self.bus.follow(DOSSIER_EVENTS) as records:
                ready.set()
                async for raw in records:
                    try:
                        event = decode(raw)
                    except MalformedEvent:
                        continue  # its consumers dead-letter it; the dead-letter page shows it
                    if event.type == "dossier.received":
                        # Seen here first: what follows of this dossier (same partition, so
                        # after it) gets its unit, procedure and code even while the
                        # console's own read model is behind.
                        self._remember(event.subject, event.data)
                    procedure, code, unit = await self._dossier_facts(event.subject)
                    line = line_of(event, procedure, code)
                    if line.unit is None and unit is not None:
                        line = Line(**{**line.__dict__, "unit": unit})
                    for listener in list(self._listeners):
                        listener.offer(line)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.error("tail_failed", error=type(exc).__name__)
            raise

    def _remember(self, dossier: str, facts: dict[str, object]) -> tuple[str | None, ...]:
        def text(name: str) -> str | None:
            value = facts.get(name)
            return value if isinstance(value, str) else None

        known = (text("procedure"), text("code"), text("receiving_unit"))
        self._known[dossier] = known
        self._known.move_to_end(dossier)
        while len(self._known) > 50_000:
            self._known.popitem(last=False)
        return known

    async def _dossier_facts(self, dossier: str) -> tuple[str | None, ...]:
        known = self._known.get(dossier)
        if known is not None and known[0] is not None:
            return known
        return self._remember(dossier, await self.dossiers.get(dossier) or {})
