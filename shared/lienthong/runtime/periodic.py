"""Background work done in rounds: a deadline sweep, a purge, a reminder sweep, a courier.

Every periodic task of every service runs on this one loop, so all of them behave alike:

* the first round runs at `start()`, the next `interval_s` after the previous one *ended*, so
  rounds never overlap and a slow round delays the next one instead of piling up;
* an `Exception` in a round is logged (`periodic_failed`, the exception's type only: a
  message can quote personal data) and counted, and the next round is the retry; the loop
  never dies of it;
* `wake()` ends the current pause early (new work arrived); a wake during a round makes the
  next round start as soon as this one ends;
* `stop()` lets the round in hand finish (its writes are not cut in half), then ends the loop.

Metrics: `lienthong_periodic_rounds_total{task, outcome}` and
`lienthong_periodic_round_seconds{task}`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable

import structlog

from lienthong.metrics import PERIODIC_ROUND_SECONDS, PERIODIC_ROUNDS

log = structlog.get_logger("lienthong.periodic")

Work = Callable[[], Awaitable[object]]
Sleep = Callable[[float], Awaitable[None]]


class Periodic:
    """Run `work` every `interval_s` seconds (a number, or a function asked before each pause)
    in a background task named `name`, which also labels its logs and metrics.

    `jitter` (0 ≤ j < 1) stretches or shrinks each pause by up to that fraction, so replicas
    started together do not sweep in lockstep. `sleep`, `monotonic` and `rng` are asyncio's
    sleep, the monotonic clock and the standard random generator unless a test brings its own.
    """

    def __init__(
        self,
        name: str,
        interval_s: float | Callable[[], float],
        work: Work,
        *,
        jitter: float = 0.0,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        rng: Callable[[], float] = random.random,
    ) -> None:
        if not 0 <= jitter < 1:
            raise ValueError(f"jitter must be in [0, 1), not {jitter}")
        self.name = name
        self._interval = interval_s
        self._work = work
        self._jitter = jitter
        self._sleep = sleep
        self._monotonic = monotonic
        self._rng = rng
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()  # set between rounds: what stop() waits for
        self._idle.set()

    @property
    def running(self) -> bool:
        return self._task is not None

    async def start(self) -> None:
        """Start the loop (its first round begins at once); a no-op when already running."""
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._loop(), name=self.name)

    def wake(self) -> None:
        """Start the next round now instead of at the end of the pause."""
        self._wakeup.set()

    async def stop(self, grace_s: float = 30.0) -> None:
        """Wait for the round in hand (at most `grace_s`: a round stuck on a dead server must
        not hold up the process's stop), then end the loop; a no-op when not running."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping = True
        try:
            await asyncio.wait_for(self._idle.wait(), grace_s)
        except TimeoutError:
            log.warning("periodic_round_abandoned", task=self.name, after_s=grace_s)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # our caller is being cancelled too: do not swallow that

    async def _loop(self) -> None:
        while not self._stopping:
            await self._round()
            if self._stopping:
                return
            await self._pause(self._next_pause())

    async def _round(self) -> None:
        self._idle.clear()
        started = self._monotonic()
        outcome = "ok"
        try:
            await self._work()
        except Exception as exc:  # the next round is the retry; an operator sees the log
            outcome = "failed"
            log.warning("periodic_failed", task=self.name, error=type(exc).__name__)
        finally:
            self._idle.set()
        PERIODIC_ROUNDS.labels(self.name, outcome).inc()
        PERIODIC_ROUND_SECONDS.labels(self.name).observe(self._monotonic() - started)

    def _next_pause(self) -> float:
        try:
            interval = self._interval() if callable(self._interval) else self._interval
        except Exception as exc:  # a broken interval must not end the loop unseen
            log.warning("periodic_interval_failed", task=self.name, error=type(exc).__name__)
            interval = 60.0
        spread = self._jitter * (2 * self._rng() - 1)
        return max(0.0, interval * (1 + spread))

    async def _pause(self, seconds: float) -> None:
        if not self._wakeup.is_set():
            sleeping = asyncio.ensure_future(self._sleep(seconds))
            woken = asyncio.ensure_future(self._wakeup.wait())
            try:
                await asyncio.wait((sleeping, woken), return_when=asyncio.FIRST_COMPLETED)
            finally:
                sleeping.cancel()
                woken.cancel()
        self._wakeup.clear()
