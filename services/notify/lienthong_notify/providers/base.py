"""Provider interface: one base class does rate limiting, timing, metrics and logging once;
each provider implements `_send` and classifies its failures as retryable or permanent.

A retryable failure (timeout, connection refused, 429, 5xx, SMTP 4xx) may succeed later; a
permanent one (4xx refusal, SMTP 5xx, a malformed address) will not, and ends the message in
`failed` unless another provider of the channel takes it.
"""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import structlog
from prometheus_client import Counter, Histogram

from lienthong.runtime.health import Tally
from lienthong_notify.rules import ChannelName

log = structlog.get_logger("lienthong.notify.providers")

SENDS = Counter(
    "lienthong_notify_provider_sends_total",
    "Sends per provider and outcome",
    ["provider", "outcome"],
)
SEND_SECONDS = Histogram(
    "lienthong_notify_provider_send_seconds", "Time a provider took to accept a send", ["provider"]
)


@dataclass(frozen=True)
class Outgoing:
    """One message ready for a provider. `reference` is derived from (event id, channel): it
    is the SMS client reference and the email Message-ID, the same on every attempt."""

    notification_id: str
    channel: ChannelName
    recipient: str
    reference: str
    subject: str = ""
    text: str = ""
    html: str = ""


class DeliveryFailure(Exception):
    """A provider did not take the message. `reason` is machine-readable, never personal."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


class RateLimiter:
    """Token bucket: at most `rate_per_s` sends per second on average, `burst` at once."""

    def __init__(self, rate_per_s: float, burst: int) -> None:
        self.rate = rate_per_s
        self.capacity = float(burst)
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)


class Provider(ABC):
    """A way to send one channel's messages (an SMTP relay, an SMS gateway, the console)."""

    channel: ChannelName

    def __init__(self, name: str, limiter: RateLimiter) -> None:
        self.name = name
        self.limiter = limiter

    async def send(self, message: Outgoing) -> str:
        """Send and return the provider's id for the message; raises DeliveryFailure."""
        await self.limiter.acquire()
        started = time.perf_counter()
        try:
            provider_id = await self._send(message)
        except DeliveryFailure as failure:
            self._record_failure(message, failure)
            raise
        except Exception as exc:  # an unclassified error: assume it may pass (bounded retries)
            unexpected = DeliveryFailure(f"unexpected:{type(exc).__name__}", retryable=True)
            self._record_failure(message, unexpected)
            raise unexpected from exc
        elapsed = time.perf_counter() - started
        SENDS.labels(self.name, "sent").inc()
        SEND_SECONDS.labels(self.name).observe(elapsed)
        log.info(
            "provider_sent",
            provider=self.name,
            notification_id=message.notification_id,
            ms=round(elapsed * 1000, 1),
        )
        return provider_id

    def _record_failure(self, message: Outgoing, failure: DeliveryFailure) -> None:
        SENDS.labels(self.name, "retryable" if failure.retryable else "permanent").inc()
        log.warning(
            "provider_failed",
            provider=self.name,
            notification_id=message.notification_id,
            reason=failure.reason,
            retryable=failure.retryable,
        )

    @abstractmethod
    async def _send(self, message: Outgoing) -> str:
        """Hand the message over; return the provider's id; raise DeliveryFailure."""


@dataclass(frozen=True)
class Accepted:
    provider: str
    provider_id: str


class FailoverChannel:
    """A channel's providers in order: the next one takes the message when one fails.

    The outcome of a round where every provider failed is retryable if any failure was (the
    message is tried again later, from the first provider); permanent only if all were.

    `tally` counts, per (channel, provider), the sends it accepted (`sent`), those it did not
    take (`failed`) and, of those, the ones moved on to the next provider (`failovers`; never
    for the last provider, whose failure ends the round): the health snapshot's numbers.
    """

    def __init__(self, providers: Sequence[Provider], tally: Tally | None = None) -> None:
        if not providers:
            raise ValueError("a channel needs at least one provider")
        self.providers = list(providers)
        self.tally = tally or Tally()

    def provider(self, name: str) -> Provider | None:
        return next((p for p in self.providers if p.name == name), None)

    async def send(self, message: Outgoing) -> Accepted:
        failures: list[DeliveryFailure] = []
        for position, provider in enumerate(self.providers, start=1):
            key = (provider.channel, provider.name)
            try:
                accepted = Accepted(provider.name, await provider.send(message))
            except DeliveryFailure as failure:
                failures.append(failure)
                self.tally.add(key, "failed")
                if position < len(self.providers):
                    self.tally.add(key, "failovers")
                continue
            self.tally.add(key, "sent")
            return accepted
        reason = ";".join(
            f"{p.name}:{f.reason}" for p, f in zip(self.providers, failures, strict=True)
        )
        raise DeliveryFailure(reason, retryable=any(f.retryable for f in failures))
