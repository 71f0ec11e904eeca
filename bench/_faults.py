"""A city at work while its parts are killed, then what must still hold (`_properties`).

The run: a private Kafka + FerretDB (`PrivateInfra`, so the shared ones are never touched), a
recorded `City` on it (each service its own process, the simulated agencies and the citizens'
mail and SMS providers recording what they get), dossiers of every online procedure submitted
by citizens who retry with the same Idempotency-Key; meanwhile, at moments drawn from a seeded
RNG (print the seed, and the same plan replays), each service is SIGKILLed and started again,
the broker is SIGKILLed and started on its data, FerretDB is SIGKILLed and started. A service
that exits by itself is started again too, as a supervisor would, and the exit is reported.
Then, within bounds, every dossier is followed to its end and the properties are checked.

Used by `tests/system/test_faults.py` (one round of faults, a few hundred dossiers) and
`bench/soak.py` (thousands, faults at intervals throughout).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from _city import SERVICES, City, Layout, base_env
from _infra import ROOT, PrivateInfra
from _load import Submission, offer, online_procedures, plan, wards_in_force
from _observe import Observed, observe
from _procs import Child, cpu_seconds, wait_healthy
from _properties import Verdict, audit, no_service_hung

BROKER, DATABASE = "kafka", "ferretdb"
RESTART_PATIENCE_S = 300.0
LIVENESS_S = 60.0  # a Kubernetes liveness probe's (20 s period, 3 failures): then restarted
AUDIT_WAIT_S = 120.0  # for the notary to chain the last events

# Settings of the run's services (beyond the bench's usual ones, `_city.base_env`). None of them
# lets a property hold that would not hold otherwise: they bound how long the run's end waits.
FAULT_ENV = {
    # The checker reads every tracking view from one address, before some are projected.
    "LIENTHONG_INTAKE_TRACKING_FAILURES_ALLOWED": "1000000",
    # A send cut by a kill is taken up again after the lease (default 120 s), with the same
    # reference; 20 s stays above the SMTP (10 s) and SMS (5 s) timeouts.
    "LIENTHONG_NOTIFY_SEND_LEASE_S": "20",
    # Retries of a send that met an outage: from 1 s up to 10 s (default 30 s up to 1 h).
    "LIENTHONG_NOTIFY_BACKOFF_INITIAL_S": "1",
    "LIENTHONG_NOTIFY_BACKOFF_MAX_S": "10",
    # Delivery rounds of a task that met an outage: up to 15 s apart (default 5 min).
    "LIENTHONG_ADAPTER_ROUND_MAX_S": "15",
    # A hung service's stacks on SIGABRT (see `Injector.supervise`).
    "PYTHONFAULTHANDLER": "1",
}


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
    starts: int = 0  # attempts to start it again (a service exits if its broker is away)
    planned: bool = True  # False: the process had exited by itself, and was started again
    exit: str = ""  # unplanned: how it ended
    hung: str = ""  # unplanned: alive, but not answering (then stopped by the supervisor)


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


@dataclass(frozen=True)
class FaultRun:
    dossiers: int = 300
    rate: float = 3.0  # submissions offered per second
    concurrency: int = 16
    seed: int = field(default_factory=lambda: random.SystemRandom().randrange(1, 10**6))
    rounds: int = 1  # of faults (every target once per round), spread over the submissions
    answer_delay_s: float = 1.0
    retry_for_s: float = 300.0  # a citizen's patience, across retries with one key
    settle_timeout_s: float = 300.0  # after the last submission: for every dossier to end
    procedures: Sequence[str] = ()


@dataclass
class Outcome:
    run: FaultRun
    services: list[str]
    faults: list[Fault]
    injected: list[Injected]
    submissions: list[Submission]
    observed: Observed
    logs: Path
    durations_s: dict[str, float]
    infra_timings: dict[str, list[float]]

    @property
    def ok(self) -> bool:
        return all(v.ok for v in self.observed.verdicts)

    def failures(self) -> str:
        """Each failed property, then what the services said of themselves at the end."""
        lines = [v.explain() for v in self.observed.verdicts if not v.ok]
        lines.append(f"consumer lag at the end: {self.observed.lag}")
        lines += [f"{name} /readyz: {body}" for name, body in self.observed.readiness.items()]
        return "\n".join(lines)

    def summary(self) -> dict[str, Any]:
        unplanned = [asdict(i) for i in self.injected if not i.planned]
        return {
            "seed": self.run.seed,
            "parameters": {k: v for k, v in asdict(self.run).items() if k != "procedures"},
            "durations_s": self.durations_s,
            "faults_injected": [asdict(i) for i in self.injected if i.planned],
            "services_that_exited_by_themselves": unplanned,
            "properties": {v.name: v.summary() for v in self.observed.verdicts},
            "consumer_lag_at_end": self.observed.lag,
            "infra_command_seconds": self.infra_timings,
            "logs": str(self.logs),
        }


async def _load_under_faults(
    city: City, injector: Injector, run: FaultRun, faults: Sequence[Fault]
) -> list[Submission]:
    templates = online_procedures(city.intake_url, run.procedures)
    submissions = plan(templates, wards_in_force(), run.dossiers)
    t0 = time.monotonic()
    await asyncio.gather(
        offer(city.intake_url, submissions, run.rate, run.concurrency, retry_for_s=run.retry_for_s),
        injector.run(faults, t0),
    )
    return submissions


async def _with_city(
    city: City, infra: PrivateInfra, run: FaultRun, say: Callable[[str], None]
) -> tuple[list[Fault], Injector, list[Submission], Observed, dict[str, float]]:
    faults = plan_faults(run.seed, run.dossiers / run.rate, run.rounds, tuple(city.services))
    say(f"seed {run.seed}: " + ", ".join(f"{f.target}@{f.at_s:.0f}s" for f in faults))
    injector = Injector(city, infra, say)
    supervisor = asyncio.create_task(injector.supervise())
    durations: dict[str, float] = {}
    try:
        async with observe(city, infra.kafka, say) as watch:
            started = time.monotonic()
            submissions = await _load_under_faults(city, injector, run, faults)
            durations["load_s"] = round(time.monotonic() - started, 1)
            say(f"{len(submissions)} submissions answered; settling")
            kills = [i.killed_at for i in injector.injected if i.target == "notify"]
            observed = await watch.settle(submissions, run.settle_timeout_s, kills)
            durations["settle_s"] = round(time.monotonic() - started - durations["load_s"], 1)
    finally:
        supervisor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervisor
    observed.verdicts.append(audit_verify(city))
    hangs = [(i.target, i.killed_at, i.hung) for i in injector.injected if i.hung]
    observed.verdicts.append(no_service_hung(hangs, len(city.services)))
    return faults, injector, submissions, observed, durations


def audit_verify(city: City) -> Verdict:
    """`lienthong audit verify --all` on the run's topics and databases."""
    env = {
        **base_env(city.layout, city.work),
        "LIENTHONG_KAFKA_BOOTSTRAP": city.layout.kafka or "",
        "LIENTHONG_MONGO_URL": city.layout.mongo or "",
    }
    argv = [sys.executable, "-m", "lienthong.cli.main", "audit", "verify", "--all"]
    argv += ["--wait", str(AUDIT_WAIT_S), "--kafka", env["LIENTHONG_KAFKA_BOOTSTRAP"]]
    argv += ["--mongo", env["LIENTHONG_MONGO_URL"]]
    try:
        done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired as exc:
        return audit(None, f"timed out after {exc.timeout} s")
    return audit(done.returncode, done.stderr + done.stdout)  # progress, then summary


def run_with_faults(run: FaultRun, say: Callable[[str], None] = print) -> Outcome:
    """The whole run, everything it started stopped and its private infrastructure purged."""
    started = time.monotonic()
    with PrivateInfra() as infra:
        say(f"private Kafka {infra.kafka}, FerretDB {infra.mongo} ({infra.state})")
        layout = Layout(
            f"faults{uuid.uuid4().hex[:6]}",
            infra.kafka,
            infra.mongo,
            run.answer_delay_s,
            simulators="process",
            extra_env=FAULT_ENV,
            recorded=True,
            infra_dir=infra.state,
        )
        city = City(layout)
        try:
            with city:
                say(f"city up (logs in {city.logs})")
                faults, injector, submissions, observed, durations = asyncio.run(
                    _with_city(city, infra, run, say)
                )
        finally:
            _keep_infra_logs(infra, city.logs)
    durations["total_s"] = round(time.monotonic() - started, 1)
    return Outcome(
        run,
        list(city.services),
        faults,
        injector.injected,
        submissions,
        observed,
        city.logs,
        durations,
        infra.timings,
    )


def _keep_infra_logs(infra: PrivateInfra, logs: Path) -> None:
    """The broker's, FerretDB's and PostgreSQL's logs beside the services' (purge deletes
    the state dir)."""
    for name, path in infra.logs().items():
        with contextlib.suppress(OSError):
            shutil.copyfile(path, logs / f"infra-{name}.log")


def tails(logs: Path, names: Sequence[str], lines: int = 25) -> str:
    """The last lines of the named logs (`<name>.log` in `logs`), for a failure message."""
    out = []
    for name in names:
        path = logs / f"{name}.log"
        with contextlib.suppress(OSError):
            text = path.read_text(errors="replace").splitlines()[-lines:]
            out.append(f"--- {path}\n" + "\n".join(text))
    return "\n".join(out)
