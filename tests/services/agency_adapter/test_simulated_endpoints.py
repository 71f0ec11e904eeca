"""`{simulator:NAME}` endpoints: each process's own simulators on free ports, and a loud
refusal when they do not run (never a delivery to whoever listens on a fixed port)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from structlog.testing import capture_logs
from typer.testing import CliRunner

from lienthong.runtime.host import Host
from lienthong.settings import Settings
from lienthong_agency_adapter.check import app as agency_tools
from lienthong_agency_adapter.config import (
    DEFAULT_AGENCIES_FILE,
    AgencyBook,
    AgencyConfig,
    load_agencies,
)
from lienthong_agency_adapter.simulators.embedded import SYSTEMS, EmbeddedSimulators
from tests.support import free_port


def book(endpoint: str) -> AgencyBook:
    return AgencyBook(agencies=(AgencyConfig(code="tax", connector="rest", endpoint=endpoint),))


def test_every_simulated_endpoint_of_the_shipped_file_names_an_existing_simulator() -> None:
    shipped = load_agencies(DEFAULT_AGENCIES_FILE)
    shipped.check_simulators(SYSTEMS)
    push = [a for a in shipped.agencies if a.connector in ("rest", "soap", "webhook")]
    assert push, "the shipped file has push agencies"
    assert all(a.simulator in SYSTEMS for a in push), "none points at a fixed port"


def test_a_simulated_endpoint_takes_the_url_of_the_running_simulator() -> None:
    resolved = book("{simulator:departments}/api/records").with_simulators(
        {"departments": "http://127.0.0.1:40123/"}
    )
    assert resolved.agencies[0].endpoint == "http://127.0.0.1:40123/api/records"
    assert resolved.agencies[0].simulator is None
    real = book("https://thue.example.gov.vn/api").with_simulators({})
    assert real.agencies[0].endpoint == "https://thue.example.gov.vn/api"


def test_a_simulated_endpoint_without_simulators_is_refused_naming_agency_and_setting() -> None:
    with pytest.raises(ValueError, match="agency tax") as refused:
        book("{simulator:departments}/api/records").check_simulators(None)
    assert "LIENTHONG_ADAPTER_SIMULATORS" in str(refused.value)
    with pytest.raises(ValueError, match="no simulated system 'tax-office'"):
        book("{simulator:tax-office}/api").check_simulators(SYSTEMS)


def test_an_endpoint_holds_no_other_placeholder() -> None:
    for endpoint in ("http://{host}/api", "http://x/{simulator:departments}", "{simulator:}/a"):
        with pytest.raises(ValueError, match="placeholder"):
            book(endpoint)


async def test_the_adapter_with_the_shipped_file_and_no_simulators_does_not_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIENTHONG_ADAPTER_SIMULATORS", "false")
    host = Host(Settings(), ["agency-adapter"])  # tools (`topics create`) build and go no further
    assert "agency.tasks.civil-status" in host.topics()
    try:
        with capture_logs() as logs, pytest.raises(ValueError, match="agency civil-status"):
            await host.start()
    finally:
        await host.close()
    refused = [entry for entry in logs if entry["event"] == "agencies_file_refused"]
    assert "LIENTHONG_ADAPTER_SIMULATORS=true" in refused[0]["reason"]


def test_lienthong_up_without_its_simulators_exits_with_the_reason() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    env["LIENTHONG_ADAPTER_SIMULATORS"] = "false"
    command = [sys.executable, "-m", "lienthong.cli.main", "up", "--port", str(free_port())]
    ended = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert ended.returncode != 0
    assert '"event": "agencies_file_refused"' in ended.stderr
    assert "agency civil-status" in ended.stderr


async def test_two_sets_of_simulators_listen_on_ports_of_their_own() -> None:
    first, second = EmbeddedSimulators(), EmbeddedSimulators()
    await first.start()
    await second.start()
    try:
        assert set(first.urls) == set(second.urls) == set(SYSTEMS)
        ports = {url for urls in (first.urls, second.urls) for url in urls.values()}
        assert len(ports) == 2 * len(SYSTEMS)
    finally:
        await first.stop()
        await second.stop()
    assert first.urls == {}


def test_the_check_command_checks_a_simulated_agency_against_its_own_simulator() -> None:
    result = CliRunner().invoke(agency_tools, ["check", "civil-status"])
    assert result.exit_code == 0, result.output
    assert "simulated system 'civil-status'" in result.output
    assert "FAIL" not in result.output


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("agencies:\n  - code: [oops\n", "expected ',' or ']'"),
        ("agencies:\n  - code: tax\n    connector: rest\n    concurrency: 0\n", "concurrency"),
        ("agencies: []\n", "no agencies"),
    ],
)
def test_a_broken_agencies_file_is_one_line_naming_the_file(
    tmp_path: Path, text: str, says: str
) -> None:
    broken = tmp_path / "agencies.yaml"
    broken.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match="agencies file") as refused:
        load_agencies(broken)
    assert str(broken) in str(refused.value)
    assert says in str(refused.value)
