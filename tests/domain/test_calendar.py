"""Working days: the holidays package, make-up Saturdays, yearly overrides, office hours."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest
from pydantic import ValidationError

from lienthong.domain import (
    CalendarOverrides,
    OfficeHours,
    WorkingCalendar,
    load_calendar_overrides,
)
from lienthong.domain.calendar import shipped_calendar_dir
from tests.domain.helpers import vn


def test_tet_2026_is_five_days_off_around_the_lunar_new_year(calendar: WorkingCalendar) -> None:
    tet = [date(2026, 2, day) for day in range(16, 21)]
    assert not any(calendar.is_working_day(day) for day in tet)
    assert calendar.day_off_reason(date(2026, 2, 17)) == "Tết Nguyên Đán"
    assert calendar.is_working_day(date(2026, 2, 13))
    assert calendar.next_working_day(date(2026, 2, 13)) == date(2026, 2, 23)


def test_reunification_and_labour_day_2026(calendar: WorkingCalendar) -> None:
    assert not calendar.is_working_day(date(2026, 4, 30))
    assert not calendar.is_working_day(date(2026, 5, 1))
    # Hùng Kings' day fell on Sunday 26 April: compensatory day off on Monday 27
    assert not calendar.is_working_day(date(2026, 4, 27))
    assert calendar.is_working_day(date(2026, 4, 28))
    assert calendar.next_working_day(date(2026, 4, 29)) == date(2026, 5, 4)


def test_make_up_saturdays_known_to_holidays_are_working_days(calendar: WorkingCalendar) -> None:
    assert calendar.is_working_day(date(2026, 8, 22))  # swapped with Monday 31 August
    assert not calendar.is_working_day(date(2026, 8, 31))
    assert calendar.is_working_day(date(2025, 4, 26))  # swapped with Friday 2 May 2025
    assert not calendar.is_working_day(date(2025, 5, 2))
    assert (date(2026, 8, 22), "Ngày làm việc bù") in calendar.working_weekend_days(2026)
    assert not calendar.is_working_day(date(2026, 8, 29))  # an ordinary Saturday


def test_overrides_add_days_off_and_working_days() -> None:
    override = CalendarOverrides(
        year=2026,
        source="test",
        days_off=[{"date": date(2026, 3, 10), "name": "Ngày nghỉ của thành phố"}],
        working_days=[{"date": date(2026, 3, 14), "name": "Thứ Bảy làm bù"}],
    )
    calendar = WorkingCalendar([override])
    assert not calendar.is_working_day(date(2026, 3, 10))
    assert calendar.day_off_reason(date(2026, 3, 10)) == "Ngày nghỉ của thành phố"
    assert calendar.is_working_day(date(2026, 3, 14))
    assert calendar.working_weekend_days(2026)[0] == (date(2026, 3, 14), "Thứ Bảy làm bù")
    assert calendar.add_working_days(date(2026, 3, 9), 1) == date(2026, 3, 11)


def test_override_files_are_validated(tmp_path: Path) -> None:
    (tmp_path / "2026.yaml").write_text(
        "year: 2026\ndays_off:\n  - {date: 2026-03-10, name: Nghỉ}\nworking_days: []\n"
    )
    [override] = load_calendar_overrides(tmp_path)
    assert override.days_off[0].date == date(2026, 3, 10)
    with pytest.raises(ValidationError, match="not in year"):
        CalendarOverrides(year=2025, days_off=[{"date": date(2026, 1, 2), "name": "x"}])
    with pytest.raises(ValidationError, match="both off and working"):
        CalendarOverrides(
            year=2026,
            days_off=[{"date": date(2026, 1, 3), "name": "x"}],
            working_days=[{"date": date(2026, 1, 3), "name": "y"}],
        )


def test_shipped_override_files_load() -> None:
    years = [override.year for override in load_calendar_overrides(shipped_calendar_dir())]
    assert years == [2025, 2026]


def test_adding_and_counting_working_days(calendar: WorkingCalendar) -> None:
    monday = date(2026, 3, 2)
    assert calendar.add_working_days(monday, 0) == monday
    assert calendar.add_working_days(monday, 5) == date(2026, 3, 9)
    assert calendar.add_working_days(date(2026, 3, 7), 0) == date(2026, 3, 9)  # Saturday
    assert calendar.working_days_between(monday, date(2026, 3, 9)) == 5
    assert calendar.working_days_between(date(2026, 3, 9), monday) == 0
    with pytest.raises(ValueError, match="negative"):
        calendar.add_working_days(monday, -1)


def test_working_minutes_count_only_office_sessions(calendar: WorkingCalendar) -> None:
    monday_9 = vn(2026, 3, 2, 9, 0)
    assert calendar.working_minutes_between(monday_9, vn(2026, 3, 2, 14, 0)) == 150 + 60
    assert calendar.working_minutes_between(monday_9, vn(2026, 3, 3, 9, 0)) == 480
    assert calendar.advance_working_minutes(monday_9, 150) == vn(2026, 3, 2, 11, 30)
    assert calendar.advance_working_minutes(monday_9, 151) == vn(2026, 3, 2, 13, 1)
    assert calendar.advance_working_minutes(vn(2026, 3, 2, 17, 0), 1) == vn(2026, 3, 3, 7, 31)
    # across Tết: Friday 13 February 16:00 → Monday 23 February
    assert calendar.advance_working_minutes(vn(2026, 2, 13, 16, 0), 90) == vn(2026, 2, 23, 8, 0)


def test_office_hours_are_checked() -> None:
    assert OfficeHours().minutes_per_day == 480
    with pytest.raises(ValueError, match="ordered"):
        OfficeHours(morning_end=time(14, 0))
    with pytest.raises(ValueError, match="cut-off"):
        OfficeHours(cutoff=time(18, 0))
    custom = WorkingCalendar(hours=OfficeHours(afternoon_end=time(16, 30), cutoff=time(16, 0)))
    assert custom.hours.closing == time(16, 30)
    assert custom.hours.minutes_per_day == 450
