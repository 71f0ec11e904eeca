"""Rate limits per client address (a sliding window, in this process).

With several replicas each counts on its own, which still bounds a client to replicas ×
allowance per window; the per-token claim and the burst flags do not depend on it.
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from collections.abc import Callable

MAX_CLIENTS = 100_000  # forget everyone rather than grow without bound under a spray of addresses


class WindowLimiter:
    def __init__(
        self, allowed: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._allowed, self._window_s, self._clock = allowed, window_s, clock
        self._hits: defaultdict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, client: str) -> int:
        """Seconds until `client` may act again; 0 when it may act now."""
        if client not in self._hits:
            return 0
        hits = self._recent(client)
        if len(hits) < self._allowed:
            return 0
        return max(1, round(hits[0] + self._window_s - self._clock()))

    def record(self, client: str) -> None:
        if len(self._hits) >= MAX_CLIENTS and client not in self._hits:
            self._hits.clear()
        self._recent(client).append(self._clock())

    def _recent(self, client: str) -> deque[float]:
        hits = self._hits[client]
        horizon = self._clock() - self._window_s
        while hits and hits[0] <= horizon:
            hits.popleft()
        return hits
