"""Every query the services send per event or per request is served by an index.

The whole system runs on real Kafka and FerretDB (`lienthong up`) with the store's shape log
on: dossiers of every shipped procedure are submitted and followed to the end, tracked, and
their workflows read by staff, while the periodic loops run with short intervals. Then each
distinct shape seen is checked on FerretDB with `explain`: a hot shape must have a plain
equality on the first field of one of the collection's indexes and FerretDB must push its
filter down (`filterPushdown`), which on PostgreSQL with the GIN twins of deploy/local is an
index scan and on MongoDB an index lookup. Periodic and operator queries that need ranges are
listed below with the bound of what they read; a new shape that is neither fails the test.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from lienthong.security import mint_token
from lienthong.settings import Settings
from tests.conftest import Infra
from tests.running import lienthong_up
from tests.services.intake.samples import BIRTH_GROUP, birth_group, file, key

# (service, collection, operation, filter shape) -> what bounds the documents it reads
BOUNDED: dict[tuple[str, str, str, str], str] = {
    ("notify", "notifications", "find", "due_at=$lte,status=eq"): (
        "dispatcher poll: the queued messages only (status equality), a page of `limit`"
    ),
    ("notify", "notifications", "find", "changed_at=$lt,unannounced=eq"): (
        "announcement sweep: messages whose status change is not on the bus yet, 100 a round"
    ),
    ("agency_adapter", "tasks", "find", "agency=eq,next_attempt_at=$lte,state=eq"): (
        "courier round: the agency's pending tasks only (agency + state equalities), 50 a round"
    ),
    ("survey", "invitations", "find", "answered=eq,expires_at=$gt,invited_at=$lte,reminded=eq"): (
        "reminder sweep: unanswered invitations not reminded yet (two equalities), 500 a round"
    ),
    ("routing", "workflows", "find", ""): (
        "once at start (is the projection empty?): one document, limit 1"
    ),
    ("survey", "answers", "count", "answered_at=$gte,device=eq"): (
        "anti-gaming check per answer: the answers of one device (equality), in a time window"
    ),
    ("survey", "answers", "count", "answered_at=$gte,desk=eq"): (
        "anti-gaming check per answer: the answers given at one desk (equality), in a window"
    ),
    ("console", "samples", "find", "at=$lt"): (
        "once at start: samples a stopped console left past the retention (10 000 at most)"
    ),
    ("console", "samples", "find", "hour=$in"): (
        "lag page: the samples of the last hours (one per sample interval), an operator's view"
    ),
    ("console", "unit_days", "find", "day=$in"): (
        "charts page: the units that completed steps in the last 7 days, one document each"
    ),
    ("console", "health", "find", ""): (
        "health page: one document per adapter or notify replica (the latest snapshot)"
    ),
    ("console", "actions", "find", ""): (
        "audit page: the newest 500 operator actions, sorted on the indexed time"
    ),
}


def shape_key(shape: dict[str, Any], prefix: str) -> tuple[str, str, str, str]:
    service = shape["database"].removeprefix(f"{prefix}_")
    fields = ",".join(f"{name}={op}" for name, op in sorted(shape["filter"].items()))
    return service, shape["collection"], shape["operation"], fields


def sample_value(op: str) -> Any:
    if op == "eq":
        return "sample"
    moment = datetime(2026, 12, 1, tzinfo=UTC)
    return {o: (["sample"] if o in ("$in", "$nin") else moment) for o in op.split(",")}


def submission(detail: dict[str, Any]) -> dict[str, Any]:
    """A complete online submission of any shipped procedure (fictitious applicant)."""
    if detail["code"] == BIRTH_GROUP:
        return birth_group()
    documents = [
        {"type": d["type"], "filename": f"{d['type']}.pdf", "content_base64": file(d["type"])}
        for d in detail["required_documents"]
        if d["mandatory"]
    ]
    options = (detail.get("sub_procedures") or {}).get("options", [])
    body = birth_group(procedure=detail["code"], form={}, documents=documents)
    body["sub_procedures"] = [option["id"] for option in options]
    return body


FINAL = ("result_returned", "result_ready", "refused")


def run_city(base: str) -> set[str]:
    """Submit one dossier of every online procedure, follow them to the end; returns the
    codes of those that reached a final state."""
    procedures = httpx.get(f"{base}/v1/procedures", timeout=10).json()
    receipts = []
    for summary in procedures:
        detail = httpx.get(f"{base}/v1/procedures/{summary['code']}", timeout=10).json()
        answer = httpx.post(
            f"{base}/v1/dossiers", json=submission(detail), headers=key(), timeout=60
        )
        assert answer.status_code in (200, 201), answer.text
        if answer.status_code == 201:
            receipts.append(answer.json())
    assert len(receipts) >= 3, "several procedures were received"
    finished: set[str] = set()
    deadline = time.monotonic() + 150
    # The tracking view follows the events a moment later, and failed look-ups count against
    # the client (rate limit): look only once the first dossiers had time to move on.
    time.sleep(5)
    while time.monotonic() < deadline and len(finished) < len(receipts):
        for receipt in receipts:
            if receipt["code"] in finished:
                continue
            tracking = httpx.get(
                f"{base}/v1/tracking/{receipt['code']}",
                params={"secret": receipt["tracking_secret"]},
                timeout=30,
            )
            assert tracking.status_code == 200, tracking.text
            if tracking.json()["status"] in FINAL:
                finished.add(receipt["code"])
        time.sleep(2)
    return finished


def look_at_the_console(base: str, prefix: str, code: str) -> None:
    """An operator's round of the console's pages, so their queries are audited too."""
    settings = Settings(topic_prefix=f"{prefix}.", database_prefix=prefix)
    headers = {"Authorization": f"Bearer {mint_token(settings, role='operator')}"}
    board = httpx.get(f"{base}/v1/console/sla", headers=headers, timeout=30)
    assert board.status_code == 200, board.text
    for path in ("lag", "samples", "health", "charts", "audit", "dead-letters"):
        answer = httpx.get(f"{base}/v1/console/{path}", headers=headers, timeout=30)
        assert answer.status_code == 200, (path, answer.text)
    for page in ("", "lag", "sla", "dead-letters", "health", "charts", "audit"):
        answer = httpx.get(f"{base}/console/{page}", headers=headers, timeout=30)
        assert answer.status_code == 200, (page, answer.text[:300])
    sheet = httpx.get(f"{base}/v1/console/dossiers/{code}", headers=headers, timeout=30)
    assert sheet.status_code == 200, sheet.text
    assert sheet.json()["timeline"], "the dossier's timeline is shown"


@pytest.mark.kafka
@pytest.mark.mongo
def test_every_hot_query_shape_is_served_by_an_index(
    infra: Infra, unique: str, tmp_path: Path
) -> None:
    shapes_file = tmp_path / "shapes.jsonl"
    extra = {
        "LIENTHONG_ADAPTER_SIMULATORS": "true",
        "LIENTHONG_ADAPTER_SIMULATOR_ANSWER_DELAY_S": "0.2",
        "LIENTHONG_STORE_QUERY_SHAPES_FILE": str(shapes_file),
        "LIENTHONG_ROUTING_SWEEP_INTERVAL_S": "1",
        "LIENTHONG_SURVEY_REMINDER_SWEEP_S": "1",
        "LIENTHONG_NOTIFY_PURGE_INTERVAL_S": "1",
        # The adapter's health snapshot counts and looks up waiting tasks per agency.
        "LIENTHONG_ADAPTER_HEALTH_INTERVAL_S": "1",
        "LIENTHONG_NOTIFY_HEALTH_INTERVAL_S": "1",
        "LIENTHONG_CONSOLE_SAMPLE_INTERVAL_S": "1",
    }
    with lienthong_up(infra, unique, extra) as system:
        finished = run_city(system.base_url)
        assert len(finished) >= 3
        look_at_the_console(system.base_url, unique, sorted(finished)[0])
        assert system.stop() == 0
    shapes = [json.loads(line) for line in shapes_file.read_text().splitlines()]
    services = {shape_key(shape, unique)[0] for shape in shapes}
    assert {"intake", "routing", "notify", "agency_adapter", "survey", "console"} <= services
    # The adapter's health snapshot (every second here) is among the shapes audited.
    assert ("agency_adapter", "tasks", "count", "agency=eq,state=eq") in {
        shape_key(shape, unique) for shape in shapes
    }
    client: MongoClient[dict[str, Any]] = MongoClient(infra.mongo_url)
    try:
        problems = [p for shape in shapes if (p := check(client, shape, unique))]
    finally:
        for name in client.list_database_names():
            if name.startswith(f"{unique}_"):
                client.drop_database(name)
        client.close()
    assert not problems, "\n".join(problems)


def check(client: MongoClient[dict[str, Any]], shape: dict[str, Any], prefix: str) -> str:
    """'' when the shape is served by an index (or is a listed bounded query), else why not."""
    key_ = shape_key(shape, prefix)
    if key_ in BOUNDED:
        return ""
    database = client[shape["database"]]
    indexed = {
        next(iter(index["key"])) for index in database[shape["collection"]].list_indexes()
    } | {"_id"}
    equalities = {name for name, op in shape["filter"].items() if op == "eq"}
    if not equalities & indexed:
        return f"{key_}: no equality on an indexed field (indexes lead with {sorted(indexed)})"
    filter_ = {name: sample_value(op) for name, op in shape["filter"].items()}
    plan = database.command("explain", {"find": shape["collection"], "filter": filter_})
    if not plan.get("filterPushdown"):
        return f"{key_}: FerretDB does not push the filter down: {plan.get('queryPlanner')}"
    return ""
