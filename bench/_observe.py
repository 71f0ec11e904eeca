"""Watching a recorded city (`City(Layout(recorded=True))`) through a run, then judging it.

During the run a raw consumer reads the run's `dossier.events` from the beginning into a
`Stream`. At the end (`Watch.settle`), each step bounded: every dossier final, every message
queued arrived at the sinks, the topic quiet, every tracking view read (again, until it matches
the topic or time is up); then the properties of `_properties` are checked against what the
agencies, the sinks and the intake's API recorded.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from _city import City
from _follow import KafkaFollower
from _load import Submission
from _properties import (
    Stream,
    Verdict,
    agency_tasks,
    citizen_messages,
    expected_timeline,
    final_states,
    timelines,
)

from lienthong.bus.kafka_admin import read_offsets

MESSAGES_TIMEOUT_S = 120.0  # after the last dossier ended: a send cut by a kill waits its lease
VIEWS_TIMEOUT_S = 60.0
QUIET_S = 3.0
QUEUED = "dossier.notification-queued"


@dataclass
class Observed:
    verdicts: list[Verdict]
    unfinished: int
    records_read: int
    republished: int  # records of an event id already seen (a crash between publish and commit)
    final_at: list[float]  # when each dossier ended (Kafka timestamps)
    lag: dict[str, int]  # consumer group → records not yet consumed, at the end
    readiness: dict[str, str]  # service → its /readyz answer, at the end


def records(path: Path) -> list[Mapping[str, Any]]:
    """The JSON lines a recorder wrote (a line cut short is skipped)."""
    rows = []
    with contextlib.suppress(FileNotFoundError), path.open(encoding="utf-8") as file:
        for line in file:
            with contextlib.suppress(ValueError):
                rows.append(json.loads(line))
    return rows


class Watch:
    def __init__(
        self, city: City, follower: KafkaFollower, stream: Stream, say: Callable[[str], None]
    ) -> None:
        self.city, self.follower, self.stream, self.say = city, follower, stream, say

    async def settle(
        self, submissions: Sequence[Submission], timeout_s: float, notify_kills: Sequence[float]
    ) -> Observed:
        ids = [s.dossier_id for s in submissions if s.code]
        unfinished = await self.follower.wait_final(ids, timeout_s)
        self.say(f"{len(ids) - len(unfinished)} of {len(ids)} received dossiers are final")
        await self._messages_out(MESSAGES_TIMEOUT_S)
        await self.follower.wait_quiet(QUIET_S, 60)
        views = await self._views(submissions, VIEWS_TIMEOUT_S)
        self.stream.write(self.city.records / "dossier-events.jsonl")
        calls = records(self.city.records / "agency-calls.jsonl")
        messages = records(self.city.records / "messages.jsonl")
        verdicts = [
            final_states(submissions, self.follower.tracks),
            agency_tasks(calls, self.stream),
            citizen_messages(messages, self.stream, notify_kills),
            timelines(views, self.stream, self.follower.tracks),
        ]
        tracks = self.follower.tracks
        final_at = sorted(t.final_at for i in ids if (t := tracks.get(i)) and t.final_at)
        return Observed(
            verdicts,
            len(unfinished),
            self.follower.records,
            self.stream.duplicates,
            final_at,
            await self._lag(),
            await self._readiness(),
        )

    async def _lag(self) -> dict[str, int]:
        """What each consumer group has still to read (a group stuck after a fault shows)."""
        prefix = self.city.layout.topic_prefix
        try:
            snapshot = await read_offsets(self.city.layout.kafka or "", prefix, "bench-faults")
        except Exception as exc:  # evidence for a report, not a verdict
            return {f"unknown ({type(exc).__name__})": -1}
        lag: dict[str, int] = {}
        for row in snapshot.lag_rows():
            lag[row.group] = lag.get(row.group, 0) + row.lag
        return lag

    async def _readiness(self) -> dict[str, str]:
        answers = {}
        async with httpx.AsyncClient(timeout=10) as http:
            for name, child in self.city.services.items():
                try:
                    answers[name] = (await http.get(child.url + "/readyz")).text[:300]
                except httpx.HTTPError as exc:
                    answers[name] = f"no answer: {type(exc).__name__}"
        return answers

    async def _messages_out(self, timeout_s: float) -> None:
        """Until every message queued so far has reached a sink, or the timeout."""
        deadline = time.monotonic() + timeout_s
        path = self.city.records / "messages.jsonl"
        missing: set[str] = set()
        while time.monotonic() < deadline:
            queued = {e.data["notification_id"] for e in self.stream.of_type(QUEUED)}
            missing = queued - {m["reference"] for m in records(path)}
            if not missing:
                return
            await asyncio.sleep(1.0)
        self.say(f"{len(missing)} queued messages have not arrived after {timeout_s:.0f} s")

    async def _views(
        self, submissions: Sequence[Submission], timeout_s: float
    ) -> dict[str, Mapping[str, Any] | str]:
        """Each received dossier's tracking answer, read until it shows what the topic says."""
        views: dict[str, Mapping[str, Any] | str] = {}
        pending = [s for s in submissions if s.code]
        gate = asyncio.Semaphore(8)
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(base_url=self.city.intake_url, timeout=30) as client:

            async def read(s: Submission) -> bool:
                async with gate:
                    try:
                        response = await client.get(
                            f"/v1/tracking/{s.code}", params={"secret": s.secret}
                        )
                    except httpx.HTTPError as exc:
                        views[s.dossier_id] = f"GET failed: {type(exc).__name__}"
                        return False
                if response.status_code != 200:
                    views[s.dossier_id] = f"GET answered {response.status_code}"
                    return False
                views[s.dossier_id] = view = response.json()
                return len(view["timeline"]) == len(expected_timeline(self.stream, s.dossier_id))

            while pending and time.monotonic() < deadline:
                done = await asyncio.gather(*(read(s) for s in pending))
                pending = [s for s, ok in zip(pending, done, strict=True) if not ok]
                if pending:
                    await asyncio.sleep(1.0)
        return views


@contextlib.asynccontextmanager
async def observe(city: City, kafka: str, say: Callable[[str], None]) -> AsyncIterator[Watch]:
    follower = KafkaFollower(kafka, city.layout.topic_prefix + "dossier.events")
    stream = Stream()
    follower.on_event = stream.add
    await follower.start()
    try:
        yield Watch(city, follower, stream, say)
    finally:
        await follower.stop()
