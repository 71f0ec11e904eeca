"""Faults carried out on a running city: a seeded plan (every target once per round, at
moments uniform over the round), the kills and restarts it says, and a supervisor that, as
Kubernetes would, starts again a service that exited by itself or stopped answering its
liveness probe; every one of them recorded (`Injected`), for the properties to judge (an exit
or hang the plan did not cause fails the run: `services_stayed_up`).
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import httpx
from _city import SERVICES, City
from _infra import PrivateInfra
from _procs import Child, cpu_seconds, wait_healthy

BROKER, DATABASE = "kafka", "ferretdb"
RESTART_PATIENCE_S = 300.0
LIVENESS_S = 60.0  # a Kubernetes liveness probe's (20 s period, 3 failures): then restarted


@dataclass(frozen=True)
class Fault:
    target: str  # a service, BROKER or DATABASE
    at_s: float  # after the first submission
    down_s: float  # dead for this long before it is started again


@dataclass
class Injected:
    """What became of one fault (epoch seconds)."""

    target: str
    planned_at_s: float
    killed_at: float = 0.0
    restarted_at: float = 0.0
    up_at: float = 0.0
    error: str = ""  # why it did not come back
    starts: int = 0  # attempts to start it again
    start_failures: list[str] = field(default_factory=list)  # a service's, each attempt's why
    planned: bool = True  # False: the process had exited by itself, and was started again
    exit: str = ""  # unplanned: how it ended
    hung: str = ""  # unplanned: alive, but not answering (then stopped by the supervisor)


def planned_kills(injected: Sequence[Injected], target: str) -> list[float]:
    """When the plan killed `target` (a supervisor's restart after an exit is no kill)."""
    return [i.killed_at for i in injected if i.target == target and i.planned]


def _briefly(exc: Exception) -> str:
    """A failed start, in a few lines: what happened, and how the service's log ended."""
    lines = [line for line in str(exc).splitlines() if line.strip()]
    said = f"{type(exc).__name__}: {lines[0] if lines else ''}"
    return "\n      ".join([said, *lines[1:][-3:]])


async def _answers(http: httpx.AsyncClient, child: Child) -> bool:
    try:
        return (await http.get(child.url + "/healthz")).status_code == 200
    except httpx.HTTPError:
        return False


async def _stop_hung(child: Child) -> str:
    """Stop a hung service with its stacks in its log (faulthandler on SIGABRT); say how it
    was: spinning (CPU) or blocked."""
    before = cpu_seconds(child.pid) or 0.0
    await asyncio.sleep(1.0)
    spent = (cpu_seconds(child.pid) or 0.0) - before
    child.popen.send_signal(signal.SIGABRT)
    for _ in range(50):
        if not child.alive():
            break
        await asyncio.sleep(0.1)
    child.kill()
    return (
        f"no /healthz answer for {LIVENESS_S:.0f} s, {spent:.2f} CPU s in its last second; "
        "its threads' stacks are at the end of its log"
    )


def plan_faults(
    seed: int,
    window_s: float,
    rounds: int = 1,
    services: Sequence[str] = SERVICES,
    down_s: tuple[float, float] = (0.5, 5.0),
) -> list[Fault]:
    """Every target once per round, each round a slice of the window, moments uniform."""
    rng = random.Random(seed)
    span = window_s / rounds
    faults = []
    for r in range(rounds):
        for target in [*services, BROKER, DATABASE]:
            at_s = r * span + rng.uniform(0.05, 0.95) * span
            faults.append(Fault(target, round(at_s, 2), round(rng.uniform(*down_s), 2)))
    return sorted(faults, key=lambda f: f.at_s)


class Injector:
    """Carries out a plan of faults on a city and its private infrastructure, and restarts any
    service that exits unasked."""

    def __init__(self, city: City, infra: PrivateInfra, say: Callable[[str], None]) -> None:
        self.city, self.infra, self.say = city, infra, say
        self.injected: list[Injected] = []
        self._locks = {t: asyncio.Lock() for t in [*city.services, BROKER, DATABASE]}
        self._down: set[str] = set()

    async def run(self, faults: Sequence[Fault], t0: float) -> None:
        await asyncio.gather(*(self._one(fault, t0) for fault in faults))

    async def _one(self, fault: Fault, t0: float) -> None:
        await asyncio.sleep(max(0.0, t0 + fault.at_s - time.monotonic()))
        async with self._locks[fault.target]:
            record = Injected(fault.target, fault.at_s)
            self.injected.append(record)
            self._down.add(fault.target)
            try:
                record.killed_at = time.time()
                if fault.target in (BROKER, DATABASE):
                    await asyncio.to_thread(self.infra.kill, fault.target)
                else:
                    self.city.kill(fault.target)
                self.say(f"killed {fault.target} (planned at {fault.at_s:.1f} s)")
                await asyncio.sleep(fault.down_s)
                await self._start(fault.target, record)
            finally:
                self._down.discard(fault.target)

    async def _start(self, target: str, record: Injected) -> None:
        """Start it again; a service that exits while starting (its broker or database is
        still away) is started again after a pause, as a supervisor would, within a bound."""
        record.restarted_at = time.time()
        deadline = time.monotonic() + RESTART_PATIENCE_S
        while True:
            record.starts += 1
            try:
                if target in (BROKER, DATABASE):
                    await asyncio.to_thread(self.infra.start, target)
                else:
                    child = self.city.restart(target)  # forks here, in the loop's thread
                    await asyncio.to_thread(wait_healthy, child)
                break
            except Exception as exc:
                if target not in (BROKER, DATABASE):
                    # It exited while starting, or never answered: not one to keep running
                    # beside the next attempt.
                    record.start_failures.append(_briefly(exc))
                    self.city.kill(target)
                if time.monotonic() > deadline:
                    record.error = f"{type(exc).__name__}: {exc}"
                    self.say(f"{target} did not come back: {record.error}")
                    return
                await asyncio.sleep(2.0)
        record.up_at = time.time()
        tries = f", {record.starts} starts" if record.starts > 1 else ""
        self.say(f"{target} up again after {record.up_at - record.killed_at:.1f} s{tries}")

    async def supervise(self) -> None:
        """Until cancelled, as a supervisor with a liveness probe: a service found dead that
        was not killed, or alive but not answering /healthz for `LIVENESS_S` (its stacks are
        dumped to its log first: SIGABRT with PYTHONFAULTHANDLER), is started again."""
        answered = {name: time.monotonic() for name in self.city.services}
        async with httpx.AsyncClient(timeout=5) as http:
            while True:
                await asyncio.sleep(1.0)
                for name, child in list(self.city.services.items()):
                    if name in self._down or self._locks[name].locked():
                        answered[name] = time.monotonic()
                    elif not child.alive():
                        await self._revive(name, child, "")
                    elif await _answers(http, child):
                        answered[name] = time.monotonic()
                    elif time.monotonic() - answered[name] > LIVENESS_S:
                        await self._revive(name, child, await _stop_hung(child))
                        answered[name] = time.monotonic()

    async def _revive(self, name: str, child: Child, hung: str) -> None:
        async with self._locks[name]:
            record = Injected(name, -1.0, killed_at=time.time(), planned=False, hung=hung)
            if hung:
                self.say(f"{name} hung: {hung}; starting it again")
            code = child.popen.returncode
            record.exit = f"exit code {code}; its log ended with:\n{child.log_tail(12)}"
            self.injected.append(record)
            if not hung:
                self.say(f"{name} exited by itself ({code}); starting it again")
            await self._start(name, record)
