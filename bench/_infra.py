"""Benchmarks run against the real infrastructure, started like the tests start it."""

from __future__ import annotations

import os
import platform
import socket
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench/results"


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
