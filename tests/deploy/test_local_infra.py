"""deploy/local/infra: FerretDB on PostgreSQL, where equality filters are served by an index.

FerretDB 1.24 creates btree indexes that cannot serve the `@>` filters it pushes down; the
infra script installs an event trigger that gives each of them GIN twins (`..._g<n>`, see
deploy/local/ferretdb-gin-twins.sql). FerretDB's `explain` carries PostgreSQL's plan.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from tests.conftest import ROOT, Infra

INFRA = ROOT / "deploy/local/infra"


def index_names(plan: Any) -> Iterator[str]:
    if isinstance(plan, dict):
        if "Index Name" in plan:
            yield str(plan["Index Name"])
        for value in plan.values():
            yield from index_names(value)
    elif isinstance(plan, list):
        for value in plan:
            yield from index_names(value)


@pytest.mark.mongo
def test_equality_filters_on_indexed_fields_use_a_gin_twin(infra: Infra, unique: str) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(infra.mongo_url)
    try:
        db = client[unique]
        db.docs.create_index("code")
        db.docs.create_index([("agency", 1), ("day", -1)])
        # Enough rows (~100 pages) that an index beats a sequential scan.
        db.docs.insert_many(
            [
                {"_id": f"d-{i}", "code": f"c{i}", "agency": f"a{i % 20}", "day": i % 30}
                | {"pad": "x" * 300}
                for i in range(3000)
            ]
        )
        for filter in ({"_id": "d-7"}, {"code": "c7"}, {"day": 7}, {"agency": "a7", "day": 7}):
            out = db.command(
                "explain", {"find": "docs", "filter": filter}, verbosity="queryPlanner"
            )
            assert out["filterPushdown"] is True, out
            names = list(index_names(out["queryPlanner"]))
            assert any(re.search(r"_g\d+$", name) for name in names), (filter, out["queryPlanner"])
        assert [d["_id"] for d in db.docs.find({"code": "c7"})] == ["d-7"]
        assert db.docs.count_documents({"agency": "a7", "day": 7}) == 50
    finally:
        client.drop_database(unique)
        client.close()


def test_status_of_an_instance_that_never_ran_says_all_three_are_stopped(tmp_path: Path) -> None:
    env = {**os.environ, "LIENTHONG_INFRA_DIR": str(tmp_path / "infra")}
    result = subprocess.run(
        [str(INFRA), "status"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 3, result.stderr
    assert result.stdout.splitlines() == [
        "kafka: stopped",
        "postgres: stopped",
        "ferretdb: stopped",
    ]


def test_up_refuses_ports_that_collide(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "LIENTHONG_INFRA_DIR": str(tmp_path / "infra"),
        "LIENTHONG_POSTGRES_PORT": "27999",
        "LIENTHONG_FERRETDB_PORT": "27999",
    }
    result = subprocess.run([str(INFRA), "up"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "the ports must differ" in result.stderr
    assert result.stdout == ""


@pytest.mark.kafka
def test_up_again_finds_a_broker_whose_log_has_rolled_past_its_start() -> None:
    """`up` on an instance already up (a second test run, a benchmark beside the tests) must
    not wait for a "Kafka Server started" line that log4j rolled away after an hour."""
    sys.path.insert(0, str(ROOT / "bench"))
    from _infra import PrivateInfra

    with PrivateInfra() as private:
        logs = private.state / "kafka/logs"
        (logs / "server.log").rename(logs / "server.log.2026-12-01-16")  # the hourly roll
        (logs / "server.log").write_text("")
        again = subprocess.run(
            [str(INFRA), "up"], env=private.env, capture_output=True, text=True, timeout=180
        )
        assert again.returncode == 0, again.stderr
        assert "kafka already running" in again.stderr
        assert f"KAFKA_BOOTSTRAP={private.kafka}" in again.stdout
