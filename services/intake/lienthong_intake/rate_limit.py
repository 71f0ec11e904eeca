"""Slows down guessing of tracking secrets: too many failed look-ups from one client → 429.

Counted per client address in this process (a sliding window). With several replicas each
counts on its own, which still bounds guessing to replicas × allowance per window.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable

MAX_CLIENTS = 100_000  # forget everyone rather than grow without bound under a spray of addresses


class FailureLimiter:
    def __init__(
        self, allowed: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._allowed = allowed
        self._window_s = window_s
        self._clock = clock
        self._failures: defaultdict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, client: str) -> int:
        """Seconds until `client` may try again; 0 when it may try now."""
        if client not in self._failures:
            return 0
        failures = self._recent(client)
        if len(failures) < self._allowed:
            return 0
        return max(1, round(failures[0] + self._window_s - self._clock()))

    def record_failure(self, client: str) -> None:
        if len(self._failures) >= MAX_CLIENTS and client not in self._failures:
            self._failures.clear()
        self._recent(client).append(self._clock())

    def _recent(self, client: str) -> deque[float]:
        failures = self._failures[client]
        horizon = self._clock() - self._window_s
        while failures and failures[0] <= horizon:
            failures.popleft()
        return failures
