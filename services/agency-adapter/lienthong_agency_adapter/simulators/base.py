"""What every simulated legacy system shares: behaviour knobs, idempotency bookkeeping,
answering later through LiênThông's callback API.

Behaviour (all adjustable while running, for demos and tests): latency, error rate, outage
windows, malformed answers, and how long the "officer" takes to answer. Each system counts
the idempotency keys it has seen (every call) and processed (once per key: a repeated key
gets the first answer again, as a well-behaved idempotent API does).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx
import structlog
from tenacity import AsyncRetrying, stop_after_attempt, wait_exponential_jitter

from lienthong_agency_adapter.signing import SIGNATURE_HEADER, sign

log = structlog.get_logger("lienthong.agency_adapter.simulator")

Gate = Literal["ok", "outage", "error"]


@dataclass
class Behaviour:
    latency_s: float = 0.0
    error_rate: float = 0.0
    malformed_rate: float = 0.0
    answer_delay_s: float = 0.3
    outages: list[tuple[float, float]] = field(default_factory=list)

    def down(self, now: float | None = None) -> bool:
        moment = time.time() if now is None else now
        return any(start <= moment < end for start, end in self.outages)

    def outage_for(self, seconds: float) -> None:
        """Go down from now for `seconds` (an outage window)."""
        now = time.time()
        self.outages.append((now, now + seconds))


@dataclass(frozen=True)
class CallbackCredentials:
    """How the simulated system proves itself to our callback API."""

    api_key: str | None = None
    hmac_secret: str | None = None

    def headers(self, body: bytes) -> dict[str, str]:
        if self.hmac_secret is not None:
            return {SIGNATURE_HEADER: sign(self.hmac_secret, body)}
        if self.api_key is not None:
            return {"Authorization": f"Bearer {self.api_key}"}
        return {}


class SimulatedSystem:
    """Bookkeeping and behaviour of one simulated agency system."""

    def __init__(
        self,
        behaviour: Behaviour | None = None,
        callback: CallbackCredentials | None = None,
        seed: int = 7,
    ) -> None:
        self.behaviour = behaviour or Behaviour()
        self.callback = callback or CallbackCredentials()
        self.calls: Counter[str] = Counter()
        self.processed: Counter[str] = Counter()
        self.first_answers: dict[str, Any] = {}
        self.processed_at: dict[str, float] = {}
        self.callbacks_sent: list[int] = []
        self._random = random.Random(seed)
        self._background: set[asyncio.Task[None]] = set()
        # One client for every callback, made at the first: a client per answer built a TLS
        # context each time (half the embedded default's CPU under load). Closed by close().
        self._http: httpx.AsyncClient | None = None

    async def gate(self, key: str) -> Gate:
        """Latency, then whether this call meets an outage, a random error, or gets through."""
        self.calls[key] += 1
        await asyncio.sleep(self.behaviour.latency_s)
        if self.behaviour.down():
            return "outage"
        if self._random.random() < self.behaviour.error_rate:
            return "error"
        return "ok"

    def malformed(self) -> bool:
        return self._random.random() < self.behaviour.malformed_rate

    def once(self, key: str, answer: Callable[[], Any]) -> tuple[Any, bool]:
        """The answer for `key`: made on first sight, repeated after; and whether it is new."""
        if key in self.first_answers:
            return self.first_answers[key], False
        self.processed[key] += 1
        self.processed_at[key] = time.time()
        self.first_answers[key] = answer()
        return self.first_answers[key], True

    def answer_later(self, url: str, body: dict[str, Any]) -> None:
        """After the officer's delay, POST `body` to our callback `url` (signed or keyed)."""
        task = asyncio.create_task(self._answer(url, body))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def _callback_client(self) -> httpx.AsyncClient:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=10)
        return self._http

    async def _answer(self, url: str, body: dict[str, Any]) -> None:
        await asyncio.sleep(self.behaviour.answer_delay_s)
        content = json.dumps(body).encode()
        http = self._callback_client()
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(5),
                wait=wait_exponential_jitter(multiplier=0.2, max=3),
                reraise=True,
            ):
                with attempt:
                    response = await http.post(
                        url,
                        content=content,
                        headers={
                            "Content-Type": "application/json",
                            **self.callback.headers(content),
                        },
                    )
                    if response.status_code >= 500 or response.status_code == 409:
                        raise RuntimeError(f"callback answered {response.status_code}")
            self.callbacks_sent.append(response.status_code)
        except Exception as exc:
            log.warning("simulator_callback_failed", error=type(exc).__name__)

    async def close(self) -> None:
        """Cancel the answers not sent yet and close the callback client."""
        for task in list(self._background):
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        if self._http is not None:
            await self._http.aclose()
            self._http = None
