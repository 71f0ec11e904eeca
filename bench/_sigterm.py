"""SIGTERM as a way out of a long run, the way an error is: every `with` and `finally` on the
way runs, so the processes the run started are stopped and its private infrastructure purged.
By default a SIGTERM ends the process on the spot and leaves all of that running.

Outside an event loop the handler raises `Terminated` where the run is. Inside `Termination.run`
it cancels the run's coroutine instead (an exception raised by a signal handler in the middle
of the loop would skip the coroutines' own cleanup), and `Terminated` is raised once the loop
has unwound. One SIGTERM is taken; the cleanup that follows it (or follows the end of the
work: `Termination.uninterrupted_after`) is bounded and ignores any other.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Coroutine, Iterator
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")


class Terminated(KeyboardInterrupt):
    """The run was stopped by a SIGTERM (a KeyboardInterrupt, as Ctrl-C's: pytest and the
    bench's scripts stop on it, after cleaning up)."""


class Termination:
    """`with Termination() as termination:` the SIGTERM handler of a run; a no-op outside the
    main thread (signals reach the main thread only: its caller handles them there)."""

    def __init__(self) -> None:
        self.signum = 0
        self._task: asyncio.Task[Any] | None = None
        self._previous: Any = None
        self._main = threading.current_thread() is threading.main_thread()

    def __enter__(self) -> Termination:
        if self._main:
            self._previous = signal.signal(signal.SIGTERM, self._stop)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._main:
            signal.signal(signal.SIGTERM, self._previous)

    def _stop(self, signum: int, _frame: FrameType | None) -> None:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        self.signum = signum
        task = self._task
        if task is not None and not task.done():
            task.get_loop().call_soon_threadsafe(task.cancel)
            return
        raise self._terminated()

    def _terminated(self) -> Terminated:
        return Terminated(f"stopped by signal {self.signum}")

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """`asyncio.run(coroutine)`, cancelled by a SIGTERM (then `Terminated`)."""

        async def guarded() -> T:
            self._task = asyncio.current_task()
            try:
                return await coroutine
            finally:
                self._task = None

        try:
            result = asyncio.run(guarded())
        except asyncio.CancelledError:
            if self.signum:
                raise self._terminated() from None
            raise
        if self.signum:  # the cancellation was swallowed on the way out: still, stop
            raise self._terminated()
        return result

    @contextlib.contextmanager
    def uninterrupted_after(self) -> Iterator[None]:
        """On the way out of the block (done, failed or terminated), SIGTERM is ignored until
        the `with Termination()` ends: the cleanup must not be cut short."""
        try:
            yield
        finally:
            if self._main:
                signal.signal(signal.SIGTERM, signal.SIG_IGN)
