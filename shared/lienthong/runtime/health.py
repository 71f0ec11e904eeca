"""Health snapshots on `ops.health`: what a service instance counts, published in rounds.

Services never call each other, so an operator's console learns how an instance is doing from
the snapshots it publishes (payloads in `lienthong.schemas.health`). A service counts what
happens where it happens, in a `Tally` (in process: no store write per call), and hands a
`HealthReporter` a function that turns a `Snapshot` of the tally, and whatever it reads at
that moment (circuit states, tasks waiting), into its payload. The reporter publishes it
every `interval_s` on the kernel's periodic loop:

* the first snapshot goes out at start, so a console sees the instance as soon as it runs;
* a failed round (the bus away, a store query failing) is logged by the loop and the next
  round is the retry. Its counts are not lost: a window runs from the last snapshot that was
  *published*, so the next one covers both;
* events are keyed `<service>/<instance id>`: each instance's snapshots are one ordered stream.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lienthong.bus import Bus
from lienthong.clock import Clock, utc_now
from lienthong.events import Event, Payload
from lienthong.runtime.periodic import Periodic
from lienthong.topics import OPS_HEALTH

Key = tuple[str, ...]
Totals = Mapping[tuple[Key, str], int]


class Tally:
    """Counts by key (an agency; a channel and a provider) and name (attempts, failures, …)
    since the instance started. Only ever added to: a window is a difference of totals."""

    def __init__(self, clock: Clock = utc_now) -> None:
        self.started_at = clock()
        self._counts: Counter[tuple[Key, str]] = Counter()

    def add(self, key: Key, name: str, n: int = 1) -> None:
        self._counts[key, name] += n

    def totals(self) -> dict[tuple[Key, str], int]:
        return dict(self._counts)


@dataclass(frozen=True)
class Snapshot:
    """The tally at one moment (`at`), and what it was when the previous snapshot of this
    instance was published (`window_start`)."""

    instance: str
    interval_s: float
    at: datetime
    window_start: datetime
    started_at: datetime
    totals: Totals
    published: Totals

    def total(self, key: Key, name: str) -> int:
        return self.totals.get((key, name), 0)

    def window(self, key: Key, name: str) -> int:
        return self.total(key, name) - self.published.get((key, name), 0)

    def header(self) -> dict[str, Any]:
        """The fields every health payload starts with."""
        return {
            "instance": self.instance,
            "at": self.at,
            "interval_s": self.interval_s,
            "window_start": self.window_start,
            "started_at": self.started_at,
        }


Build = Callable[[Snapshot], Awaitable[Payload]]


class HealthReporter:
    """Publishes `build(snapshot)` on `ops.health` every `interval_s` while the service runs,
    keyed `<service>/<instance>`."""

    def __init__(
        self,
        bus: Bus,
        *,
        service: str,
        source: str,
        instance: str,
        interval_s: float,
        tally: Tally,
        build: Build,
        clock: Clock = utc_now,
    ) -> None:
        self.bus, self.source, self.instance, self.interval_s = bus, source, instance, interval_s
        self.subject = f"{service}/{instance}"
        self.tally, self._build, self._clock = tally, build, clock
        self._published: Totals = {}
        self._window_start = tally.started_at
        self._rounds = Periodic(f"health:{service}", interval_s, self.report)

    async def report(self) -> Event:
        """Take a snapshot and publish it; raises when it could not be published (the loop
        logs that, and the next round's window covers this one's)."""
        snapshot = Snapshot(
            instance=self.instance,
            interval_s=self.interval_s,
            at=self._clock(),
            window_start=self._window_start,
            started_at=self.tally.started_at,
            totals=self.tally.totals(),
            published=self._published,
        )
        fact = await self._build(snapshot)
        event = fact.to_event(self.subject, source=self.source)
        await self.bus.publish(OPS_HEALTH, event)
        self._published, self._window_start = snapshot.totals, snapshot.at
        return event

    async def start(self) -> None:
        await self._rounds.start()

    async def stop(self) -> None:
        await self._rounds.stop()
