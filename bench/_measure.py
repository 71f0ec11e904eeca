"""The phases of one end-to-end run, against a started `City`.

warm-up (a few dossiers of every procedure, followed to the end: consumer groups joined,
indexes made, connections open) → idle (the processes' background CPU, to net it out) →
measured load (open-loop offered rate) → follow every dossier to its final state → quiet
(the after-effects: receipts, survey invitations and their messages) → snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from _city import City, Snapshot
from _follow import KafkaFollower, Track, TrackingFollower
from _load import Submission, Template, offer, online_procedures, plan, wards_in_force
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

WARMUP_RATE = 10.0
QUIET_S = 3.0


@dataclass(frozen=True)
class Load:
    dossiers: int
    rate: float
    concurrency: int
    warmup: int
    timeout_s: float
    idle_s: float
    procedures: Sequence[str] = ()


@dataclass
class Measured:
    templates: list[Template]
    wards: int
    submissions: list[Submission]
    tracks: dict[str, Track]
    start: Snapshot
    end: Snapshot
    idle_cpu_per_s: dict[str, float]
    unfinished: list[str]
    quiet: bool
    extra: dict[str, Any] = field(default_factory=dict)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description:<10}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[note]}"),
    )


async def _watch(
    progress: Progress, submissions: Sequence[Submission], finals: Callable[[], int]
) -> None:
    sent = progress.add_task("submitted", total=len(submissions), note="")
    done = progress.add_task("final", total=len(submissions), note="")
    while True:
        answered = [s for s in submissions if s.answered_at]
        failed = sum(1 for s in answered if s.outcome != "received")
        progress.update(sent, completed=len(answered), note=f"{failed} not received")
        progress.update(done, completed=finals())
        await asyncio.sleep(0.25)


async def _idle_rates(city: City, seconds: float) -> dict[str, float]:
    before, t0 = city.cpu(), time.monotonic()
    await asyncio.sleep(seconds)
    after, elapsed = city.cpu(), time.monotonic() - t0
    return {name: (after[name] - before.get(name, after[name])) / elapsed for name in after}


def _finals(submissions: Sequence[Submission], tracks: dict[str, Track]) -> int:
    return sum(1 for s in submissions if (t := tracks.get(s.dossier_id)) is not None and t.final)


async def measure_real(city: City, kafka: str, load: Load) -> Measured:
    follower = KafkaFollower(kafka, city.layout.topic_prefix + "dossier.events")
    await follower.start()
    try:
        templates = online_procedures(city.intake_url, load.procedures)
        wards = wards_in_force()
        warm = plan(templates, wards, load.warmup, offset=1_000_000)
        await offer(city.intake_url, warm, min(load.rate or WARMUP_RATE, WARMUP_RATE), 8)
        await follower.wait_final([s.dossier_id for s in warm if s.code], load.timeout_s)
        await follower.wait_quiet(QUIET_S, 60)
        idle = await _idle_rates(city, load.idle_s)
        submissions = plan(templates, wards, load.dossiers)
        start = city.snapshot()
        city.profiling(True)
        with _progress() as progress:
            watch = asyncio.create_task(
                _watch(progress, submissions, lambda: _finals(submissions, follower.tracks))
            )
            try:
                await offer(city.intake_url, submissions, load.rate, load.concurrency)
                ids = [s.dossier_id for s in submissions if s.code]
                unfinished = await follower.wait_final(ids, load.timeout_s)
                quiet = await follower.wait_quiet(QUIET_S, 60)
            finally:
                watch.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await watch
        city.profiling(False)
        end = city.snapshot()
    finally:
        await follower.stop()
    extra = {"follower_records": follower.records, "follower_malformed": follower.malformed}
    return Measured(
        templates,
        len(wards),
        submissions,
        follower.tracks,
        start,
        end,
        idle,
        unfinished,
        quiet,
        extra,
    )


def _tracking(city: City, delay_s: float) -> TrackingFollower:
    # Few polls: the first when the dossier should be done (a few agency answers), then
    # every 2 s; completion times come from the timeline, not from when we looked.
    return TrackingFollower(city.intake_url, 3 * delay_s + 1, 2.0, 50.0)


async def _follow_embedded(
    city: City, follower: TrackingFollower, submissions: list[Submission], load: Load, rate: float
) -> list[str]:
    all_added = asyncio.Event()

    async def submit() -> None:
        try:
            await offer(city.intake_url, submissions, rate, load.concurrency, follower.add)
        finally:
            all_added.set()

    results = await asyncio.gather(submit(), follower.run(all_added, load.timeout_s))
    return results[1]


async def _cpu_quiet(city: City, idle: dict[str, float], timeout_s: float = 30.0) -> bool:
    """Embedded: wait until the process is back to its idle CPU rate (after-effects done)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        rates = await _idle_rates(city, 1.0)
        if rates["lienthong"] <= 2 * idle.get("lienthong", 0.0) + 0.02:
            return True
    return False


async def measure_embedded(city: City, load: Load, delay_s: float) -> Measured:
    templates = online_procedures(city.intake_url, load.procedures)
    wards = wards_in_force()
    warm = plan(templates, wards, load.warmup, offset=1_000_000)
    warm_rate = min(load.rate or WARMUP_RATE, WARMUP_RATE)
    await _follow_embedded(city, _tracking(city, delay_s), warm, load, warm_rate)
    idle = await _idle_rates(city, load.idle_s)
    submissions = plan(templates, wards, load.dossiers)
    follower = _tracking(city, delay_s)
    start = city.snapshot()
    city.profiling(True)
    with _progress() as progress:
        watch = asyncio.create_task(
            _watch(progress, submissions, lambda: _finals(submissions, follower.tracks))
        )
        try:
            unfinished = await _follow_embedded(city, follower, submissions, load, load.rate)
            quiet = await _cpu_quiet(city, idle)
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
    city.profiling(False)
    end = city.snapshot()
    extra = {"tracking_polls": follower.polls}
    return Measured(
        templates,
        len(wards),
        submissions,
        follower.tracks,
        start,
        end,
        idle,
        unfinished,
        quiet,
        extra,
    )
