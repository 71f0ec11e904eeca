"""`lienthong up` as a real process, for the tests that run the system as people do."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO

import httpx

from tests.conftest import ROOT, Infra
from tests.support import free_port


@dataclass
class RunningSystem:
    process: subprocess.Popen[bytes]
    base_url: str
    log: IO[bytes]  # the process's stderr: a file, since a pipe nobody reads fills and blocks
    stderr: str = ""

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, as a supervisor stops it; returns the exit code and keeps stderr."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=timeout)
        self.log.seek(0)
        self.stderr = self.log.read().decode()
        return self.process.returncode


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "lienthong up exited while starting"
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


@contextmanager
def lienthong_up(
    infra: Infra | None, unique: str, extra_env: dict[str, str] | None = None
) -> Iterator[RunningSystem]:
    """`lienthong up` on a free port: embedded when `infra` is None, else on the real Kafka
    and FerretDB with this test's own topic prefix and databases."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    flags: list[str] = []
    if infra is not None:
        flags = ["--kafka", infra.kafka_bootstrap, "--mongo", infra.mongo_url]
        env["LIENTHONG_TOPIC_PREFIX"] = f"{unique}."
        env["LIENTHONG_DATABASE_PREFIX"] = unique
    env.update(extra_env or {})
    log = tempfile.TemporaryFile()  # noqa: SIM115 - closed when the system is done
    process = subprocess.Popen(
        [sys.executable, "-m", "lienthong.cli.main", "up", "--port", str(port), *flags],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    system = RunningSystem(process, f"http://127.0.0.1:{port}", log)
    try:
        wait_healthy(f"{system.base_url}/healthz", process, timeout=90)
        yield system
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
