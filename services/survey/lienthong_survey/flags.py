"""Anti-gaming: device hints and suspicion flags on answers (pure).

Results feed staff bonuses, so an answer records where it came from (channel, a keyed hash
of the client's address and browser, the desk that showed the QR code) and is flagged when it
looks staged: many answers from one device or one desk in a short time, or an answer recorded
before the result was returned. Flagged answers are kept and shown, but left out of the
satisfaction rate.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from lienthong.schemas.survey import SuspicionFlag

DeviceKind = Literal["mobile", "desktop", "unknown"]


@dataclass(frozen=True)
class BurstPolicy:
    """More than `allowed` earlier answers within `window` from one device (or one desk)."""

    device_allowed: int
    desk_allowed: int
    window: timedelta


def device_hint(key: bytes, address: str, user_agent: str) -> str:
    """Keyed, so the hint cannot be reversed into an address; short, since it only groups."""
    material = f"{address}\x1f{user_agent}".encode()
    return hmac.new(key, material, hashlib.sha256).hexdigest()[:20]


def device_kind(user_agent: str) -> DeviceKind:
    if not user_agent:
        return "unknown"
    return "mobile" if "Mobi" in user_agent or "Android" in user_agent else "desktop"


def suspicion_flags(
    answered_at: datetime,
    earlier_from_device: int,
    earlier_from_desk: int,
    result_returned_at: datetime | None,
    policy: BurstPolicy,
) -> list[SuspicionFlag]:
    """Flags for one answer, given how many answers the same device / desk gave within the
    policy's window before it."""
    flags: list[SuspicionFlag] = []
    if earlier_from_device >= policy.device_allowed:
        flags.append("device_burst")
    if earlier_from_desk >= policy.desk_allowed:
        flags.append("desk_burst")
    if result_returned_at is None or answered_at < result_returned_at:
        flags.append("before_result_returned")
    return flags
