"""Quiet hours for SMS, in Asia/Ho_Chi_Minh (UTC+7)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from lienthong_notify.quiet import QuietHours

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
NIGHT = QuietHours(time(21, 0), time(7, 0), HCM)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=HCM).astimezone(UTC)


def test_daytime_messages_go_now() -> None:
    assert NIGHT.release_time(local(10, 7, 0)) is None
    assert NIGHT.release_time(local(10, 20, 59)) is None


def test_evening_messages_wait_for_the_next_morning() -> None:
    assert NIGHT.release_time(local(10, 21, 0)) == local(11, 7, 0)
    assert NIGHT.release_time(local(10, 23, 30)) == local(11, 7, 0)


def test_after_midnight_messages_wait_for_the_same_morning() -> None:
    assert NIGHT.release_time(local(11, 0, 15)) == local(11, 7, 0)
    assert NIGHT.release_time(local(11, 6, 59)) == local(11, 7, 0)


def test_a_window_within_one_day_and_an_empty_window() -> None:
    lunch = QuietHours(time(12, 0), time(13, 0), HCM)
    assert lunch.release_time(local(10, 12, 30)) == local(10, 13, 0)
    assert lunch.release_time(local(10, 13, 0)) is None
    assert QuietHours(time(0, 0), time(0, 0), HCM).release_time(local(10, 3, 0)) is None
