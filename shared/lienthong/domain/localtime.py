"""Vietnamese local time (giờ Việt Nam, UTC+7): every statutory day is a local day."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from lienthong.domain.errors import NaiveDatetimeError


def _vietnam_zone() -> tzinfo:
    try:
        return ZoneInfo("Asia/Ho_Chi_Minh")
    except ZoneInfoNotFoundError:
        # Vietnam has kept UTC+7 without daylight saving since 1975, so a fixed offset is
        # exact for every date this platform handles when the host lacks a tz database.
        return timezone(timedelta(hours=7), "ICT")


VIETNAM_TZ = _vietnam_zone()


def to_local(moment: datetime) -> datetime:
    """The same instant in Asia/Ho_Chi_Minh; naive datetimes are refused, not guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise NaiveDatetimeError(f"datetime {moment.isoformat()} has no UTC offset")
    return moment.astimezone(VIETNAM_TZ)


def local_day(at: date | datetime) -> date:
    """The Vietnamese calendar day of a moment; a plain date is returned unchanged."""
    if isinstance(at, datetime):
        return to_local(at).date()
    return at


def local_moment(day: date, hour: int = 0, minute: int = 0) -> datetime:
    """An aware local datetime on `day` at hour:minute."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=VIETNAM_TZ)
