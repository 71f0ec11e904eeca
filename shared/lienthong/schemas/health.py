"""Health snapshots of service instances, on `ops.health` (subject = `<service>/<instance>`).

Services never call each other's APIs, so an operator's console learns how the agency adapter
and notify are doing from these: every `health_interval_s` each instance publishes what it
sees now (circuit states, tasks waiting) and what it has counted (calls, failures, sends).

Counts come twice. The window counts cover `window_start` … `at`: since the previous snapshot
this instance *published* (a snapshot whose publication failed is folded into the next one,
not lost). The `_total` counts run since the instance started (`started_at`): a restart
begins them again at zero, which a reader sees by a new `started_at`. Counts are kept in the
process, so each instance reports its own; a console adds up the instances of a service.
None of these carries personal data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from lienthong.events import Payload, payload
from lienthong.topics import OPS_HEALTH

CircuitState = Literal["closed", "open", "half_open"]


class _Snapshot(Payload):
    instance: str = Field(description="the publishing replica (its `instance_id` setting)")
    at: datetime = Field(description="when the snapshot was taken")
    interval_s: float = Field(gt=0, description="the next snapshot is due this long after")
    window_start: datetime = Field(
        description="the window counts cover window_start … at (the previous published "
        "snapshot, or the instance's start)"
    )
    started_at: datetime = Field(description="the `_total` counts run since then")


class AgencyHealth(BaseModel):
    """One agency as the adapter instance sees it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agency: str = Field(description="agency code (the agency.tasks.<agency> topic)")
    circuit: CircuitState = Field(
        description="the breaker: closed (calling), open (not calling until the next probe), "
        "half_open (the next call is a probe)"
    )
    attempts: int = Field(ge=0, description="calls to the agency's system in the window")
    failures: int = Field(
        ge=0, description="calls in the window that did not hand the task over, for any reason"
    )
    attempts_total: int = Field(ge=0)
    failures_total: int = Field(ge=0)
    error_rate: float | None = Field(
        ge=0, le=1, description="failures / attempts in the window; None without attempts"
    )
    waiting: int = Field(
        ge=0,
        description="tasks accepted but not delivered yet: still to deliver, or in the "
        "agency's inbox unacknowledged",
    )
    oldest_waiting_at: datetime | None = Field(
        description="when the oldest waiting task was accepted; None when none waits"
    )


@payload("ops.agency-health", topic=OPS_HEALTH)
class AgencyHealthReported(_Snapshot):
    """An agency-adapter instance's view of each agency it serves: circuit, error rate, tasks
    waiting and the oldest of them."""

    agencies: list[AgencyHealth]


class ChannelHealth(BaseModel):
    """One provider of a notification channel, as a notify instance counted it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    channel: str = Field(description="sms, email, …")
    provider: str = Field(description="the provider's name, in the channel's failover order")
    sent: int = Field(ge=0, description="sends this provider accepted in the window")
    failed: int = Field(
        ge=0, description="sends it did not take in the window (retryable or permanent)"
    )
    failovers: int = Field(
        ge=0,
        description="of those failures, the sends moved on to the channel's next provider "
        "(never counted for the channel's last provider)",
    )
    sent_total: int = Field(ge=0)
    failed_total: int = Field(ge=0)
    failovers_total: int = Field(ge=0)


@payload("ops.notify-health", topic=OPS_HEALTH)
class NotifyHealthReported(_Snapshot):
    """A notify instance's sends per channel and provider: sent, failed, failed over."""

    channels: list[ChannelHealth]
