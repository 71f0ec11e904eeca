"""The statutory working calendar (lịch làm việc của cơ quan hành chính) in Asia/Ho_Chi_Minh.

Working days come from the `holidays` package (Vietnam: public holidays, compensatory days
off, and the make-up working Saturdays it knows as `weekend_workdays`), corrected by yearly
override files for days the government or the city adds. Office hours, the 15:00 cut-off and
the day's closing time live in `OfficeHours`. See docs/calendar.md.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from importlib.abc import Traversable
from importlib.resources import files
from pathlib import Path

import yaml
from pydantic import model_validator

from lienthong.domain.localtime import local_moment, to_local
from lienthong.domain.vocabulary import StrictModel

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class OfficeHours:
    """Giờ hành chính: two sessions a day, the receipt cut-off and the closing time."""

    morning_start: time = time(7, 30)
    morning_end: time = time(11, 30)
    afternoon_start: time = time(13, 0)
    afternoon_end: time = time(17, 0)
    cutoff: time = time(15, 0)

    def __post_init__(self) -> None:
        ordered = [self.morning_start, self.morning_end, self.afternoon_start, self.afternoon_end]
        if ordered != sorted(ordered) or len(set(ordered)) != 4:
            raise ValueError("office sessions must be ordered and non-empty")
        if not self.morning_start <= self.cutoff <= self.afternoon_end:
            raise ValueError("the cut-off must fall within office hours")

    @property
    def closing(self) -> time:
        """Time of day at which a limit counted in days ends."""
        return self.afternoon_end

    @property
    def minutes_per_day(self) -> int:
        return _minutes(self.morning_start, self.morning_end) + _minutes(
            self.afternoon_start, self.afternoon_end
        )

    def sessions(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        """The two office sessions of `day` as aware local datetimes."""
        return tuple(
            (_at(day, start), _at(day, end))
            for start, end in (
                (self.morning_start, self.morning_end),
                (self.afternoon_start, self.afternoon_end),
            )
        )


def _minutes(start: time, end: time) -> int:
    return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)


def _at(day: date, moment: time) -> datetime:
    return local_moment(day, moment.hour, moment.minute)


class CalendarDay(StrictModel):
    """A day named in an override file."""

    date: date
    name: str
    note: str | None = None


class CalendarOverrides(StrictModel):
    """Yearly corrections: extra days off and extra working days (e.g. make-up Saturdays)."""

    year: int
    source: str | None = None
    days_off: tuple[CalendarDay, ...] = ()
    working_days: tuple[CalendarDay, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> CalendarOverrides:
        for day in (*self.days_off, *self.working_days):
            if day.date.year != self.year:
                raise ValueError(f"{day.date} is not in year {self.year}")
        both = {d.date for d in self.days_off} & {d.date for d in self.working_days}
        if both:
            raise ValueError(f"days both off and working: {sorted(both)}")
        return self


class WorkingCalendar:
    """Which days are working days, and how working time adds up within office hours."""

    def __init__(
        self, overrides: Iterable[CalendarOverrides] = (), hours: OfficeHours | None = None
    ) -> None:
        self.hours = hours or OfficeHours()
        self._extra_off: dict[date, str] = {}
        self._extra_working: dict[date, str] = {}
        for override in overrides:
            self._extra_off.update({d.date: d.name for d in override.days_off})
            self._extra_working.update({d.date: d.name for d in override.working_days})
        self._years: dict[int, dict[date, str]] = {}

    def _non_working(self, year: int) -> dict[date, str]:
        """Non-working days of a year with the reason, computed once per year."""
        if year not in self._years:
            import holidays  # on first use: importing it takes about 0.2 s

            # Neighbouring years too: a make-up Saturday can be declared in the next year's data.
            source = holidays.country_holidays("VN", years=range(year - 1, year + 2), language="vi")
            found: dict[date, str] = {}
            day = date(year, 1, 1)
            while day.year == year:
                if day in self._extra_off:
                    found[day] = self._extra_off[day]
                elif day not in self._extra_working and not source.is_working_day(day):
                    found[day] = source.get(day) or (
                        "Thứ Bảy" if day.weekday() == 5 else "Chủ nhật"
                    )
                day += timedelta(days=1)
            self._years[year] = found
        return self._years[year]

    def is_working_day(self, day: date) -> bool:
        return day not in self._non_working(day.year)

    def day_off_reason(self, day: date) -> str | None:
        """Why `day` is not a working day (holiday name, weekend), or None if it is one."""
        return self._non_working(day.year).get(day)

    def non_working_days(self, year: int) -> list[tuple[date, str]]:
        return sorted(self._non_working(year).items())

    def working_weekend_days(self, year: int) -> list[tuple[date, str]]:
        """Saturdays and Sundays that are working days (ngày làm việc bù), with the reason."""
        non_working = self._non_working(year)
        found: list[tuple[date, str]] = []
        day = date(year, 1, 1)
        while day.year == year:
            if day.weekday() >= 5 and day not in non_working:
                found.append((day, self._extra_working.get(day, "Ngày làm việc bù")))
            day += timedelta(days=1)
        return found

    def working_day_on_or_after(self, day: date) -> date:
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return day

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after `day`."""
        return self.working_day_on_or_after(day + timedelta(days=1))

    def add_working_days(self, day: date, count: int) -> date:
        """The `count`-th working day after `day`; with 0, `day` itself if it is a working day."""
        if count < 0:
            raise ValueError("count must not be negative")
        result = self.working_day_on_or_after(day) if count == 0 else day
        for _ in range(count):
            result = self.next_working_day(result)
        return result

    def working_days_between(self, start: date, end: date) -> int:
        """How many working days d satisfy start < d <= end."""
        count, day = 0, start + timedelta(days=1)
        while day <= end:
            count += self.is_working_day(day)
            day += timedelta(days=1)
        return count

    def _sessions_from(self, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Office sessions from `moment` onward, the first one clipped to start at it."""
        day = moment.date()
        while True:
            if self.is_working_day(day):
                for start, end in self.hours.sessions(day):
                    if end > moment:
                        yield max(start, moment), end
            day += timedelta(days=1)

    def advance_working_minutes(self, moment: datetime, minutes: int) -> datetime:
        """The earliest moment at which `minutes` of office time have passed since `moment`."""
        if minutes < 0:
            raise ValueError("minutes must not be negative")
        moment = to_local(moment)
        if minutes == 0:
            return moment
        remaining = timedelta(minutes=minutes)
        for start, end in self._sessions_from(moment):
            if end - start >= remaining:
                return start + remaining
            remaining -= end - start
        raise AssertionError("unreachable: sessions never end")  # pragma: no cover

    def working_minutes_between(self, start: datetime, end: datetime) -> int:
        """Office minutes between two moments (0 when end is not after start)."""
        start, end = to_local(start), to_local(end)
        total = timedelta()
        for begin, finish in self._sessions_from(start):
            if begin >= end:
                break
            total += min(finish, end) - begin
        return int(total.total_seconds() // 60)


def load_calendar_overrides(source: Path | Traversable) -> list[CalendarOverrides]:
    """Every `*.yaml` override file directly under `source`, sorted by name."""
    found: list[CalendarOverrides] = []
    for item in sorted(source.iterdir(), key=lambda entry: entry.name):
        if item.name.endswith((".yaml", ".yml")):
            data = yaml.load(item.read_text(encoding="utf-8"), Loader=SafeLoader)  # noqa: S506
            found.append(CalendarOverrides.model_validate(data))
    return found


def shipped_calendar_dir() -> Traversable:
    return files("lienthong").joinpath("data", "calendar")


@functools.cache
def default_calendar() -> WorkingCalendar:
    """The Vietnamese calendar with the shipped override files and default office hours."""
    return WorkingCalendar(load_calendar_overrides(shipped_calendar_dir()))
