"""`lienthong up`: starts, answers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import subprocess
import sys

import httpx
import pytest

from tests.conftest import Infra
from tests.running import lienthong_up

EVERY_SERVICE = {"intake", "routing", "agency-adapter", "survey", "notify", "console", "notary"}


@pytest.mark.parametrize(
    "infrastructure", ["embedded", pytest.param("real", marks=pytest.mark.kafka)]
)
def test_up_starts_answers_healthz_and_stops_on_sigterm(
    infrastructure: str, request: pytest.FixtureRequest, unique: str
) -> None:
    infra: Infra | None = request.getfixturevalue("infra") if infrastructure == "real" else None
    # The shipped agencies are simulated: on real infrastructure the simulators are asked for.
    simulated = {"LIENTHONG_ADAPTER_SIMULATORS": "true"}
    with lienthong_up(infra, unique, simulated) as system:
        health = httpx.get(f"{system.base_url}/healthz", timeout=5)
        assert health.status_code == 200
        assert set(health.json()["services"]) == EVERY_SERVICE
        ready = httpx.get(f"{system.base_url}/readyz", timeout=5)
        assert ready.status_code == 200, ready.text
        missing = httpx.get(f"{system.base_url}/no-such-page", timeout=5)
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert system.stop() == 0, system.stderr[-2000:]
    assert '"event": "host_stopped"' in system.stderr


@pytest.mark.kafka
def test_a_second_instance_on_a_taken_port_stops_before_joining_anything(
    infra: Infra, unique: str
) -> None:
    """The clash is said at once, before the second instance joins the consumer groups (which
    would rebalance the running one) or starts simulators."""
    with lienthong_up(infra, unique) as system:
        port = system.base_url.rsplit(":", 1)[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
        env |= {"LIENTHONG_TOPIC_PREFIX": f"{unique}.", "LIENTHONG_DATABASE_PREFIX": unique}
        flags = ["--kafka", infra.kafka_bootstrap, "--mongo", infra.mongo_url]
        second = subprocess.run(
            [sys.executable, "-m", "lienthong.cli.main", "up", "--port", port, *flags],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 2
        assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
        assert "simulator_started" not in second.stderr
        assert httpx.get(f"{system.base_url}/readyz", timeout=5).status_code == 200
        assert system.stop() == 0
    assert "rebalanc" not in system.stderr.lower(), "the running instance was not disturbed"
