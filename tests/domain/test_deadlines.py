"""Due moments: the 15:00 rule, units of time, steps, pauses, early/on time/late."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from lienthong.domain import (
    Catalogue,
    ClockStopped,
    Deadline,
    DossierSchedule,
    Limit,
    NaiveDatetimeError,
    Timeliness,
    TimeUnit,
    WorkingCalendar,
    classify_completion,
)
from tests.domain.conftest import ProcedureFactory
from tests.domain.helpers import step, vn

WD, CD, WH = TimeUnit.WORKING_DAYS, TimeUnit.CALENDAR_DAYS, TimeUnit.WORKING_HOURS


def due(
    calendar: WorkingCalendar,
    received: datetime,
    value: int,
    unit: TimeUnit = WD,
    cutoff: bool = True,
) -> datetime:
    return Deadline(calendar, Limit(value, unit, cutoff), received).due_at()


def test_three_working_days_end_at_17_on_the_third_day(calendar: WorkingCalendar) -> None:
    assert due(calendar, vn(2026, 3, 2, 9), 3) == vn(2026, 3, 5, 17)
    assert due(calendar, vn(2026, 3, 2, 9), 3).isoformat() == "2026-03-05T17:00:00+07:00"


def test_the_15_00_cut_off(calendar: WorkingCalendar) -> None:
    assert due(calendar, vn(2026, 3, 2, 15, 0), 0) == vn(2026, 3, 2, 17)
    assert due(calendar, vn(2026, 3, 2, 15, 1), 0) == vn(2026, 3, 3, 17)
    # without the cut-off, only a receipt after closing counts on the next day
    assert due(calendar, vn(2026, 3, 2, 16, 30), 0, cutoff=False) == vn(2026, 3, 2, 17)
    assert due(calendar, vn(2026, 3, 2, 17, 30), 0, cutoff=False) == vn(2026, 3, 3, 17)


def test_receipt_on_a_non_working_day_counts_on_the_next_working_day(
    calendar: WorkingCalendar,
) -> None:
    assert due(calendar, vn(2026, 3, 7, 10), 0) == vn(2026, 3, 9, 17)  # Saturday
    assert due(calendar, vn(2026, 3, 8, 10), 1) == vn(2026, 3, 10, 17)  # Sunday


def test_moments_in_other_time_zones_are_read_in_vietnamese_time(calendar: WorkingCalendar) -> None:
    # 08:30 UTC is 15:30 in Hồ Chí Minh City: after the cut-off
    assert due(calendar, datetime(2026, 3, 2, 8, 30, tzinfo=UTC), 0) == vn(2026, 3, 3, 17)
    with pytest.raises(NaiveDatetimeError):
        due(calendar, datetime(2026, 3, 2, 9, 0), 1)


def test_around_tet_2026(calendar: WorkingCalendar) -> None:
    assert due(calendar, vn(2026, 2, 12, 9), 3) == vn(2026, 2, 24, 17)
    assert due(calendar, vn(2026, 2, 13, 16), 0) == vn(2026, 2, 23, 17)  # after 15:00 Friday
    assert due(calendar, vn(2026, 2, 17, 9), 1) == vn(2026, 2, 24, 17)  # received on Tết


def test_around_30_april_and_1_may_2026(calendar: WorkingCalendar) -> None:
    assert due(calendar, vn(2026, 4, 29, 9), 1) == vn(2026, 5, 4, 17)
    assert due(calendar, vn(2026, 4, 25, 9), 2) == vn(2026, 5, 4, 17)  # Saturday: counts Tue 28


def test_calendar_days_end_on_the_next_working_day_when_needed(calendar: WorkingCalendar) -> None:
    assert due(calendar, vn(2026, 3, 2, 9), 15, CD, cutoff=False) == vn(2026, 3, 17, 17)
    # 15 April + 15 days = Thursday 30 April, a holiday: Friday 1 May too, then the weekend
    assert due(calendar, vn(2026, 4, 15, 9), 15, CD, cutoff=False) == vn(2026, 5, 4, 17)


def test_working_hours_count_within_office_hours(calendar: WorkingCalendar) -> None:
    assert due(calendar, vn(2026, 3, 2, 9), 8, WH, cutoff=False) == vn(2026, 3, 3, 9)
    assert due(calendar, vn(2026, 3, 2, 12), 8, WH, cutoff=False) == vn(2026, 3, 3, 11, 30)
    assert due(calendar, vn(2026, 3, 2, 6), 1, WH, cutoff=False) == vn(2026, 3, 2, 8, 30)
    # after the cut-off, the count starts at the next day's opening
    assert due(calendar, vn(2026, 3, 2, 15, 30), 2, WH) == vn(2026, 3, 3, 9, 30)


def test_a_pause_moves_the_due_moment_by_the_working_days_it_lasted(
    calendar: WorkingCalendar,
) -> None:
    deadline = Deadline(calendar, Limit(3, WD), vn(2026, 3, 2, 9))
    paused = deadline.pause(vn(2026, 3, 3, 10))
    assert paused.is_paused
    with pytest.raises(ClockStopped):
        paused.due_at()
    resumed = paused.resume(vn(2026, 3, 5, 9))
    assert resumed.due_at() == vn(2026, 3, 9, 17)  # 2 working days later
    # an instant pause costs nothing, even after the cut-off
    instant = deadline.pause(vn(2026, 3, 3, 16)).resume(vn(2026, 3, 3, 16))
    assert instant.due_at() == deadline.due_at()


def test_a_pause_after_the_due_moment_does_not_move_it(calendar: WorkingCalendar) -> None:
    deadline = Deadline(calendar, Limit(1, WD), vn(2026, 3, 2, 9))
    late = deadline.pause(vn(2026, 3, 4, 9))
    assert late.due_at() == vn(2026, 3, 3, 17)  # known even while paused
    assert late.resume(vn(2026, 3, 10, 9)).due_at() == vn(2026, 3, 3, 17)


def test_pauses_in_hours_and_calendar_days(calendar: WorkingCalendar) -> None:
    hours = Deadline(calendar, Limit(8, WH, cutoff_applies=False), vn(2026, 3, 2, 9))
    stopped = hours.pause(vn(2026, 3, 2, 10)).resume(vn(2026, 3, 2, 14))
    assert stopped.due_at() == vn(2026, 3, 3, 11, 30)  # 150 office minutes later
    days = Deadline(calendar, Limit(15, CD, cutoff_applies=False), vn(2026, 3, 2, 9))
    assert days.pause(vn(2026, 3, 3, 9)).resume(vn(2026, 3, 6, 9)).due_at() == vn(2026, 3, 20, 17)


def test_pause_and_resume_are_checked(calendar: WorkingCalendar) -> None:
    deadline = Deadline(calendar, Limit(3, WD), vn(2026, 3, 2, 9))
    with pytest.raises(ValueError, match="not paused"):
        deadline.resume(vn(2026, 3, 3, 9))
    with pytest.raises(ValueError, match="before the receipt"):
        deadline.pause(vn(2026, 3, 1, 9))
    paused = deadline.pause(vn(2026, 3, 3, 9))
    with pytest.raises(ValueError, match="already paused"):
        paused.pause(vn(2026, 3, 3, 10))
    with pytest.raises(ValueError, match="before it paused"):
        paused.resume(vn(2026, 3, 2, 10))
    resumed = paused.resume(vn(2026, 3, 4, 9))
    with pytest.raises(ValueError, match="previous one ended"):
        resumed.pause(vn(2026, 3, 3, 12))


def test_timeliness_of_a_finished_step() -> None:
    due_at = vn(2026, 3, 4, 17)
    assert classify_completion(vn(2026, 3, 3, 10), due_at) is Timeliness.EARLY
    assert classify_completion(vn(2026, 3, 4, 8), due_at) is Timeliness.ON_TIME
    assert classify_completion(vn(2026, 3, 4, 17), due_at) is Timeliness.ON_TIME
    assert classify_completion(vn(2026, 3, 4, 17, 1), due_at) is Timeliness.LATE
    # early is judged on Vietnamese days: 3 March 20:00 UTC is already 4 March in Vietnam
    assert classify_completion(datetime(2026, 3, 3, 20, tzinfo=UTC), due_at) is Timeliness.ON_TIME


# --- schedules of real procedures ------------------------------------------------------------


def test_birth_group_schedule_under_decree_63(
    catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    received = vn(2026, 3, 2, 9)
    group = catalogue.procedure("2.000986", received)
    schedule = DossierSchedule.plan(group, calendar, received)
    assert schedule.step_dues() == {
        "receive": vn(2026, 3, 2, 17),
        "register-birth": vn(2026, 3, 2, 17),
        "register-residence": vn(2026, 3, 4, 17),
        "issue-health-card": vn(2026, 3, 4, 17),
        "return-result": vn(2026, 3, 5, 17),
    }
    assert schedule.dossier_due() == vn(2026, 3, 5, 17)
    assert schedule.classify_step("register-birth", vn(2026, 3, 2, 16)) is Timeliness.ON_TIME
    assert schedule.classify_step("register-birth", vn(2026, 3, 3, 8)) is Timeliness.LATE
    assert schedule.classify_step("register-residence", vn(2026, 3, 3, 10)) is Timeliness.EARLY
    assert schedule.classify_dossier(vn(2026, 3, 5, 17)) is Timeliness.ON_TIME


def test_a_supplement_request_pauses_later_steps_only(
    catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    received = vn(2026, 3, 2, 9)
    schedule = DossierSchedule.plan(catalogue.procedure("2.000986", received), calendar, received)
    paused = schedule.supplement_requested(vn(2026, 3, 3, 10), "register-residence")
    assert paused.is_paused
    resumed = paused.supplement_provided(vn(2026, 3, 5, 9))
    assert resumed.step_due("register-birth") == vn(2026, 3, 2, 17)  # already due before
    assert resumed.step_due("register-residence") == vn(2026, 3, 6, 17)
    assert resumed.dossier_due() == vn(2026, 3, 9, 17)
    assert resumed.supplement_provided(vn(2026, 3, 6, 9)) is resumed  # nothing to resume


def test_steps_that_do_not_pause_the_clock(
    make_procedure: ProcedureFactory, calendar: WorkingCalendar
) -> None:
    procedure = make_procedure(
        workflow={
            "steps": [
                step("receive", "ward.one-stop"),
                step(
                    "decide", "ward.civil-status", 1, ("receive",), clock_pauses_on_supplement=False
                ),
            ]
        }
    )
    schedule = DossierSchedule.plan(procedure, calendar, vn(2026, 3, 2, 9))
    assert schedule.supplement_requested(vn(2026, 3, 3, 9), "decide") is schedule
    assert schedule.supplement_requested(vn(2026, 3, 3, 9), "receive").is_paused


def test_a_step_allotment_counted_from_its_hand_off(
    catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    received = vn(2026, 3, 2, 9)
    schedule = DossierSchedule.plan(catalogue.procedure("2.000986", received), calendar, received)
    # residence has 2/3 of 3 working days; hand-offs are not subject to the 15:00 cut-off
    assert schedule.step_due_from("register-residence", vn(2026, 3, 3, 16)) == vn(2026, 3, 5, 17)


def test_death_group_schedule_depends_on_the_choice(
    catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    received = vn(2026, 3, 2, 9)
    group = catalogue.procedure("1.006714", received)
    two = DossierSchedule.plan(
        group, calendar, received, ["death-registration", "residence-deregistration"]
    )
    assert set(two.step_dues()) == {
        "receive",
        "register-death",
        "deregister-residence",
        "return-result",
    }
    assert two.step_due("deregister-residence") == vn(2026, 3, 3, 17)  # 1/5 of 5 days
    assert two.step_due("return-result") == vn(2026, 3, 4, 17)
    assert two.dossier_due() == vn(2026, 3, 9, 17)
    with pytest.raises(KeyError):
        two.step_due("survivor-benefit")


def test_construction_permit_schedule_in_calendar_days(
    catalogue: Catalogue, calendar: WorkingCalendar
) -> None:
    received = vn(2026, 4, 15, 9)
    permit = catalogue.procedure("HCM-GPXD-NORL", received)
    schedule = DossierSchedule.plan(permit, calendar, received)
    assert schedule.step_due("appraise") == vn(2026, 4, 28, 17)  # day 10 is Sat 25; Mon 27 off
    assert schedule.dossier_due() == vn(2026, 5, 4, 17)
    assert schedule.deadline.receipt_day == date(2026, 4, 15)
