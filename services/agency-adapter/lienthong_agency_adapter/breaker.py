"""A circuit breaker per agency: stop calling a system that keeps failing, probe it later.

closed → (N consecutive failures) → open → (after `open_s`) half-open: one probe call;
its success closes the circuit, its failure opens it again for another `open_s`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

State = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    def __init__(
        self, failures: int, open_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.threshold = failures
        self.open_s = open_s
        self.clock = clock
        self.consecutive_failures = 0
        self.opened_at: float | None = None

    @property
    def state(self) -> State:
        if self.opened_at is None:
            return "closed"
        return "half-open" if self.clock() >= self.opened_at + self.open_s else "open"

    def allows(self) -> bool:
        return self.state != "open"

    def seconds_until_probe(self) -> float:
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.opened_at + self.open_s - self.clock())

    def succeeded(self) -> None:
        self.consecutive_failures = 0
        self.opened_at = None

    def failed(self) -> None:
        self.consecutive_failures += 1
        if self.state == "half-open" or self.consecutive_failures >= self.threshold:
            self.opened_at = self.clock()
