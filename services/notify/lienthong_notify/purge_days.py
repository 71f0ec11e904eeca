"""Documents filed by UTC day, so that the purge reads one day at a time by equality.

The purge must find what fell out of retention without a range query over the whole collection
(FerretDB evaluates ranges over every document; MongoDB would need them too at millions of
messages). So each document carries the day of its retention start in an indexed field, and a
mark per collection (in `purge_marks`) says the first day that may still hold something to
purge. A round reads the days from the mark to the cutoff's day, each by one equality lookup:
its bound is the documents of the days it reads (one day each, once the purge keeps up). The
mark moves past a day only when nothing on it is left to purge, so a message still being
retried on an old day holds it back and is purged later.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta

from lienthong.store import VERSION_FIELD, Collection, Document

PURGE_MARKS = "purge_marks"


def day_of(moment: datetime) -> str:
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).date().isoformat()


class DayFiling:
    """The days of one collection's documents, and the purge's mark over them."""

    def __init__(self, documents: Collection, marks: Collection, field: str) -> None:
        self.documents = documents
        self.marks = marks
        self.field = field
        self._noted: str | None = None  # the earliest day this process made sure of

    async def prepare(self) -> None:
        await self.documents.ensure_index([(self.field, 1)])

    async def note(self, day: str) -> None:
        """Before the first document of `day` is written: the mark is at `day` or earlier.
        Once per process (and day before the last noted, after a clock change)."""
        if self._noted is not None and self._noted <= day:
            return
        # Written only where the stored mark is later (the version is minus the day's ordinal).
        await self.marks.put_if_newer({"_id": self.documents.name, "day": day}, _version(day))
        self._noted = day

    async def days_to_read(self, cutoff: datetime) -> list[str]:
        """The days from the mark to the cutoff's day (none before the first document)."""
        mark = await self.marks.get(self.documents.name)
        if mark is None:
            return []
        first, last = date.fromisoformat(mark["day"]), date.fromisoformat(day_of(cutoff))
        return [(first + timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]

    async def purge(
        self,
        cutoff: datetime,
        now: datetime,
        ready: Callable[[Document], bool],
        personal_fields: Sequence[str],
    ) -> int:
        """Blank `personal_fields` of the documents `ready` to go, day by day from the mark;
        returns how many. The mark moves past each day with nothing left on it."""
        purged, complete = 0, True
        for day in await self.days_to_read(cutoff):
            left = False
            for doc in await self.documents.find({self.field: day}):
                if "purged_at" in doc:
                    continue
                if not ready(doc):
                    left = True  # still in hand, or not old enough: a later round
                    continue
                blank = {**dict.fromkeys(personal_fields), "purged_at": now}
                await self.documents.update(doc["_id"], blank)
                purged += 1
            complete = complete and not left
            if complete:
                await self.advance_past(day, cutoff)
        return purged

    async def advance_past(self, day: str, cutoff: datetime) -> None:
        """Nothing is left to purge on `day` or before: the mark moves to the next day. Never
        past the cutoff's own day, whose later hours may still be written."""
        if day >= day_of(cutoff):
            return
        following = (date.fromisoformat(day) + timedelta(days=1)).isoformat()
        mark = {"_id": self.documents.name, "day": following, VERSION_FIELD: _version(following)}
        await self.marks.replace(mark)


def _version(day: str) -> int:
    return -date.fromisoformat(day).toordinal()
