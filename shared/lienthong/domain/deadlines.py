"""Due moments (hạn giải quyết) of dossiers and steps, pauses, and timeliness.

The convention is documented in docs/calendar.md. In short: a dossier received after the
cut-off, or on a non-working day, counts as received on the next working day; N working days
end at closing time on the N-th working day after that day; calendar days that end on a
non-working day roll to the next working day; working hours count office minutes. A pause
(supplement requested) moves the due moment by the time it lasted, measured in the limit's unit.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from enum import StrEnum
from fractions import Fraction

from lienthong.domain.calendar import WorkingCalendar
from lienthong.domain.errors import ClockStopped
from lienthong.domain.localtime import local_moment, to_local
from lienthong.domain.procedure import TimeLimit
from lienthong.domain.vocabulary import TimeUnit


@dataclass(frozen=True)
class Limit:
    """A time limit as the clock needs it."""

    value: int
    unit: TimeUnit
    cutoff_applies: bool = True

    @classmethod
    def of(cls, time_limit: TimeLimit) -> Limit:
        return cls(time_limit.value, time_limit.unit, time_limit.cutoff_applies)


@dataclass(frozen=True)
class Pause:
    """The clock stopped at `paused_at` (supplement requested) until `resumed_at`."""

    paused_at: datetime
    resumed_at: datetime | None = None


class Timeliness(StrEnum):
    """How a finished step or dossier compares with its due moment."""

    EARLY = "early"  # Trước hạn: finished on a day before the due day
    ON_TIME = "on_time"  # Đúng hạn: finished on the due day, not after the due moment
    LATE = "late"  # Quá hạn: finished after the due moment


def classify_completion(finished_at: datetime, due_at: datetime) -> Timeliness:
    finished, due = to_local(finished_at), to_local(due_at)
    if finished > due:
        return Timeliness.LATE
    if finished.date() < due.date():
        return Timeliness.EARLY
    return Timeliness.ON_TIME


def counted_receipt_day(calendar: WorkingCalendar, moment: datetime, cutoff_applies: bool) -> date:
    """The working day a receipt (or a resumption) counts on."""
    local = to_local(moment)
    cutoff = calendar.hours.cutoff if cutoff_applies else calendar.hours.closing
    day = local.date()
    if not calendar.is_working_day(day):
        return calendar.working_day_on_or_after(day)
    if local.time() > cutoff:
        return calendar.next_working_day(day)
    return day


def clock_start(calendar: WorkingCalendar, moment: datetime, cutoff_applies: bool) -> datetime:
    """When an hours-based clock starts: the receipt moment moved into office hours."""
    local = to_local(moment)
    day = counted_receipt_day(calendar, local, cutoff_applies)
    if day != local.date():
        return _opening(calendar, day)
    return _first_office_moment(calendar, local)


def _opening(calendar: WorkingCalendar, day: date) -> datetime:
    start = calendar.hours.morning_start
    return local_moment(day, start.hour, start.minute)


def _first_office_moment(calendar: WorkingCalendar, local: datetime) -> datetime:
    for start, end in calendar.hours.sessions(local.date()):
        if local < end:
            return max(start, local)
    return local  # only reached at closing time exactly: the clock starts and stops there


class Deadline:
    """The statutory clock of a dossier: receipt, limit and pauses; immutable."""

    def __init__(
        self,
        calendar: WorkingCalendar,
        limit: Limit,
        received_at: datetime,
        pauses: tuple[Pause, ...] = (),
    ) -> None:
        if limit.value < 0:
            raise ValueError("a time limit cannot be negative")
        self.calendar = calendar
        self.limit = limit
        self.received_at = to_local(received_at)
        self.pauses = pauses
        self.receipt_day = counted_receipt_day(calendar, received_at, limit.cutoff_applies)

    def _with(self, pauses: tuple[Pause, ...]) -> Deadline:
        return Deadline(self.calendar, self.limit, self.received_at, pauses)

    @property
    def is_paused(self) -> bool:
        return bool(self.pauses) and self.pauses[-1].resumed_at is None

    def pause(self, at: datetime) -> Deadline:
        """Stop the clock (a supplement was requested)."""
        if self.is_paused:
            raise ValueError("the clock is already paused")
        if self.pauses and at < (self.pauses[-1].resumed_at or at):
            raise ValueError("a pause cannot start before the previous one ended")
        if at < self.received_at:
            raise ValueError("a pause cannot start before the receipt")
        return self._with((*self.pauses, Pause(to_local(at))))

    def resume(self, at: datetime) -> Deadline:
        """Restart the clock (the supplement was provided)."""
        if not self.is_paused:
            raise ValueError("the clock is not paused")
        last = self.pauses[-1]
        if at < last.paused_at:
            raise ValueError("the clock cannot resume before it paused")
        return self._with((*self.pauses[:-1], replace(last, resumed_at=to_local(at))))

    def due_at(self, share: Fraction | int = 1) -> datetime:
        """Due moment of the given share of the limit (1 = the whole dossier)."""
        position = self._position(Fraction(share))
        due = self._moment(position)
        for pause in self.pauses:
            if pause.paused_at > due:
                break
            if pause.resumed_at is None:
                raise ClockStopped("the clock is paused until the supplement is provided")
            position += self._length(pause.paused_at, pause.resumed_at)
            due = self._moment(position)
        return due

    def _position(self, share: Fraction) -> Fraction:
        """Elapsed allowance in the unit's own measure: minutes for work time, days otherwise."""
        if self.limit.unit is TimeUnit.WORKING_DAYS:
            return share * self.limit.value * self.calendar.hours.minutes_per_day
        if self.limit.unit is TimeUnit.WORKING_HOURS:
            return share * self.limit.value * 60
        return share * self.limit.value

    def _moment(self, position: Fraction) -> datetime:
        calendar = self.calendar
        closing = calendar.hours.closing
        if self.limit.unit is TimeUnit.CALENDAR_DAYS:
            day = self.receipt_day + timedelta(days=math.floor(position))
            return local_moment(calendar.working_day_on_or_after(day), closing.hour, closing.minute)
        minutes = math.floor(position + Fraction(1, 2))
        if self.limit.unit is TimeUnit.WORKING_DAYS:
            anchor = local_moment(self.receipt_day, closing.hour, closing.minute)
        else:
            anchor = clock_start(calendar, self.received_at, self.limit.cutoff_applies)
        return calendar.advance_working_minutes(anchor, minutes)

    def _length(self, paused_at: datetime, resumed_at: datetime) -> Fraction:
        """How long a pause lasted. Both ends are placed on their working day without the
        15:00 cut-off, which is a rule for receipts: with it, a request at 16:00 would stop
        the clock for a day less than one at 14:00. An instant pause lasts 0."""
        calendar, cutoff = self.calendar, False
        if self.limit.unit is TimeUnit.WORKING_HOURS:
            stop = clock_start(calendar, paused_at, cutoff)
            restart = clock_start(calendar, resumed_at, cutoff)
            return Fraction(calendar.working_minutes_between(stop, restart))
        paused_day = counted_receipt_day(calendar, paused_at, cutoff)
        resumed_day = counted_receipt_day(calendar, resumed_at, cutoff)
        if self.limit.unit is TimeUnit.CALENDAR_DAYS:
            return Fraction(max(0, (resumed_day - paused_day).days))
        days = calendar.working_days_between(paused_day, resumed_day)
        return Fraction(days * calendar.hours.minutes_per_day)
