"""Following dossiers to their final state.

On real infrastructure: a raw aiokafka consumer (no group: it reads every partition from the
beginning and commits nothing) on the run's `dossier.events`, each record decoded with the
kernel's CloudEvents binary-mode codec and filed under its subject, the dossier id. Times are
the records' Kafka timestamps (set by the producing service, same host clock as the bench).

Embedded (no Kafka): the citizen's tracking API, polled sparingly; completion times are the
timeline's own (`at` of `dossier.completed`), so polling late does not blur them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from _load import Submission
from aiokafka import AIOKafkaConsumer

from lienthong.events import Event, MalformedEvent, RawMessage, decode

COMPLETED = "dossier.completed"
TERMINAL = frozenset(
    {
        "dossier.rejected",
        "dossier.refused",
        "dossier.routing-failed",
        "dossier.withdrawn",
        "dossier.processing-stopped",
        "agency.task-failed",
    }
)
AT_DESK = "dossier.result-ready"  # final when the result waits at the counter (not electronic)
TASK_DELIVERED = "agency.task-delivered"
RECEIVED = "dossier.received"
QUEUED, SENT = "dossier.notification-queued", "dossier.notification-sent"


@dataclass
class Track:
    """What the bench saw of one dossier: first time (epoch s) of each event type."""

    first: dict[str, float] = field(default_factory=dict)
    events: int = 0
    final: str | None = None  # completed, at_desk, or the terminal event type
    final_at: float | None = None
    notification_trigger: dict[str, str] = field(default_factory=dict)  # id → trigger
    sent_at: dict[str, float] = field(default_factory=dict)  # notification id → time

    def message_for(self, trigger: str) -> float | None:
        """When the first message about `trigger` was handed to its provider."""
        times = [t for n, t in self.sent_at.items() if self.notification_trigger.get(n) == trigger]
        return min(times) if times else None

    def record(self, kind: str, at: float, data: dict[str, Any]) -> None:
        self.events += 1
        self.first.setdefault(kind, at)
        if kind == QUEUED:
            self.notification_trigger[str(data.get("notification_id"))] = str(data.get("trigger"))
        elif kind == SENT:
            self.sent_at.setdefault(str(data.get("notification_id")), at)
        if self.final is not None:
            return
        if kind == COMPLETED:
            self.final, self.final_at = "completed", at
        elif kind in TERMINAL:
            self.final, self.final_at = kind, at
        elif kind == AT_DESK and data.get("delivery", "electronic") != "electronic":
            self.final, self.final_at = "at_desk", at


class KafkaFollower:
    def __init__(self, bootstrap: str, topic: str) -> None:
        self.topic = topic
        self.tracks: dict[str, Track] = {}
        self.records = 0
        self.malformed = 0
        self.last_record_mono = time.monotonic()
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            client_id="bench-e2e-follower",
        )
        self._task: asyncio.Task[None] | None = None
        self.on_final: Callable[[str, Track], None] = lambda _id, _t: None
        self.on_event: Callable[[Event], None] = lambda _e: None  # each, in partition order

    async def start(self, timeout_s: float = 60.0) -> None:
        """Read every partition from the beginning (no group: all partitions are ours)."""
        self._consumer.subscribe([self.topic])
        await self._consumer.start()
        deadline = time.monotonic() + timeout_s
        while not self._consumer.assignment():
            if time.monotonic() > deadline:
                raise TimeoutError(f"no partitions of {self.topic} after {timeout_s:.0f}s")
            await self._consumer.getmany(timeout_ms=200, max_records=1)  # joins, then reads
        await self._consumer.seek_to_beginning()
        self._task = asyncio.create_task(self._run(), name="bench-follower")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()

    async def _run(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100, max_records=2000)
            for records in batches.values():
                for record in records:
                    self._file(record.key, record.value, record.headers, record.timestamp)

    def _file(self, key: Any, value: Any, headers: Any, timestamp_ms: int) -> None:
        self.records += 1
        self.last_record_mono = time.monotonic()
        raw = RawMessage(self.topic, key, value or b"", tuple(headers))
        try:
            event = decode(raw)
        except MalformedEvent:
            self.malformed += 1
            return
        self.on_event(event)
        track = self.tracks.setdefault(event.subject, Track())
        was_final = track.final is not None
        track.record(event.type, timestamp_ms / 1000, event.data)
        if not was_final and track.final is not None:
            self.on_final(event.subject, track)

    async def wait_final(self, ids: Iterable[str], timeout_s: float) -> list[str]:
        """Wait until every dossier of `ids` is final; returns those that are not."""
        wanted = set(ids)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._task is not None and self._task.done():
                self._task.result()  # the follower crashed: say why
            pending = [i for i in wanted if (t := self.tracks.get(i)) is None or t.final is None]
            if not pending:
                return []
            await asyncio.sleep(0.2)
        return [i for i in wanted if (t := self.tracks.get(i)) is None or t.final is None]

    async def wait_quiet(self, quiet_s: float, timeout_s: float) -> bool:
        """Wait until no record arrived for `quiet_s` (notifications, survey invitations and
        other after-effects of completion are done); False if still busy at the timeout."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if time.monotonic() - self.last_record_mono >= quiet_s:
                return True
            await asyncio.sleep(0.2)
        return False


# --- embedded: the tracking API ----------------------------------------------------------

TRACKING_FINAL = {
    "result_returned": "completed",
    "processing_done": "at_desk",
    "not_received": "dossier.rejected",
    "withdrawn": "dossier.withdrawn",
}


class TrackingFollower:
    """Polls `GET /v1/tracking/{code}?secret=` of received dossiers: each one first after
    `first_poll_s`, then every `interval_s`, at most `max_per_s` requests overall."""

    def __init__(self, url: str, first_poll_s: float, interval_s: float, max_per_s: float) -> None:
        self.url = url
        self.first_poll_s, self.interval_s, self.max_per_s = first_poll_s, interval_s, max_per_s
        self.tracks: dict[str, Track] = {}
        self.polls = 0
        self._due: dict[str, float] = {}
        self._by_id: dict[str, Submission] = {}

    def add(self, submission: Submission) -> None:
        """Follow this dossier (if it was received)."""
        if submission.code:
            self._due[submission.dossier_id] = submission.answered_at + self.first_poll_s
            self._by_id[submission.dossier_id] = submission

    async def run(self, all_added: asyncio.Event, timeout_s: float) -> list[str]:
        """Poll until every dossier added is final (and no more will be added); returns the
        ids still not final at the timeout."""
        deadline = time.monotonic() + timeout_s
        per_tick = max(1, int(self.max_per_s / 10))
        async with httpx.AsyncClient(base_url=self.url, timeout=30) as client:
            while (self._due or not all_added.is_set()) and time.monotonic() < deadline:
                now = time.time()
                ready = sorted((t, i) for i, t in self._due.items() if t <= now)[:per_tick]
                for _, dossier_id in ready:
                    if await self._poll(client, self._by_id[dossier_id]):
                        del self._due[dossier_id]
                    else:
                        self._due[dossier_id] = time.time() + self.interval_s
                await asyncio.sleep(0.1)
        return sorted(self._due)

    async def _poll(self, client: httpx.AsyncClient, submission: Submission) -> bool:
        self.polls += 1
        params = {"secret": submission.secret}
        response = await client.get(f"/v1/tracking/{submission.code}", params=params)
        if response.status_code != 200:
            return False  # not projected yet (404) or limited (429): later
        view = response.json()
        final = TRACKING_FINAL.get(view["status"])
        if final is None:
            return False
        track = Track()
        for entry in view["timeline"]:
            track.record(entry["type"], datetime.fromisoformat(entry["at"]).timestamp(), {})
        if track.final is None:  # no dossier.completed row: the status says how it ended
            track.final = final
            track.final_at = datetime.fromisoformat(view["timeline"][-1]["at"]).timestamp()
        self.tracks[submission.dossier_id] = track
        return True
