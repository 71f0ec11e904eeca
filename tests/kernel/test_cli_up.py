"""`lienthong up`: starts on the embedded default, answers, stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import ROOT, Infra


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, "lienthong up exited while starting"
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{url} did not answer within {timeout}s")


@pytest.mark.parametrize(
    "infrastructure", ["embedded", pytest.param("real", marks=pytest.mark.kafka)]
)
def test_up_starts_answers_healthz_and_stops_on_sigterm(
    infrastructure: str, request: pytest.FixtureRequest, unique: str
) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    flags: list[str] = []
    if infrastructure == "real":
        infra: Infra = request.getfixturevalue("infra")
        flags = ["--kafka", infra.kafka_bootstrap, "--mongo", infra.mongo_url]
        env["LIENTHONG_TOPIC_PREFIX"] = f"{unique}."
        env["LIENTHONG_DATABASE_PREFIX"] = unique
    process = subprocess.Popen(
        [sys.executable, "-m", "lienthong.cli.main", "up", "--port", str(port), *flags],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        health = wait_healthy(f"http://127.0.0.1:{port}/healthz", process)
        assert health.status_code == 200
        assert set(health.json()["services"]) == {
            "intake",
            "routing",
            "agency-adapter",
            "survey",
            "notify",
            "console",
        }
        ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        missing = httpx.get(f"http://127.0.0.1:{port}/no-such-page", timeout=5)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert b'"event": "host_stopped"' in stderr
