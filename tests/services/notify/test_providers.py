"""The provider base: per-provider rate limit, failure classification, failover outcome and
the counts behind the health snapshot."""

from __future__ import annotations

import time

import pytest

from lienthong_notify.providers import (
    DeliveryFailure,
    FailoverChannel,
    Outgoing,
    Provider,
    RateLimiter,
)

MESSAGE = Outgoing(notification_id="n", channel="sms", recipient="0900000000", reference="n")


class Scripted(Provider):
    channel = "sms"

    def __init__(self, name: str, outcome: Exception | None) -> None:
        super().__init__(name, RateLimiter(1000, 1000))
        self.outcome = outcome
        self.calls = 0

    async def _send(self, message: Outgoing) -> str:
        self.calls += 1
        if self.outcome is not None:
            raise self.outcome
        return f"{self.name}-id"


async def test_the_rate_limit_spaces_sends_after_the_burst() -> None:
    limiter = RateLimiter(rate_per_s=20, burst=2)
    started = time.monotonic()
    for _ in range(6):
        await limiter.acquire()
    elapsed = time.monotonic() - started
    assert 0.18 <= elapsed < 0.5  # 2 at once, then 4 at 20/s


async def test_failover_stops_at_the_first_provider_that_accepts() -> None:
    down = Scripted("a", DeliveryFailure("http:503", retryable=True))
    up, spare = Scripted("b", None), Scripted("c", None)
    accepted = await FailoverChannel([down, up, spare]).send(MESSAGE)
    assert (accepted.provider, accepted.provider_id) == ("b", "b-id")
    assert (down.calls, up.calls, spare.calls) == (1, 1, 0)


@pytest.mark.parametrize(
    ("first", "second", "retryable"),
    [
        (
            DeliveryFailure("http:503", retryable=True),
            DeliveryFailure("http:400", retryable=False),
            True,
        ),
        (
            DeliveryFailure("http:401", retryable=False),
            DeliveryFailure("http:400", retryable=False),
            False,
        ),
        (RuntimeError("bug"), DeliveryFailure("http:400", retryable=False), True),
    ],
)
async def test_when_every_provider_fails_any_retryable_failure_makes_it_retryable(
    first: Exception, second: Exception, retryable: bool
) -> None:
    channel = FailoverChannel([Scripted("a", first), Scripted("b", second)])
    with pytest.raises(DeliveryFailure) as failure:
        await channel.send(MESSAGE)
    assert failure.value.retryable is retryable
    assert failure.value.reason.startswith("a:")
    assert ";b:http:400" in failure.value.reason


def counts(channel: FailoverChannel, provider: str) -> tuple[int, int, int]:
    totals = channel.tally.totals()
    sent, failed, failovers = (
        totals.get((("sms", provider), name), 0) for name in ("sent", "failed", "failovers")
    )
    return sent, failed, failovers


async def test_each_provider_counts_its_sends_failures_and_failovers() -> None:
    down = Scripted("a", DeliveryFailure("http:503", retryable=True))
    channel = FailoverChannel([down, Scripted("b", None), Scripted("c", None)])
    await channel.send(MESSAGE)
    assert [counts(channel, p) for p in "abc"] == [(0, 1, 1), (1, 0, 0), (0, 0, 0)]


async def test_the_last_providers_failure_is_no_failover() -> None:
    refused = DeliveryFailure("http:400", retryable=False)
    channel = FailoverChannel([Scripted("a", refused), Scripted("b", refused)])
    with pytest.raises(DeliveryFailure):
        await channel.send(MESSAGE)
    assert [counts(channel, p) for p in "ab"] == [(0, 1, 1), (0, 1, 0)]
