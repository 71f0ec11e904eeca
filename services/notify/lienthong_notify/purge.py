"""Purge of personal data: message bodies and recipients, and closed dossiers' contacts,
after `retention_days`. What stays is the log staff need: channel, event, status, times."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import structlog

from lienthong.runtime import Periodic
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
    """The purge as a background task, every `interval_s` while the service runs (a failed
    round is logged by the loop and is retried the next round)."""

    def __init__(
        self,
        outbox: Outbox,
        contacts: ContactBook,
        retention: timedelta,
        interval_s: float,
        clock: Callable[[], datetime],
    ) -> None:
        self.outbox, self.contacts, self.retention, self.clock = outbox, contacts, retention, clock
        # Replicas started together spread their purges rather than racing for the same rows.
        self._rounds = Periodic("notify-purge", interval_s, self.purge_once, jitter=0.1)

    async def purge_once(self) -> tuple[int, int]:
        return await purge_personal_data(self.outbox, self.contacts, self.clock(), self.retention)

    async def start(self) -> None:
        await self._rounds.start()

    async def stop(self) -> None:
        await self._rounds.stop()
