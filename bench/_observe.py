"""Watching a recorded city (`City(Layout(recorded=True))`) through a run, then judging it.

During the run a raw consumer reads the run's `dossier.events` from the beginning into a
`Stream`. At the end (`Watch.settle`), each step bounded: every dossier final, every message
due arrived at the sinks, the topic quiet, every consumer group caught up, every tracking view
read (again, until it matches the topic or time is up), every service ready; then the
properties of `_properties` are checked against what the agencies, the sinks and the
services' APIs recorded.
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
from _agencies import recorded_systems
from _city import City
from _follow import KafkaFollower
from _load import Submission
from _messages import due_messages, preferences, queued_by_due, shipped_rules
from _properties import (
    Stream,
    Verdict,
    agency_tasks,
    citizen_messages,
    consumers_caught_up,
    final_states,
    one_dossier_per_submission,
    services_ready,
    timelines,
)
from _timelines import shown_on_the_stream

from lienthong.bus.kafka_admin import read_offsets

MESSAGES_TIMEOUT_S = 120.0  # after the last dossier ended: a send cut by a kill waits its lease
VIEWS_TIMEOUT_S = 60.0
# For every consumer group to read to the end of its topics: a group that reads nothing for
# CATCH_UP_STUCK_S is stuck; one still reading (the notary and the console are the slowest on
# two cores after thousands of dossiers) is given up to CATCH_UP_TIMEOUT_S.
CATCH_UP_STUCK_S = 60.0
CATCH_UP_TIMEOUT_S = 900.0
READY_TIMEOUT_S = 30.0
QUIET_S = 3.0


@dataclass
class Observed:
    verdicts: list[Verdict]
    unfinished: int
    records_read: int
    republished: int  # records of an event id already seen (a crash between publish and commit)
    final_at: list[float]  # when each dossier ended (Kafka timestamps)
    lag: dict[str, int]  # consumer group → records not yet consumed, at the end
    readiness: dict[str, tuple[int | None, str]]  # service → its /readyz status and body


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
        preferred = preferences(submissions, self.stream)
        await self._messages_out(preferred, MESSAGES_TIMEOUT_S)
        await self.follower.wait_quiet(QUIET_S, 60)
        lag = await self._caught_up(CATCH_UP_TIMEOUT_S)
        await self._messages_out(preferred, MESSAGES_TIMEOUT_S)  # those of the last triggers
        views = await self._views(submissions, VIEWS_TIMEOUT_S)
        readiness = await self._ready(READY_TIMEOUT_S)
        self.stream.write(self.city.records / "dossier-events.jsonl")
        calls = records(self.city.records / "agency-calls.jsonl")
        messages = records(self.city.records / "messages.jsonl")
        due = due_messages(self.stream, shipped_rules(), preferred)
        verdicts = [
            final_states(submissions, self.follower.tracks),
            one_dossier_per_submission(submissions, self.stream),
            agency_tasks(calls, self.stream, recorded_systems()),
            citizen_messages(messages, self.stream, notify_kills, due),
            timelines(views, self.stream, self.follower.tracks),
            consumers_caught_up(lag, list(self.city.services)),
            services_ready(readiness),
        ]
        tracks = self.follower.tracks
        final_at = sorted(t.final_at for i in ids if (t := tracks.get(i)) and t.final_at)
        return Observed(
            verdicts,
            len(unfinished),
            self.follower.records,
            self.stream.duplicates,
            final_at,
            lag,
            readiness,
        )

    async def _caught_up(self, timeout_s: float) -> dict[str, int]:
        """Each consumer group's lag, read until every one is 0, or one with records left
        has read none for CATCH_UP_STUCK_S, or time is up."""
        started = time.monotonic()
        lag = await self._lag()
        moved = dict.fromkeys(lag, started)  # when each group's lag last went down
        while any(lag.values()) and time.monotonic() - started < timeout_s:
            await asyncio.sleep(1.0)
            now, before, lag = time.monotonic(), lag, await self._lag()
            moved.update({g: now for g, n in lag.items() if n < before.get(g, n + 1)})
            if any(n and now - moved.get(g, now) > CATCH_UP_STUCK_S for g, n in lag.items()):
                break
        if any(lag.values()):
            self.say(f"consumer groups not caught up: {lag}")
        else:
            self.say(f"every consumer group caught up in {time.monotonic() - started:.0f} s")
        return lag

    async def _ready(self, timeout_s: float) -> dict[str, tuple[int | None, str]]:
        """Every service's /readyz, read until all are ready or time is up."""
        deadline = time.monotonic() + timeout_s
        answers = await self._readiness()
        while services_ready(answers).violations and time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            answers = await self._readiness()
        return answers

    async def _lag(self) -> dict[str, int]:
        """What each consumer group has still to read (a group stuck after a fault shows)."""
        prefix = self.city.layout.topic_prefix
        try:
            snapshot = await read_offsets(self.city.layout.kafka or "", prefix, "bench-faults")
        except Exception as exc:  # the verdict says it could not be read
            return {f"unknown ({type(exc).__name__})": -1}
        lag: dict[str, int] = {}
        for row in snapshot.lag_rows():
            lag[row.group] = lag.get(row.group, 0) + row.lag
        return lag

    async def _readiness(self) -> dict[str, tuple[int | None, str]]:
        answers: dict[str, tuple[int | None, str]] = {}
        async with httpx.AsyncClient(timeout=10) as http:
            for name, child in self.city.services.items():
                try:
                    response = await http.get(child.url + "/readyz")
                    answers[name] = (response.status_code, response.text[:300])
                except httpx.HTTPError as exc:
                    answers[name] = (None, f"no answer: {type(exc).__name__}")
        return answers

    async def _messages_out(self, preferred: Mapping[str, str], timeout_s: float) -> None:
        """Until every message due so far (`_messages.due_messages`) was queued and reached a
        sink, or the timeout."""
        deadline = time.monotonic() + timeout_s
        path = self.city.records / "messages.jsonl"
        rules = shipped_rules()
        missing: set[tuple[str, str]] = set()
        while time.monotonic() < deadline:
            arrived = {m["reference"] for m in records(path)}
            queued = queued_by_due(self.stream)
            missing = {
                due
                for due in due_messages(self.stream, rules, preferred)
                if not any(e.data["notification_id"] in arrived for e in queued.get(due, []))
            }
            if not missing:
                return
            await asyncio.sleep(1.0)
        self.say(f"{len(missing)} messages due have not arrived after {timeout_s:.0f} s")

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
                return len(view["timeline"]) == len(shown_on_the_stream(self.stream, s.dossier_id))

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
