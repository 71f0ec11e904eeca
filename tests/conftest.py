"""Test-wide fixtures: the real infrastructure.

Integration tests run against a real Kafka broker and a real FerretDB. The test command
(`scripts/test`) starts them with `deploy/local/infra up` and exports KAFKA_BOOTSTRAP and
MONGO_URL; when a developer runs pytest directly without them, this conftest starts them the
same way. Nothing here skips: missing infrastructure is a failure with the reason.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap: str
    mongo_url: str


@pytest.fixture(scope="session")
def infra() -> Infra:
    kafka, mongo = os.environ.get("KAFKA_BOOTSTRAP"), os.environ.get("MONGO_URL")
    if not (kafka and mongo):
        result = subprocess.run(
            [str(ROOT / "deploy/local/infra"), "up"], capture_output=True, text=True, timeout=900
        )
        if result.returncode != 0:
            pytest.fail(f"deploy/local/infra up failed:\n{result.stderr[-3000:]}")
        values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
        kafka, mongo = values["KAFKA_BOOTSTRAP"], values["MONGO_URL"]
    return Infra(kafka, mongo)


@pytest.fixture
def unique() -> str:
    """A short unique name for topics, groups and databases of one test."""
    return f"t{uuid.uuid4().hex[:10]}"
