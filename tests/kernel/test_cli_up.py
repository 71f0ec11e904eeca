"""`lienthong up`: starts, answers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import httpx
import pytest

from tests.conftest import Infra
from tests.running import lienthong_up

EVERY_SERVICE = {"intake", "routing", "agency-adapter", "survey", "notify", "console"}


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
