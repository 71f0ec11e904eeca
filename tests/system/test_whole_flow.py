"""The whole system, as a newcomer runs it: `lienthong up`, one dossier, no hands.

A citizen submits the birth group online; routing opens the steps, the agency adapter delivers
them to the simulated civil-status (REST), residence (SOAP) and social-insurance (webhook)
systems, which answer by themselves; the dossier completes, notify queues the messages and
survey invites the citizen. Once on the embedded default, once on real Kafka and FerretDB.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from tests.conftest import Infra
from tests.running import lienthong_up
from tests.services.intake.samples import birth_group, key


def follow(base: str, code: str, secret: str, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    tracking: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = httpx.get(f"{base}/v1/tracking/{code}", params={"secret": secret}, timeout=10)
        if response.status_code == 200:
            tracking = response.json()
            if tracking["status"] == "result_returned":
                return tracking
        time.sleep(0.5)
    raise AssertionError(f"dossier {code} did not complete: last seen {tracking}")


@pytest.mark.parametrize(
    "infrastructure", ["embedded", pytest.param("real", marks=pytest.mark.kafka)]
)
def test_a_birth_group_dossier_runs_to_completion_by_itself(
    infrastructure: str, request: pytest.FixtureRequest, unique: str
) -> None:
    infra: Infra | None = request.getfixturevalue("infra") if infrastructure == "real" else None
    # On real infrastructure the agencies' systems are simulated too (embedded: by default).
    with lienthong_up(infra, unique, {"LIENTHONG_ADAPTER_SIMULATORS": "true"}) as system:
        base = system.base_url
        submitted = httpx.post(f"{base}/v1/dossiers", json=birth_group(), headers=key(), timeout=60)
        assert submitted.status_code == 201, submitted.text
        receipt = submitted.json()
        tracking = follow(base, receipt["code"], receipt["tracking_secret"])
        assert system.stop() == 0
    types = [row["type"] for row in tracking["timeline"]]
    assert types[:2] == ["dossier.submitted", "dossier.received"]
    assert types[-1] == "dossier.completed"
    units = {row["unit"] for row in tracking["timeline"]}
    assert {"26506", "CA-26506"} <= units, "civil status and residence both handled it"
    assert types.count("dossier.step-completed") == types.count("dossier.step-opened") == 5
    logs = system.stderr
    assert '"event": "survey_invited"' in logs
    assert '"event": "notification_queued"' in logs
    for personal in ("Nguyễn Văn An", "079090001234", "0901234567", "an.nguyen@example.vn"):
        assert personal not in logs, "personal data leaked into the logs"
