"""Benchmarks run against the real infrastructure, started like the tests start it."""

from __future__ import annotations

import os
import platform
import random
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench/results"
# The shared instance's state dir, where its downloads are cached (deploy/local/infra).
SHARED_INFRA_DIR = Path(
    os.environ.get("LIENTHONG_INFRA_DIR", Path.home() / ".cache/lienthong/infra")
)


def infrastructure() -> tuple[str, str]:
    """(KAFKA_BOOTSTRAP, MONGO_URL): from the environment, else `deploy/local/infra up`."""
    kafka, mongo = os.environ.get("KAFKA_BOOTSTRAP"), os.environ.get("MONGO_URL")
    if kafka and mongo:
        return kafka, mongo
    out = subprocess.run(
        [str(ROOT / "deploy/local/infra"), "up"], capture_output=True, text=True, check=True
    ).stdout
    values = dict(line.split("=", 1) for line in out.splitlines() if "=" in line)
    return values["KAFKA_BOOTSTRAP"], values["MONGO_URL"]


def machine() -> dict[str, object]:
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# Below Linux's ephemeral range (32768–60999 by default): a port there can be taken at any
# moment as the local end of some client's connection, which matters for a server that is
# killed and started again on the same port (deploy/local/NOTES.md).
STABLE_PORTS = range(20_000, 32_000)


def stable_port(rng: random.Random | None = None) -> int:
    """A TCP port free on loopback right now, outside the ephemeral range."""
    pick = rng or random.Random()
    for _ in range(200):
        port = pick.choice(STABLE_PORTS)
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {STABLE_PORTS}")


COMPONENTS = ("kafka", "ferretdb")  # what `deploy/local/infra kill|start` take


class PrivateInfra:
    """An instance of `deploy/local/infra` of one's own, to break at will: its own state dir
    (Kafka's log dirs, a private PostgreSQL cluster under FerretDB) and ports, the downloads
    (Kafka jars, FerretDB build) reused from the shared instance's cache. `kill` and `start`
    one component on its data; everything is purged on the way out."""

    def __init__(self, parent: Path | None = None) -> None:
        base = Path(tempfile.mkdtemp(prefix="lienthong-infra-", dir=parent))
        # As root the cluster belongs to `postgres`, which must reach it (else the script puts
        # it in /var/tmp; `purge` removes it there too).
        base.chmod(0o755)
        self.state = base / "infra"
        rng = random.Random()
        ports: list[int] = []
        while len(ports) < 5:
            if (port := stable_port(rng)) not in ports:
                ports.append(port)
        kafka, controller, mongo, debug, postgres = ports
        cache = os.environ.get("LIENTHONG_INFRA_CACHE_DIR") or str(SHARED_INFRA_DIR)
        self.env = {
            **os.environ,
            "LIENTHONG_INFRA_DIR": str(self.state),
            "LIENTHONG_INFRA_CACHE_DIR": cache,
            "LIENTHONG_KAFKA_PORT": str(kafka),
            "LIENTHONG_KAFKA_CONTROLLER_PORT": str(controller),
            "LIENTHONG_FERRETDB_PORT": str(mongo),
            "LIENTHONG_FERRETDB_DEBUG_PORT": str(debug),
            "LIENTHONG_POSTGRES_PORT": str(postgres),
            # A second broker and cluster on a 2-core machine: smaller than the shared ones.
            "LIENTHONG_KAFKA_HEAP": "384m",
            "LIENTHONG_POSTGRES_SHARED_BUFFERS": "64MB",
        }
        self.kafka = f"127.0.0.1:{kafka}"
        self.mongo = f"mongodb://127.0.0.1:{mongo}/"
        self.timings: dict[str, list[float]] = {}

    def __enter__(self) -> PrivateInfra:
        try:
            self._run("up", timeout_s=900)  # a fresh machine builds FerretDB: minutes
        except BaseException:
            self.purge()
            raise
        return self

    def __exit__(self, *_exc: object) -> None:
        self.purge()

    def kill(self, component: str) -> None:
        self._run("kill", component, timeout_s=30)

    def start(self, component: str) -> None:
        self._run("start", component, timeout_s=300)

    def purge(self) -> None:
        self._run("purge", timeout_s=120, check=False)
        shutil.rmtree(self.state.parent, ignore_errors=True)

    def logs(self) -> dict[str, Path]:
        return {
            "kafka": self.state / "kafka/logs/server.log",
            "ferretdb": self.state / "ferretdb/logs/ferretdb.log",
            "postgres": self.state / "postgres/postgres.log",
        }

    def _run(self, *argv: str, timeout_s: float, check: bool = True) -> None:
        started = time.monotonic()
        result = subprocess.run(
            [str(ROOT / "deploy/local/infra"), *argv],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
        )
        self.timings.setdefault(" ".join(argv), []).append(round(time.monotonic() - started, 2))
        if check and result.returncode != 0:
            raise RuntimeError(f"deploy/local/infra {' '.join(argv)} failed:\n{result.stderr}")
