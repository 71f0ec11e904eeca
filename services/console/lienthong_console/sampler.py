"""Consumer lag and topic throughput over time, sampled by the console itself.

Every `sample_interval_s` the sampler takes the bus's offsets snapshot (the log end of every
partition, the committed offset of every group) and keeps a compact sample: total log end per
topic and total lag per group. Samples live in the console's store (`samples`, one document per
interval, its id the interval's start, so two console replicas write the same document and a
restart keeps the history); the charts compute events per second from consecutive ends.
Samples older than `sample_retention_hours` are deleted an hour at a time (an equality on the
indexed `hour`), after one range sweep at start for whatever a stopped console left behind.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from lienthong.bus import Bus, OffsetsSnapshot
from lienthong.clock import Clock
from lienthong.runtime.periodic import Periodic
from lienthong.store import Store
from lienthong_console.facts import hour_of

SAMPLES = "samples"

log = structlog.get_logger("lienthong.console")


@dataclass(frozen=True)
class Sample:
    at: datetime
    ends: dict[str, int]  # topic -> sum of log end offsets
    lag: dict[str, int]  # group -> total lag


def compact(snapshot: OffsetsSnapshot) -> tuple[dict[str, int], dict[str, int]]:
    ends = {topic: sum(partitions.values()) for topic, partitions in snapshot.ends.items()}
    lag: dict[str, int] = {}
    for row in snapshot.lag_rows():
        lag[row.group] = lag.get(row.group, 0) + row.lag
    return ends, lag


class Sampler:
    def __init__(
        self,
        bus: Bus,
        store: Store,
        interval_s: float,
        retention: timedelta,
        clock: Clock,
    ) -> None:
        self.bus = bus
        self.samples = store.collection(SAMPLES)
        self.interval_s = interval_s
        self.retention = retention
        self.clock = clock
        self._purged_hour: str | None = None
        self._periodic = Periodic("console-sampler", interval_s, self.sample_once)

    async def setup(self) -> None:
        await self.samples.ensure_index([("hour", 1)])

    async def start(self) -> None:
        if self.interval_s <= 0:
            return
        await self._purge_everything_older()
        await self._periodic.start()

    async def stop(self) -> None:
        await self._periodic.stop()

    async def sample_once(self) -> Sample:
        snapshot = await self.bus.offsets()
        now = self.clock()
        ends, lag = compact(snapshot)
        slot = _slot(now, self.interval_s)
        await self.samples.replace(
            {
                "_id": slot.isoformat(),
                "at": now,
                "hour": hour_of(slot),
                "ends": [{"topic": t, "end": e} for t, e in sorted(ends.items())],
                "lag": [{"group": g, "lag": n} for g, n in sorted(lag.items())],
            }
        )
        await self._purge_expired_hour(now)
        return Sample(now, ends, lag)

    async def recent(self, hours: int) -> list[Sample]:
        """The samples of the last `hours` hours, oldest first."""
        now = self.clock()
        wanted = [hour_of(now - timedelta(hours=h)) for h in range(hours, -1, -1)]
        found = await self.samples.find({"hour": {"$in": wanted}})
        samples = [_from_document(doc) for doc in found]
        return sorted(samples, key=lambda s: s.at)

    async def _purge_expired_hour(self, now: datetime) -> None:
        expired = hour_of(now - self.retention - timedelta(hours=1))
        if expired == self._purged_hour:
            return
        for doc in await self.samples.find({"hour": expired}):
            await self.samples.delete(doc["_id"])
        self._purged_hour = expired

    async def _purge_everything_older(self) -> None:
        cutoff = self.clock() - self.retention
        for doc in await self.samples.find({"at": {"$lt": cutoff}}, limit=10_000):
            await self.samples.delete(doc["_id"])


def rates(samples: list[Sample]) -> dict[str, list[tuple[datetime, float]]]:
    """Events per second per topic between consecutive samples."""
    series: dict[str, list[tuple[datetime, float]]] = {}
    for before, after in itertools.pairwise(samples):
        seconds = (after.at - before.at).total_seconds()
        if seconds <= 0:
            continue
        for topic, end in after.ends.items():
            grown = max(0, end - before.ends.get(topic, end))
            series.setdefault(topic, []).append((after.at, grown / seconds))
    return series


def _slot(now: datetime, interval_s: float) -> datetime:
    step = max(1.0, interval_s)
    epoch = now.astimezone(UTC).timestamp()
    return datetime.fromtimestamp(epoch - epoch % step, UTC)


def _from_document(doc: dict[str, Any]) -> Sample:
    at = doc["at"]
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return Sample(
        at=at,
        ends={row["topic"]: int(row["end"]) for row in doc.get("ends", [])},
        lag={row["group"]: int(row["lag"]) for row in doc.get("lag", [])},
    )
