"""What we write can be read by clients we did not write."""

from __future__ import annotations

import json
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from cloudevents.core.bindings import kafka as ce_kafka

import lienthong.schemas  # noqa: F401  (registers the payloads)
from lienthong.bus import KafkaBus
from lienthong.events.asyncapi import asyncapi_document
from lienthong.schemas.dossier import DossierReceived
from tests.conftest import ROOT, Infra


@pytest.mark.kafka
async def test_an_event_written_to_kafka_is_read_by_the_official_cloudevents_sdk(
    infra: Infra, unique: str
) -> None:
    bus = KafkaBus(infra.kafka_bootstrap, topic_prefix=f"{unique}.")
    await bus.ensure_topics({"dossier.events": 1})
    await bus.start()
    received = DossierReceived(
        code="000.00.01.H29-260310-0420",
        procedure="1.001193",
        procedure_version="2024.1",
        receiving_unit="26743",
        received_at=datetime.fromisoformat("2026-03-10T09:00:00+07:00"),
        appointment_at=datetime.fromisoformat("2026-03-10T17:00:00+07:00"),
    )
    sent = received.to_event("dossier-123", source="/services/intake")
    cause = sent.caused("dossier.step-opened", {"step": "birth"}, source="/services/routing")
    await bus.publish("dossier.events", sent, cause)
    await bus.stop()

    # A plain aiokafka consumer (no code of ours) reads the bytes back from the broker...
    consumer = AIOKafkaConsumer(bootstrap_servers=infra.kafka_bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        tp = TopicPartition(f"{unique}.dossier.events", 0)
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        records = (await consumer.getmany(tp, timeout_ms=10_000)).get(tp, [])
    finally:
        await consumer.stop()
    assert len(records) == 2

    # ...and the official CloudEvents SDK parses and validates them.
    events = [
        ce_kafka.from_kafka_event(
            ce_kafka.KafkaMessage(headers=dict(r.headers), key=r.key, value=r.value or b"")
        )
        for r in records
    ]
    first, second = events
    assert first.get_specversion() == "1.0"
    assert first.get_id() == sent.id
    assert first.get_type() == "dossier.received"
    assert first.get_source() == "/services/intake"
    assert first.get_subject() == "dossier-123"
    assert first.get_datacontenttype() == "application/json"
    assert first.get_time() == sent.time
    assert first.get_extension("schemaversion") == "1"
    assert first.get_extension("partitionkey") == "dossier-123"
    assert first.get_data() == sent.data
    assert second.get_extension("causationid") == sent.id
    assert records[0].key == b"dossier-123"


@pytest.fixture(scope="session")
def asyncapi_parser() -> Path:
    tools = ROOT / "tests/tools"
    if not (tools / "node_modules/@asyncapi/parser").exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed for the AsyncAPI parser test"
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=tools, check=True, timeout=600)
    return tools / "validate-asyncapi.mjs"


def test_the_asyncapi_document_passes_the_official_parser(
    asyncapi_parser: Path, tmp_path: Path
) -> None:
    document = asyncapi_document()
    source = tmp_path / "asyncapi.json"
    source.write_text(json.dumps(document), encoding="utf-8")
    node = shutil.which("node")
    assert node
    result = subprocess.run(
        [node, str(asyncapi_parser), str(source)], capture_output=True, text=True, timeout=120
    )
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    errors = [line for line in lines if line.get("severity") == 0]
    assert result.returncode == 0, f"parser refused the document: {errors or result.stderr}"
    summary = lines[-1]
    assert summary["channels"] == len(document["channels"])  # which ones: the test below
    assert summary["messages"] == len(document["components"]["messages"])


def test_every_registered_payload_is_in_the_asyncapi_document() -> None:
    document = asyncapi_document()
    names = {m["name"] for m in document["components"]["messages"].values()}
    assert {"dossier.received", "dossier.step-opened", "agency.task-assigned"} <= names
    assert {"operator.dead-letter-replayed", "operator.dead-letter-discarded"} <= names
    assert {"ops.agency-health", "ops.notify-health"} <= names
    address = {c["address"] for c in document["channels"].values()}
    assert address == {
        "dossier.events",
        "agency.tasks.{agency}",
        "operator.actions",
        "ops.health",
        "dlq.{group}",
    }
    received = document["components"]["schemas"]["DossierReceived"]
    assert "appointment_at" in received["required"]
