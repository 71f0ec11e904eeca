"""Bad records on every topic a service consumes, on the real broker and FerretDB.

One host runs every service, each with its real consumer group. On each consumed topic go, in
one partition and in this order: undecodable bytes, JSON that is not an object, a record too
large to be an event, an envelope of a type nobody knows, a known type whose payload has
fields of the wrong type, a valid event without a key; then the valid events. Then:

* each bad record is in `dlq.<group>` of every group that consumes the topic, with its reason
  in `dlq.error.type` / `dlq.error.message`; nothing else is; the dead letter of the record too
  large keeps only its start (so that it can be written at all) and cannot be replayed;
* the envelope of an unknown type is passed over, not dead-lettered: a newer publisher may add
  types before every consumer knows them (`lienthong.bus.delivery`);
* the valid events after them are handled: the consumers kept going;
* no service's read models hold anything of the bad records.

The notary takes records as they are (it chains every record, never dead-letters): it must
only keep going.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from pymongo import AsyncMongoClient

from lienthong.bus import Bus, UnknownTopic, dlq_topic
from lienthong.events import Event, RawMessage, encode
from lienthong.ops import NotReplayable
from lienthong.ops.dead_letters import strip_dead_letter_headers
from lienthong.runtime.host import Host
from lienthong.schemas.dossier import Applicant, DossierReceived, DossierSubmitted
from lienthong.schemas.health import AgencyHealth, AgencyHealthReported
from lienthong.schemas.operator import DeadLetterReplayed
from lienthong.schemas.tasks import TaskAssigned
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS, OPERATOR_ACTIONS, OPS_HEALTH, agency_tasks
from lienthong_agency_adapter.signing import hash_api_key
from tests.conftest import Infra
from tests.support import eventually_async

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

SERVICES = ["intake", "routing", "agency-adapter", "survey", "notify", "console", "notary"]
AGENCIES = ["civil-status", "ward-inbox"]  # pulled inboxes: no call leaves the test
SOURCE = "/tests/malformed"
VALID = "d-valid"
CASE = "test.case"  # the header naming each bad record; dead letters keep the headers
# Bad record → the dead letter's reason (`dlq.error.type`); None: passed over, no dead letter.
EXPECTED = {
    "undecodable": "MalformedEvent",
    "not-an-object": "MalformedEvent",
    "oversized": "RecordTooLarge",
    "unknown-type": None,
    "wrong-payload": "InvalidPayload",
    "keyless": "KeyNotSubject",
}
DEAD = {name for name, error in EXPECTED.items() if error}


def valid_events(now: datetime) -> dict[str, list[Event]]:
    """Per consumed topic, valid events of types its groups handle (the last one is the
    model of the bad records)."""
    applicant = Applicant(
        full_name="Nguyễn Văn An",
        id_number="079090001234",
        phone="0901234567",
        email="an.nguyen@example.vn",
        ward_code="26506",
        contact_channel="sms",
    )
    submitted = DossierSubmitted(
        procedure="2.000986", channel="online", ward_code="26506", applicant=applicant
    )
    received = DossierReceived(
        code="000.00.00.H29-261201-0777",
        procedure="2.000986",
        procedure_version="2",
        receiving_unit="TTHCC-26506",
        received_at=now,
        appointment_at=now + timedelta(days=3),
        ward_code="26506",
    )
    health = AgencyHealthReported(
        instance="contract-instance",
        at=now,
        interval_s=5,
        window_start=now - timedelta(seconds=5),
        started_at=now - timedelta(minutes=1),
        agencies=[
            AgencyHealth(
                agency="civil-status",
                circuit="closed",
                attempts=0,
                failures=0,
                attempts_total=0,
                failures_total=0,
                error_rate=None,
                waiting=0,
                oldest_waiting_at=None,
            )
        ],
    )
    replayed = DeadLetterReplayed(
        dead_letter="contract-0-0",
        group="contract",
        original_topic=DOSSIER_EVENTS,
        original_partition=0,
        original_offset=0,
        original_event_type="dossier.received",
        event_id="e-1",
        actor="ops:contract",
        actor_role="operator",
        at=now,
    )
    topics = {
        DOSSIER_EVENTS: [
            submitted.to_event(VALID, source=SOURCE),
            received.to_event(VALID, source=SOURCE),
        ],
        OPS_HEALTH: [health.to_event("agency-adapter/contract-instance", source=SOURCE)],
        OPERATOR_ACTIONS: [replayed.to_event("contract-0-0", source=SOURCE)],
    }
    for agency in AGENCIES:
        task = TaskAssigned(
            task_id=f"task-valid-{agency}",
            dossier_id=VALID,
            dossier_code=received.code,
            procedure="2.000986",
            step="register-birth",
            unit="UBND-26506",
            due_at=now + timedelta(days=1),
            idempotency_key=f"task-valid-{agency}",
            agency=agency,
        )
        topics[agency_tasks(agency)] = [task.to_event(task.task_id, source=SOURCE)]
    return topics


def bad_records(topic: str, model: Event) -> list[RawMessage]:
    """The bad records of `topic`, made from a valid event of a type its groups handle."""

    def like(name: str, **changes: Any) -> RawMessage:
        event = model.model_copy(update={"id": f"bad-{name}-{uuid.uuid4()}", **changes})
        raw = encode(event.model_copy(update={"subject": f"bad-{name}"}), topic)
        return RawMessage(topic, raw.key, raw.value, (*raw.headers, (CASE, name.encode())))

    oversized = like("oversized", data={**model.data, "filler": "x" * 600_000})
    wrong = like("wrong-payload", data={field: {"wrong": True} for field in model.data})
    not_an_object = like("not-an-object")
    keyless = like("keyless")
    return [
        RawMessage(topic, b"bad-undecodable", b"\xff\xfe\x00{", ((CASE, b"undecodable"),)),
        RawMessage(topic, not_an_object.key, b'["not", "an", "object"]', not_an_object.headers),
        oversized,
        like("unknown-type", type="dossier.teleported"),
        wrong,
        RawMessage(topic, None, keyless.value, keyless.headers),
    ]


@dataclass
class World:
    host: Host
    mongo: AsyncMongoClient[dict[str, Any]]
    prefix: str

    async def documents(self, service: str) -> str:
        """Every document of the service's database, as one JSON text."""
        database = self.mongo[f"{self.prefix}_{service.replace('-', '_')}"]
        found = []
        for name in await database.list_collection_names():
            found += [doc async for doc in database[name].find({})]
        return json.dumps(found, default=str)


@pytest.fixture
async def world(
    infra: Infra, unique: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[World]:
    agencies = [
        {"code": code, "connector": "inbox", "api_key_sha256": [hash_api_key(f"{code}-key")]}
        for code in AGENCIES
    ]
    book = tmp_path / "agencies.yaml"
    book.write_text(yaml.safe_dump({"agencies": agencies}))
    monkeypatch.setenv("LIENTHONG_ADAPTER_AGENCIES_FILE", str(book))
    settings = Settings(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongo_url=infra.mongo_url,
        topic_prefix=f"{unique}.",
        database_prefix=unique,
        dossier_partitions=1,  # one partition: what comes after a bad record is behind it
        agency_task_partitions=1,
        handler_max_attempts=2,
    )
    host = Host(settings, SERVICES)
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongo_url)
    await host.start()
    try:
        yield World(host, mongo, unique)
    finally:
        await host.stop()
        for service in SERVICES:
            await mongo.drop_database(f"{unique}_{service.replace('-', '_')}")
        await mongo.close()


async def letters(bus: Bus, group: str) -> list[RawMessage]:
    try:
        return await bus.read_topic(dlq_topic(group))
    except UnknownTopic:
        return []


def case_of(letter: RawMessage) -> str | None:
    return letter.header_str(CASE)


async def test_bad_records_are_dead_lettered_with_a_reason_and_the_consumers_go_on(
    world: World,
) -> None:
    host, bus = world.host, world.host.bus
    consumed = {spec.group: list(spec.consumes) for spec in host.specs if spec.consumes}
    valid = valid_events(datetime.now(UTC))
    assert {t for topics in consumed.values() for t in topics} == set(valid)
    for topic, events in valid.items():
        await bus.publish_raw(bad_records(topic, events[-1]))
        await bus.publish(topic, *events)

    dead_lettering = {g: t for g, t in consumed.items() if g != "notary"}

    async def all_dead_lettered() -> bool:
        counts = {g: len(await letters(bus, g)) for g in dead_lettering}
        return all(counts[g] >= len(DEAD) * len(t) for g, t in dead_lettering.items())

    await eventually_async(all_dead_lettered, timeout=120, what="every bad record dead-lettered")
    for group, topics in dead_lettering.items():
        found = await letters(bus, group)
        by_topic: dict[str, list[RawMessage]] = {}
        for letter in found:
            by_topic.setdefault(letter.header_str("dlq.original.topic") or "", []).append(letter)
        assert set(by_topic) == set(topics), group
        expected = sorted((name, EXPECTED[name] or "") for name in DEAD)
        for topic, topic_letters in by_topic.items():
            reasons = [
                (case_of(x) or "", x.header_str("dlq.error.type") or "") for x in topic_letters
            ]
            assert sorted(reasons) == expected, (group, topic)  # each once, nothing else
            assert all(letter.header_str("dlq.error.message") for letter in topic_letters)
        oversized = next(letter for letter in found if case_of(letter) == "oversized")
        assert int(oversized.header_str("dlq.value.truncated") or 0) > len(oversized.value)
        with pytest.raises(NotReplayable, match="too large"):
            strip_dead_letter_headers(oversized)  # its start alone cannot be put back
    assert await letters(bus, "notary") == []

    markers = {
        "intake": [VALID],
        "routing": [VALID],
        "notify": [VALID],
        "survey": [VALID],
        "console": [VALID, "contract-instance", "contract-0-0"],
        "agency-adapter": [f"task-valid-{agency}" for agency in AGENCIES],
        "notary": [VALID],
    }

    async def valid_ones_handled() -> bool:
        for service, wanted in markers.items():
            documents = await world.documents(service)
            if not all(marker in documents for marker in wanted):
                return False
        return True

    await eventually_async(valid_ones_handled, timeout=120, what="the valid events handled")
    for service in markers:
        if service != "notary":  # it chains every record as it is, by design
            assert "bad-" not in await world.documents(service), service
