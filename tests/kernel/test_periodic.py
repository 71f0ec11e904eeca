"""The kernel's periodic loop: rounds, pauses, failures, wake-ups, stopping and its metrics."""

from __future__ import annotations

import asyncio
import itertools
import uuid

import pytest
from prometheus_client import REGISTRY
from structlog.testing import capture_logs

from lienthong.runtime.periodic import Periodic
from tests.support import eventually


class Pauses:
    """A sleep that records what it was asked for and, after `rounds` pauses, never ends (the
    loop then waits there until it is stopped or woken)."""

    def __init__(self, rounds: int) -> None:
        self.asked: list[float] = []
        self._rounds = rounds

    async def __call__(self, seconds: float) -> None:
        self.asked.append(seconds)
        if len(self.asked) >= self._rounds:
            await asyncio.Event().wait()
        await asyncio.sleep(0)


def task_name() -> str:
    return f"test-{uuid.uuid4().hex[:8]}"


def rounds_counted(name: str, outcome: str) -> float:
    labels = {"task": name, "outcome": outcome}
    return REGISTRY.get_sample_value("lienthong_periodic_rounds_total", labels) or 0.0


async def test_rounds_run_one_after_another_with_the_interval_between_them() -> None:
    done: list[int] = []
    pauses = Pauses(rounds=3)

    async def work() -> None:
        done.append(len(done))

    periodic = Periodic(task_name(), 5.0, work, sleep=pauses)
    await periodic.start()
    await eventually(lambda: len(pauses.asked) == 3, 5, "three pauses")
    await periodic.stop()
    assert done == [0, 1, 2]
    assert pauses.asked == [5.0, 5.0, 5.0]
    assert not periodic.running


async def test_a_failing_round_is_logged_without_its_message_and_the_loop_goes_on() -> None:
    outcomes = iter([ValueError("citizen 0912345678"), KeyError("x"), None, None])
    calls = 0

    async def work() -> None:
        nonlocal calls
        calls += 1
        failure = next(outcomes)
        if failure is not None:
            raise failure

    name = task_name()
    periodic = Periodic(name, 1.0, work, sleep=Pauses(rounds=4))
    with capture_logs() as logs:
        await periodic.start()
        await eventually(lambda: calls == 4, 5, "four rounds")
        await periodic.stop()
    failed = [entry for entry in logs if entry["event"] == "periodic_failed"]
    assert failed == [
        {"event": "periodic_failed", "task": name, "error": "ValueError", "log_level": "warning"},
        {"event": "periodic_failed", "task": name, "error": "KeyError", "log_level": "warning"},
    ]
    assert "0912345678" not in repr(logs)


async def test_stop_waits_for_the_round_in_hand_and_starts_no_other() -> None:
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[bool] = []

    async def work() -> None:
        started.set()
        await release.wait()
        finished.append(True)

    periodic = Periodic(task_name(), 0.0, work)
    await periodic.start()
    await started.wait()
    stopping = asyncio.create_task(periodic.stop())
    await asyncio.sleep(0.05)
    assert not stopping.done(), "stop() returned while a round was still running"
    release.set()
    await asyncio.wait_for(stopping, 5)
    assert finished == [True]  # finished, not cancelled; and an interval of 0 ran no other


async def test_stop_during_the_pause_ends_the_loop_at_once() -> None:
    rounds = 0

    async def work() -> None:
        nonlocal rounds
        rounds += 1

    periodic = Periodic(task_name(), 3600.0, work)
    await periodic.start()
    await eventually(lambda: rounds == 1, 5, "the first round")
    await asyncio.wait_for(periodic.stop(), 1)
    await periodic.stop()  # a second stop is harmless
    assert rounds == 1


async def test_rounds_are_counted_by_outcome_and_timed() -> None:
    name = task_name()
    ticks = itertools.count(step=0.5)  # each reading of the clock is 0.5 s after the last
    results = iter([None, RuntimeError("down"), None])

    async def work() -> None:
        failure = next(results)
        if failure is not None:
            raise failure

    pauses = Pauses(rounds=3)
    periodic = Periodic(name, 1.0, work, sleep=pauses, monotonic=lambda: next(ticks))
    await periodic.start()
    await eventually(lambda: len(pauses.asked) == 3, 5, "three rounds")
    await periodic.stop()
    assert rounds_counted(name, "ok") == 2
    assert rounds_counted(name, "failed") == 1
    labels = {"task": name}
    assert REGISTRY.get_sample_value("lienthong_periodic_round_seconds_count", labels) == 3
    assert REGISTRY.get_sample_value("lienthong_periodic_round_seconds_sum", labels) == 1.5


async def test_the_interval_can_be_asked_each_time_and_jitter_spreads_it() -> None:
    intervals = iter([10.0, 20.0, 30.0])
    draws = iter([0.0, 0.5, 1.0])  # the lowest, the middle and the highest draw

    async def work() -> None:
        return None

    pauses = Pauses(rounds=3)
    periodic = Periodic(
        task_name(),
        lambda: next(intervals),
        work,
        jitter=0.2,
        sleep=pauses,
        rng=lambda: next(draws),
    )
    await periodic.start()
    await eventually(lambda: len(pauses.asked) == 3, 5, "three pauses")
    await periodic.stop()
    assert pauses.asked == pytest.approx([8.0, 20.0, 36.0])


def test_jitter_must_be_a_fraction() -> None:
    async def work() -> None:
        return None

    with pytest.raises(ValueError, match="jitter"):
        Periodic("x", 1.0, work, jitter=1.0)


async def test_wake_starts_the_next_round_without_waiting_for_the_interval() -> None:
    rounds = 0

    async def work() -> None:
        nonlocal rounds
        rounds += 1

    periodic = Periodic(task_name(), 3600.0, work)
    await periodic.start()
    await periodic.start()  # already running: still one loop
    await eventually(lambda: rounds == 1, 5, "the first round")
    periodic.wake()
    await eventually(lambda: rounds == 2, 5, "a round after the wake-up")
    await periodic.stop()
    await periodic.start()  # a stopped loop starts again, with a round at once
    await eventually(lambda: rounds == 3, 5, "the first round after the restart")
    await periodic.stop()
    assert rounds == 3


async def test_a_round_stuck_past_the_grace_is_abandoned_by_stop() -> None:
    """A round waiting on a dead server must not hold up the process's stop for ever."""
    entered = asyncio.Event()

    async def stuck() -> None:
        entered.set()
        await asyncio.Event().wait()

    loop = Periodic(f"stuck-{uuid.uuid4().hex[:6]}", 60, stuck)
    await loop.start()
    await entered.wait()
    with capture_logs() as logs:
        await asyncio.wait_for(loop.stop(grace_s=0.2), timeout=5)
    assert [e["event"] for e in logs] == ["periodic_round_abandoned"]
    assert not loop.running


async def test_an_interval_that_fails_is_logged_and_the_loop_goes_on() -> None:
    rounds: list[int] = []
    asked = itertools.count()

    def interval() -> float:
        if next(asked) == 0:
            raise RuntimeError("configuration gone")
        return 0.0

    async def work() -> None:
        rounds.append(1)

    pauses = Pauses(rounds=3)
    loop = Periodic(f"bad-interval-{uuid.uuid4().hex[:6]}", interval, work, sleep=pauses)
    with capture_logs() as logs:
        await loop.start()
        await eventually(lambda: len(rounds) >= 3, what="three rounds")
        await loop.stop()
    assert "periodic_interval_failed" in [e["event"] for e in logs]
    assert pauses.asked[0] == 60.0
