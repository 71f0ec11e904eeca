"""A city at work while its parts are killed, then what must still hold (`_properties`).

The run: a private Kafka + FerretDB (`PrivateInfra`, so the shared ones are never touched), a
recorded `City` on it (each service its own process, the simulated agencies and the citizens'
mail and SMS providers recording what they get), dossiers of every online procedure submitted
by citizens who retry with the same Idempotency-Key; meanwhile, at moments drawn from a seeded
RNG (print the seed, and the same plan replays), each service is SIGKILLed and started again,
the broker is SIGKILLed and started on its data, FerretDB is SIGKILLed and started. A service
that exits by itself is started again too, as a supervisor would, and the exit fails the run.
Then, within bounds, every dossier is followed to its end and the properties are checked.
A SIGTERM ends the run the way an error does: every process stopped, the private
infrastructure purged (`_sigterm`).

Used by `tests/system/test_faults.py` (one round of faults, a few hundred dossiers) and
`bench/soak.py` (thousands, faults at intervals throughout).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from _city import City, Layout, base_env
from _infra import ROOT, PrivateInfra
from _injector import Fault, Injected, Injector, plan_faults, planned_kills
from _load import Submission, offer, online_procedures, plan, wards_in_force
from _observe import Observed, observe
from _properties import Verdict, audit, services_stayed_up
from _sigterm import Termination

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
        lines += [
            f"{name} /readyz: {status} {body}"
            for name, (status, body) in self.observed.readiness.items()
        ]
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
            kills = planned_kills(injector.injected, "notify")
            observed = await watch.settle(submissions, run.settle_timeout_s, kills)
            durations["settle_s"] = round(time.monotonic() - started - durations["load_s"], 1)
    finally:
        supervisor.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervisor
    return faults, injector, submissions, observed, durations


def audit_verify(city: City, received: int) -> Verdict:
    """`lienthong audit verify --all` on the run's topics and databases: `received` dossiers
    at least must be verified."""
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
        return audit(None, f"timed out after {exc.timeout} s", received)
    return audit(done.returncode, done.stderr + done.stdout, received)  # progress, summary


def run_with_faults(run: FaultRun, say: Callable[[str], None] = print) -> Outcome:
    """The whole run, everything it started stopped and its private infrastructure purged,
    also when a SIGTERM ends it (then `Terminated` is raised)."""
    with Termination() as termination:
        return _run_with_faults(run, say, termination)


def _run_with_faults(
    run: FaultRun, say: Callable[[str], None], termination: Termination
) -> Outcome:
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
            with city, termination.uninterrupted_after():
                say(f"city up (logs in {city.logs})")
                faults, injector, submissions, observed, durations = termination.run(
                    _with_city(city, infra, run, say)
                )
                received = sum(1 for s in submissions if s.code)
                observed.verdicts.append(audit_verify(city, received))
                observed.verdicts.append(services_stayed_up(injector.injected, len(city.services)))
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
