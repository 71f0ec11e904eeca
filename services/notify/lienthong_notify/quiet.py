"""Quiet hours for SMS (pure): no text message wakes a citizen at night.

A message due inside the quiet window is held until the window ends, local time
(Asia/Ho_Chi_Minh by default). The window may wrap midnight (21:00 → 07:00) or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class QuietHours:
    start: time
    end: time
    zone: ZoneInfo

    def _inside(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end

    def release_time(self, now: datetime) -> datetime | None:
        """When a message due `now` may go out: None if now, else the end of the window (UTC)."""
        local = now.astimezone(self.zone)
        if not self._inside(local.time()):
            return None
        release = datetime.combine(local.date(), self.end, tzinfo=self.zone)
        if release <= local:
            release = datetime.combine(local.date() + timedelta(days=1), self.end, self.zone)
        return release.astimezone(UTC)
