"""The clock port: services ask it for "now", so tests can set the time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The production clock: an aware moment in UTC."""
    return datetime.now(UTC)
