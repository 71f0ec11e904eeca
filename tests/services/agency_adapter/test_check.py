"""The conformance kit against the simulated systems (HTTP only, no Kafka needed)."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from lienthong_agency_adapter.check import app, conformance
from lienthong_agency_adapter.config import AgencyBook
from lienthong_agency_adapter.signing import api_key_matches
from lienthong_agency_adapter.simulators import (
    Behaviour,
    SimulatedSystem,
    civil_status_app,
    residence_app,
    serving,
    social_insurance_app,
)
from tests.services.agency_adapter.conftest import CIVIL_TOKEN, WEBHOOK_SECRET, agencies

NOWHERE = "http://127.0.0.1:9"  # the simulators' callbacks go nowhere in this test


async def test_the_simulated_systems_pass_and_a_broken_one_fails_with_the_reason() -> None:
    civil = SimulatedSystem(Behaviour(answer_delay_s=3600))
    residence, social = SimulatedSystem(), SimulatedSystem(Behaviour(answer_delay_s=3600))
    async with (
        serving(civil_status_app(civil, CIVIL_TOKEN)) as civil_url,
        serving(residence_app(residence)) as residence_url,
        serving(social_insurance_app(social, WEBHOOK_SECRET)) as social_url,
    ):
        book = AgencyBook.model_validate(agencies(civil_url, residence_url, social_url))
        for code in ("civil-status", "residence", "social-insurance", "ward-inbox"):
            checks = await conformance(book.get(code), NOWHERE)  # type: ignore[arg-type]
            assert [c.name for c in checks if not c.passed] == [], code
        assert len(civil.processed) == 1  # two calls, one key, processed once
        residence.behaviour.malformed_rate = 1.0
        checks = await conformance(book.get("residence"), NOWHERE)  # type: ignore[arg-type]
        failed = [c for c in checks if not c.passed]
        assert [c.name for c in failed] == ["accepts a task, answer readable"]
        assert "not XML" in failed[0].detail
    await civil.close()
    await social.close()


def test_the_command_prints_a_table_and_exits_non_zero_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "agencies.yaml"
    unreachable = "http://127.0.0.1:9"
    path.write_text(yaml.safe_dump(agencies(unreachable, unreachable, unreachable)))
    runner = CliRunner()
    inbox = runner.invoke(app, ["check", "ward-inbox", "--agencies-file", str(path)])
    assert inbox.exit_code == 0, inbox.output
    assert "API key hashes configured" in inbox.output
    down = runner.invoke(app, ["check", "civil-status", "--agencies-file", str(path)])
    assert down.exit_code == 1
    assert "FAIL" in down.output
    unknown = runner.invoke(app, ["check", "nobody", "--agencies-file", str(path)])
    assert unknown.exit_code == 2


def test_a_new_key_is_printed_with_the_hash_that_accepts_it() -> None:
    output = CliRunner().invoke(app, ["new-key"]).output
    key = output.split("shown once): ")[1].split()[0]
    digest = output.split("agencies.yaml:")[1].split()[0]
    assert api_key_matches(key, [digest])
