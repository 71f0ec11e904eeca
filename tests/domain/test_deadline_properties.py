"""Properties of the statutory clock, checked on many generated receipts (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta, timezone
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from lienthong.domain import VIETNAM_TZ, Deadline, Limit, TimeUnit, WorkingCalendar
from lienthong.domain.deadlines import counted_receipt_day
from lienthong.domain.localtime import local_moment, to_local

CALENDAR = WorkingCalendar()  # holidays package only: the properties hold for any calendar

moments = st.datetimes(
    min_value=datetime(2019, 1, 1),
    max_value=datetime(2030, 12, 31),
    timezones=st.sampled_from([VIETNAM_TZ, UTC, timezone(timedelta(hours=-5))]),
)
units = st.sampled_from(list(TimeUnit))
limits = st.integers(min_value=0, max_value=40)


@settings(max_examples=300, deadline=None)
@given(received=moments, value=limits, unit=units, cutoff=st.booleans())
def test_a_due_moment_is_never_on_a_non_working_day(
    received: datetime, value: int, unit: TimeUnit, cutoff: bool
) -> None:
    due = Deadline(CALENDAR, Limit(value, unit, cutoff), received).due_at()
    assert due.tzinfo is not None
    assert CALENDAR.is_working_day(to_local(due).date())
    if unit is not TimeUnit.WORKING_HOURS:
        assert to_local(due).time() == time(17, 0)
    assert due >= to_local(received) - timedelta(days=1)  # never before the receipt day


@settings(max_examples=300, deadline=None)
@given(
    first=moments,
    gap=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)),
    value=limits,
    unit=units,
    cutoff=st.booleans(),
)
def test_a_later_receipt_never_gives_an_earlier_due_moment(
    first: datetime, gap: timedelta, value: int, unit: TimeUnit, cutoff: bool
) -> None:
    limit = Limit(value, unit, cutoff)
    earlier = Deadline(CALENDAR, limit, first).due_at()
    later = Deadline(CALENDAR, limit, first + gap).due_at()
    assert earlier <= later


@settings(max_examples=300, deadline=None)
@given(
    received=moments,
    value=st.integers(min_value=0, max_value=30),
    cutoff=st.booleans(),
    position=st.floats(min_value=0, max_value=1),
    pause_days=st.integers(min_value=0, max_value=15),
)
def test_pausing_k_working_days_moves_the_due_moment_by_exactly_k_working_days(
    received: datetime, value: int, cutoff: bool, position: float, pause_days: int
) -> None:
    deadline = Deadline(CALENDAR, Limit(value, TimeUnit.WORKING_DAYS, cutoff), received)
    due = deadline.due_at()
    paused_at = to_local(received) + (due - to_local(received)) * position
    paused_day = counted_receipt_day(CALENDAR, paused_at, cutoff_applies=False)
    if pause_days == 0:
        resumed_at = paused_at
    else:  # 10:00 on the k-th working day after the day the request counts on
        resumed_at = local_moment(CALENDAR.add_working_days(paused_day, pause_days), 10)
    # the request's day, without the receipt cut-off (docs/calendar.md)
    moved = deadline.pause(paused_at).resume(resumed_at).due_at()
    expected_day = CALENDAR.add_working_days(to_local(due).date(), pause_days)
    assert moved == local_moment(expected_day, 17)
    assert CALENDAR.working_days_between(to_local(due).date(), to_local(moved).date()) == pause_days


@settings(max_examples=300, deadline=None)
@given(
    received=moments,
    value=st.integers(min_value=1, max_value=30),
    unit=units,
    cutoff=st.booleans(),
    first=st.floats(min_value=0, max_value=1),
    second=st.floats(min_value=0, max_value=1),
    pause=st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10)),
)
def test_a_later_supplement_request_never_gives_an_earlier_due_moment(
    received: datetime,
    value: int,
    unit: TimeUnit,
    cutoff: bool,
    first: float,
    second: float,
    pause: timedelta,
) -> None:
    deadline = Deadline(CALENDAR, Limit(value, unit, cutoff), received)
    due = deadline.due_at()
    span = due - to_local(received)
    early, late = sorted((first, second))
    resumed_at = to_local(received) + span * late + pause
    from_early = deadline.pause(to_local(received) + span * early).resume(resumed_at).due_at()
    from_late = deadline.pause(to_local(received) + span * late).resume(resumed_at).due_at()
    assert from_early >= from_late


@settings(max_examples=200, deadline=None)
@given(received=moments, value=st.integers(min_value=0, max_value=20), cutoff=st.booleans())
def test_working_days_and_their_shares_agree(received: datetime, value: int, cutoff: bool) -> None:
    deadline = Deadline(CALENDAR, Limit(value, TimeUnit.WORKING_DAYS, cutoff), received)
    receipt_day = deadline.receipt_day
    assert CALENDAR.is_working_day(receipt_day)
    assert deadline.due_at() == local_moment(CALENDAR.add_working_days(receipt_day, value), 17)
    assert deadline.due_at(0) == local_moment(receipt_day, 17)
    assert deadline.due_at(0) <= deadline.due_at(Fraction(1, 2)) <= deadline.due_at()
