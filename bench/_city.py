"""The whole city on this machine: six services, each its own `lienthong run SERVICE`
process as in production, on free ports, with this run's own topic prefix and databases;
the simulated agencies; or, embedded, one `lienthong up` process.

`City` is a context manager: whatever happens inside (an error, Ctrl-C), every process it
started is stopped on the way out (SIGTERM, then SIGKILL). A service can be killed (SIGKILL)
and started again on the same port, with the same settings, its log appended to.

A `recorded` city keeps, outside the services, what the world saw of them: the simulated
agencies run in a process of their own and write every call they answer to
`records/agency-calls.jsonl`; notify sends through an SMTP server and an SMS gateway
(`_sinks.py`) that write every message received to `records/messages.jsonl`.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import httpx
from _agencies import agencies_file
from _infra import ROOT, SHARED_INFRA_DIR, stable_port
from _procs import (
    Child,
    cpu_seconds,
    infra_processes,
    machine_cpu,
    spawn,
    stop_all,
    tree_cpu,
    wait_healthy,
)
from _sinks import notify_env
from prometheus_client.parser import text_string_to_metric_families

SERVICES = ("intake", "routing", "agency-adapter", "notify", "survey", "console", "notary")
COUNTERS = (
    "lienthong_bus_published_total",
    "lienthong_bus_handled_total",
    "lienthong_store_operations_total",
)
Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]


@dataclass
class Layout:
    """What one run is told: infrastructure, isolation, the simulators, extra settings."""

    run_id: str
    kafka: str | None  # None with `mongo` None: embedded
    mongo: str | None
    answer_delay_s: float
    simulators: str = "adapter"  # inside the agency adapter, or "process": their own
    profile: str | None = None  # a service to run under cProfile
    extra_env: Mapping[str, str] = field(default_factory=dict)
    recorded: bool = False  # agencies' calls and citizens' messages written down (see above)
    infra_dir: Path = SHARED_INFRA_DIR  # the deploy/local/infra instance, for its CPU time

    @property
    def embedded(self) -> bool:
        return self.kafka is None

    @property
    def topic_prefix(self) -> str:
        return f"{self.run_id}."


def base_env(layout: Layout, work: Path) -> dict[str, str]:
    """The environment of every process: no LIENTHONG_* of the caller's, then this run's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env.update(
        {
            "LIENTHONG_INTAKE_BLOB_DIR": str(work / "blobs"),
            # The bench measures throughput, not the night: SMS quiet hours would hold the
            # receipt messages of a run after 21:00 (start = end means no quiet window).
            "LIENTHONG_NOTIFY_QUIET_HOURS_START": "00:00",
            "LIENTHONG_NOTIFY_QUIET_HOURS_END": "00:00",
            "LIENTHONG_ADAPTER_SIMULATOR_ANSWER_DELAY_S": str(layout.answer_delay_s),
            # Online dossiers are received automatically today; if the intake gains a setting
            # for an officer's check before receipt, switch it to automatic here.
        }
    )
    if not layout.embedded:
        env["LIENTHONG_TOPIC_PREFIX"] = layout.topic_prefix
        env["LIENTHONG_DATABASE_PREFIX"] = layout.run_id
    env.update(layout.extra_env)
    return env


def _lienthong(layout: Layout, name: str, command: Sequence[str], log_dir: Path) -> list[str]:
    if layout.profile in (name, "all"):
        wrapper = str(ROOT / "bench/_profiled.py")
        return [sys.executable, wrapper, str(log_dir / f"{name}.prof"), *command]
    return [sys.executable, "-m", "lienthong.cli.main", *command]


@dataclass(frozen=True)
class Launch:
    """How a service was started, to start it again the same way."""

    argv: list[str]
    env: dict[str, str]
    port: int


class City:
    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.work = Path(tempfile.mkdtemp(prefix=f"e2e-{layout.run_id}-"))
        self.logs = self.work / "logs"
        self.logs.mkdir()
        self.records = self.work / "records"
        self.records.mkdir()
        self.services: dict[str, Child] = {}
        self.helpers: list[Child] = []
        self.infra: dict[str, int] = {}
        self._launches: dict[str, Launch] = {}

    def __enter__(self) -> City:
        try:
            self._start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        stop_all(list(self.services.values()))
        stop_all(self.helpers)
        shutil.rmtree(self.work / "blobs", ignore_errors=True)  # the logs stay, for reading

    @property
    def intake_url(self) -> str:
        return self.services["intake" if not self.layout.embedded else "lienthong"].url

    def kill(self, name: str) -> None:
        """SIGKILL the service, as a crash would."""
        self.services[name].kill()

    def restart(self, name: str) -> Child:
        """Start the service again: same port, settings and log (not waiting for it)."""
        launch = self._launches[name]
        with (self.logs / f"{name}.log").open("a") as log:
            log.write(f"\n=== bench: {name} started again at {time.time():.3f}\n")
        self.services[name] = spawn(
            name, launch.argv, launch.env, self.logs, launch.port, ROOT, append=True
        )
        return self.services[name]

    # --- starting ---------------------------------------------------------------------

    def _start(self) -> None:
        env = base_env(self.layout, self.work)
        if self.layout.embedded:
            env["LIENTHONG_ADAPTER_SIMULATORS"] = "true"
            # Polling the tracking API is the only way to follow dossiers without Kafka; a
            # dossier answered a moment ago may not be projected yet (404 counts as a failure).
            env["LIENTHONG_INTAKE_TRACKING_FAILURES_ALLOWED"] = "1000000"
            self._service("lienthong", ["up"], env)
        else:
            self.infra = infra_processes(self.layout.infra_dir)
            self._agencies(env)
            if self.layout.recorded:
                self._sinks(env)
            self._create_topics(env)
            for name in SERVICES:
                self._service(name, ["run", name], env)
        for child in self.services.values():
            wait_healthy(child)
        for child in self.services.values():
            wait_healthy(child, "/readyz", timeout_s=60)

    def _service(self, name: str, command: list[str], env: dict[str, str]) -> None:
        port = stable_port()  # the same again after a kill: agencies call back to it
        flags = ["--port", str(port)]
        if not self.layout.embedded:
            flags += ["--kafka", self.layout.kafka or "", "--mongo", self.layout.mongo or ""]
        env = {**env, "LIENTHONG_INSTANCE_ID": f"{self.layout.run_id}-{name}"}
        argv = _lienthong(self.layout, name, [*command, *flags], self.logs)
        self._launches[name] = Launch(argv, env, port)
        self.services[name] = spawn(name, argv, env, self.logs, port, ROOT)

    def _helper(self, name: str, argv: list[str], env: dict[str, str]) -> dict[str, str]:
        """Start a bench helper process; returns what it announced in its ready file."""
        ready = self.work / f"{name}-ready.json"
        child = spawn(name, [*argv, "--ready-file", str(ready)], env, self.logs, cwd=ROOT)
        self.helpers.append(child)
        deadline = time.monotonic() + 120
        while not ready.exists():
            if not child.alive() or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start:\n{child.log_tail()}")
            time.sleep(0.2)
        announced: dict[str, str] = json.loads(ready.read_text())
        return announced

    def _agencies(self, env: dict[str, str]) -> None:
        if self.layout.simulators == "adapter" and not self.layout.recorded:
            env["LIENTHONG_ADAPTER_SIMULATORS"] = "true"
            return
        env["LIENTHONG_ADAPTER_SIMULATORS"] = "false"
        script = str(ROOT / "bench/_agencies.py")
        argv = [sys.executable, script, "--delay", str(self.layout.answer_delay_s)]
        if self.layout.recorded:
            argv += ["--record", str(self.records / "agency-calls.jsonl")]
        urls = self._helper("agencies", argv, env)
        path = agencies_file(urls, self.work / "agencies.yaml")
        env["LIENTHONG_ADAPTER_AGENCIES_FILE"] = str(path)

    def _sinks(self, env: dict[str, str]) -> None:
        script = str(ROOT / "bench/_sinks.py")
        record = str(self.records / "messages.jsonl")
        ready = self._helper("sinks", [sys.executable, script, "--record", record], env)
        env.update(notify_env(ready))

    def _create_topics(self, env: dict[str, str]) -> None:
        """As a deployment does before the services start (`lienthong topics create`)."""
        argv = [sys.executable, "-m", "lienthong.cli.main", "topics", "create"]
        child = spawn(
            "topics", [*argv, "--kafka", self.layout.kafka or ""], env, self.logs, cwd=ROOT
        )
        try:
            code = child.popen.wait(180)
        finally:
            child.stop()
        if code != 0:
            raise RuntimeError(f"lienthong topics create failed:\n{child.log_tail()}")

    # --- watching ---------------------------------------------------------------------

    def cpu(self) -> dict[str, float]:
        """CPU seconds so far of every process of the run, and of the infrastructure's."""
        mine = [*self.services.values(), *self.helpers]
        seconds = {c.name: s for c in mine if (s := cpu_seconds(c.pid)) is not None}
        seconds.update({name: tree_cpu(pid) for name, pid in self.infra.items()})
        seconds["bench"] = cpu_seconds(os.getpid()) or 0.0
        return seconds

    def counters(self) -> Samples:
        """The kernel's counters of every service (bus, store), by sample labels."""
        found: Samples = {}
        for name, child in self.services.items():
            if not child.alive():
                code = child.popen.returncode
                raise RuntimeError(f"{name} exited ({code}) during the run:\n{child.log_tail()}")
            text = httpx.get(child.url + "/metrics", timeout=10).text
            for family in text_string_to_metric_families(text):
                for sample in family.samples:
                    if sample.name in COUNTERS:
                        key = (("metric", sample.name), *sorted(sample.labels.items()))
                        found.setdefault(name, {})[key] = sample.value
        return found

    def snapshot(self) -> Snapshot:
        return Snapshot(time.monotonic(), time.time(), self.cpu(), machine_cpu(), self.counters())

    def profiling(self, on: bool) -> None:
        """Start (or stop and write) the profile of the services run under `_profiled`."""
        for name, child in self.services.items():
            if self.layout.profile in (name, "all") and child.alive():
                child.popen.send_signal(signal.SIGUSR1 if on else signal.SIGUSR2)

    def profiles(self, timeout_s: float = 30.0) -> dict[str, Path]:
        """The profiles written, waiting a little for them (a big profile takes a while)."""
        wanted = [n for n in self.services if self.layout.profile in (n, "all")]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all((self.logs / f"{n}.prof").exists() for n in wanted):
                break
            time.sleep(0.2)
        return {p.stem: p for p in self.logs.glob("*.prof")}


@dataclass(frozen=True)
class Snapshot:
    mono: float
    wall: float
    cpu: dict[str, float]
    machine: tuple[float, float]
    counters: Samples
