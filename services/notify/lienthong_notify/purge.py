"""Purge of personal data: message bodies and recipients, and closed dossiers' contacts,
after `retention_days`. What stays is the log staff need: channel, event, status, times."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from lienthong_notify.contacts import ContactBook
from lienthong_notify.outbox import Outbox

log = structlog.get_logger("lienthong.notify.purge")


async def purge_personal_data(
    outbox: Outbox, contacts: ContactBook, now: datetime, retention: timedelta
) -> tuple[int, int]:
    """(messages purged, contacts purged) for everything older than `now - retention`."""
    cutoff = now - retention
    messages = await outbox.purge(cutoff, now)
    people = await contacts.purge(cutoff, now)
    if messages or people:
        log.info("personal_data_purged", messages=messages, contacts=people)
    return messages, people


class PeriodicPurge:
    def __init__(
        self,
        outbox: Outbox,
        contacts: ContactBook,
        retention: timedelta,
        interval_s: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.outbox, self.contacts, self.retention = outbox, contacts, retention
        self.interval_s, self.clock = interval_s, clock
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="notify-purge")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            try:
                await purge_personal_data(self.outbox, self.contacts, self.clock(), self.retention)
            except Exception as exc:  # try again next round
                log.error("purge_failed", error=type(exc).__name__)
            await asyncio.sleep(self.interval_s)
