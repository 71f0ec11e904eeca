"""Two `lienthong up` on one machine (two developers, a demo beside a test run) do not collide:
each runs its own simulated agencies on ports of its own and delivers only to them, so
stopping one leaves the other's dossiers running to completion."""

from __future__ import annotations

import json

import httpx

from tests.running import RunningSystem, lienthong_up
from tests.services.intake.samples import birth_group, key
from tests.system.test_whole_flow import follow


def submit(system: RunningSystem) -> tuple[str, str]:
    response = httpx.post(
        f"{system.base_url}/v1/dossiers", json=birth_group(), headers=key(), timeout=60
    )
    assert response.status_code == 201, response.text
    return response.json()["code"], response.json()["tracking_secret"]


def simulator_urls(stderr: str) -> dict[str, str]:
    lines = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
    return {line["system"]: line["url"] for line in lines if line["event"] == "simulator_started"}


def test_the_second_instance_completes_its_dossier_after_the_first_stopped(unique: str) -> None:
    with lienthong_up(None, unique) as first, lienthong_up(None, unique) as second:
        submit(first)
        code, secret = submit(second)
        assert first.stop() == 0  # before the agencies have answered the second's tasks
        tracking = follow(second.base_url, code, secret)
        assert second.stop() == 0
    types = [row["type"] for row in tracking["timeline"]]
    assert types[-1] == "dossier.completed"
    assert types.count("dossier.step-completed") == types.count("dossier.step-opened") == 5
    mine, theirs = simulator_urls(second.stderr), simulator_urls(first.stderr)
    assert (
        set(mine) == set(theirs) == {"civil-status", "residence", "social-insurance", "departments"}
    )
    assert not set(mine.values()) & set(theirs.values()), "the two shared a simulator"
    assert '"event": "simulator_callback_failed"' not in second.stderr
