"""What the console's HTTP routes share: its read models, the sampler, the tail, the
dead-letter book, and the one place where an operator's action becomes an event."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import structlog

from lienthong.bus import Bus, PartitionLag
from lienthong.ops import Actor, DeadLetter, DeadLetterBook
from lienthong_console.access import ConsoleUser
from lienthong_console.config import ConsoleConfig
from lienthong_console.sampler import Sampler
from lienthong_console.tail import TailHub
from lienthong_console.views import ConsoleViews


def letter_json(letter: DeadLetter) -> dict[str, Any]:
    """A dead letter as the API and the pages show it (payload masked)."""
    settled = letter.settled_by
    return {
        "id": letter.id,
        "group": letter.group,
        "dlq_partition": letter.partition,
        "dlq_offset": letter.offset,
        "original_topic": letter.original_topic,
        "original_partition": letter.original_partition,
        "original_offset": letter.original_offset,
        "event_type": letter.event_type,
        "event_id": letter.event_id,
        "subject": letter.subject,
        "error_type": letter.error_type,
        "error_message": letter.error_message,
        "attempts": letter.attempts,
        "failed_at": letter.failed_at.isoformat() if letter.failed_at else None,
        "state": letter.state,
        "settled_by": settled.actor if settled else None,
        "settled_reason": settled.reason if settled else None,
        "payload": letter.masked_payload,
    }


log = structlog.get_logger("lienthong.console")

# A replay longer than this many seconds at the configured pace runs as a job the operator
# watches (`/console/replays/<id>`), not inside the request.
INLINE_REPLAY_S = 2.0
KEPT_JOBS = 50
PENDING_TTL_S = 15.0


@dataclass
class ReplayJob:
    """A replay running in the background: how far it is, who started it, how it ended."""

    id: str
    actor: str
    total: int
    started_at: datetime
    done: int = 0
    state: str = "running"  # running | finished | failed
    error: str | None = None
    replayed: list[str] = field(default_factory=list)
    task: asyncio.Task[None] | None = field(default=None, repr=False)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "actor": self.actor,
            "total": self.total,
            "done": self.done,
            "state": self.state,
            "error": self.error,
            "started_at": self.started_at.isoformat(),
            "replayed": self.replayed,
        }


def payload_text(payload: Any) -> str:
    return (
        payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False, indent=2)
    )


@dataclass
class Console:
    bus: Bus
    views: ConsoleViews
    sampler: Sampler
    tail: TailHub
    book: DeadLetterBook
    config: ConsoleConfig
    jobs: OrderedDict[str, ReplayJob] = field(default_factory=OrderedDict)
    # One operator action at a time in this process: two clicks on one letter cannot both
    # find it pending and replay it twice.
    _acting: asyncio.Lock = field(default_factory=asyncio.Lock)
    _pending: tuple[float, int] | None = None

    async def lag(self) -> list[PartitionLag]:
        return (await self.bus.offsets()).lag_rows()

    async def pending_count(self) -> int:
        """How many dead letters wait, for the home page's card: read at most every
        `PENDING_TTL_S` (it reads every dead-letter topic and every operator action)."""
        now = asyncio.get_running_loop().time()
        if self._pending is None or now - self._pending[0] > PENDING_TTL_S:
            self._pending = (now, len(await self.book.letters()))
        return self._pending[1]

    async def letters(self, group: str | None, settled: bool = False) -> list[DeadLetter]:
        return await self.book.letters(group, include_settled=settled)

    async def replay(
        self, user: ConsoleUser, ids: list[str], reason: str | None, dry_run: bool
    ) -> list[DeadLetter]:
        if dry_run:
            report = await self.book.replay(ids, actor(user), reason=reason, dry_run=True)
            return list(report.letters)
        async with self._acting:
            report = await self.book.replay(
                ids, actor(user), reason=reason, pace_per_s=self.config.replay_pace_per_s
            )
        return list(report.letters)

    def runs_inline(self, count: int) -> bool:
        return count <= max(1.0, self.config.replay_pace_per_s * INLINE_REPLAY_S)

    async def start_replay(
        self, user: ConsoleUser, ids: list[str], reason: str | None
    ) -> ReplayJob:
        """Check the request now (unknown or settled ids are refused at once), then replay
        in the background at the configured pace."""
        plan = await self.book.replay(ids, actor(user), reason=reason, dry_run=True)
        job = ReplayJob(uuid.uuid4().hex[:12], user.subject, plan.count, datetime.now(UTC))

        def advanced(letter: DeadLetter, done: int, _total: int) -> None:
            job.done = done
            job.replayed.append(letter.id)

        async def run() -> None:
            try:
                async with self._acting:
                    await self.book.replay(
                        [letter.id for letter in plan.letters],
                        actor(user),
                        reason=reason,
                        pace_per_s=self.config.replay_pace_per_s,
                        progress=advanced,
                    )
                job.state = "finished"
            except Exception as exc:  # shown on the job's page; the letters left stay pending
                job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"[:300]
                log.error("replay_job_failed", job=job.id, error=type(exc).__name__)

        job.task = asyncio.create_task(run(), name=f"console:replay:{job.id}")
        self.jobs[job.id] = job
        while len(self.jobs) > KEPT_JOBS:
            oldest = next(iter(self.jobs.values()))
            if oldest.state == "running":
                break
            self.jobs.popitem(last=False)
        return job

    async def discard(self, user: ConsoleUser, ids: list[str], reason: str) -> list[DeadLetter]:
        async with self._acting:
            return await self.book.discard(ids, actor(user), reason)

    async def stop(self) -> None:
        for job in self.jobs.values():
            if job.task is not None and not job.task.done():
                job.task.cancel()  # what was put back is recorded; the rest stays pending
        await asyncio.gather(self.sampler.stop(), self.tail.stop())


def actor(user: ConsoleUser) -> Actor:
    return Actor(user.subject, user.role)
