"""What the console's HTTP routes share: its read models, the sampler, the tail, the
dead-letter book, and the one place where an operator's action becomes an event."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

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

    async def lag(self) -> list[PartitionLag]:
        return (await self.bus.offsets()).lag_rows()

    async def letters(self, group: str | None, settled: bool = False) -> list[DeadLetter]:
        return await self.book.letters(group, include_settled=settled)

    async def replay(
        self, user: ConsoleUser, ids: list[str], reason: str | None, dry_run: bool
    ) -> list[DeadLetter]:
        report = await self.book.replay(
            ids,
            actor(user),
            reason=reason,
            dry_run=dry_run,
            pace_per_s=self.config.replay_pace_per_s,
        )
        return list(report.letters)

    async def discard(self, user: ConsoleUser, ids: list[str], reason: str) -> list[DeadLetter]:
        return await self.book.discard(ids, actor(user), reason)

    async def stop(self) -> None:
        await asyncio.gather(self.sampler.stop(), self.tail.stop())


def actor(user: ConsoleUser) -> Actor:
    return Actor(user.subject, user.role)
