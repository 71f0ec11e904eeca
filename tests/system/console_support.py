"""What the console's acceptance tests (`test_console.py`) stand on: hosts served by uvicorn
on the real Kafka and FerretDB, the broker's own view of offsets (never the console's code),
dossier submissions, and a catalogue to which a city adds a procedure version."""

from __future__ import annotations

import copy
import shutil
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import uvicorn
import yaml
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pymongo import MongoClient

from lienthong.bus import KafkaBus
from lienthong.domain.catalogue_loader import load_catalogue
from lienthong.runtime.host import Host
from lienthong.security import mint_token
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS
from tests.conftest import ROOT, Infra
from tests.services.intake.samples import birth_group, file, key
from tests.support import eventually_async as until
from tests.support import free_port

SHIPPED_CATALOGUE = ROOT / "shared/lienthong/data/catalogue"
BIRTH, DEATH = "1.001193", "1.000656"  # birth and death registration: one ward, three steps
OPERATOR = "operator:lan.tran"  # the subject of the operator's token, as the audit shows it


def settings_of(infra: Infra, unique: str, **changes: Any) -> Settings:
    return Settings(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongo_url=infra.mongo_url,
        topic_prefix=f"{unique}.",
        database_prefix=unique,
        dossier_partitions=3,
        **changes,
    )


# --- hosting ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    url: str
    host: Host


@contextmanager
def serve(settings: Settings, services: list[str]) -> Iterator[Served]:
    """`services` in one host behind uvicorn in a thread of its own (its own event loop, as
    `lienthong run` serves them); their databases are dropped afterwards."""
    port = free_port()  # the adapter tells the simulated agencies to call back here
    host = Host(settings.model_copy(update={"port": port}), services)
    config = uvicorn.Config(host.app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="console-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 120
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the host of {services} did not start")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", host)
    finally:
        server.should_exit = True
        thread.join(60)
        drop_databases(settings, services)


def drop_databases(settings: Settings, services: list[str]) -> None:
    client: MongoClient[dict[str, Any]] = MongoClient(settings.mongo_url)
    with client:
        for service in services:
            client.drop_database(f"{settings.database_prefix}_{service.replace('-', '_')}")


@asynccontextmanager
async def own_bus(settings: Settings) -> AsyncIterator[KafkaBus]:
    """A bus of this test's own event loop (a served host's bus lives in its thread)."""
    assert settings.kafka_bootstrap
    bus = KafkaBus(
        settings.kafka_bootstrap, client_id="console-test", topic_prefix=settings.topic_prefix
    )
    await bus.start()
    try:
        yield bus
    finally:
        await bus.stop()


def client(served: Served, role: str | None = "operator") -> httpx.AsyncClient:
    headers = {}
    if role is not None:
        subject = OPERATOR if role == "operator" else None
        token = mint_token(served.host.settings, role=role, subject=subject)
        headers["Authorization"] = f"Bearer {token}"
    return httpx.AsyncClient(base_url=served.url, headers=headers, timeout=30)


# --- what the console shows ---------------------------------------------------------------


async def submit(api: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await api.post("/v1/dossiers", json=body, headers=key())
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def registration(procedure: str, documents: list[str], **form: Any) -> dict[str, Any]:
    attached = [{"type": t, "filename": f"{t}.pdf", "content_base64": file(t)} for t in documents]
    return birth_group(procedure=procedure, form=form, documents=attached)


def birth_registration() -> dict[str, Any]:
    documents = ["to-khai-dang-ky-khai-sinh", "giay-chung-sinh", "giay-chung-nhan-ket-hon"]
    return registration(BIRTH, documents, parents_married=True)


def death_registration() -> dict[str, Any]:
    return registration(DEATH, ["to-khai-dang-ky-khai-tu", "giay-bao-tu"])


async def status_of(api: httpx.AsyncClient, code: str) -> str | None:
    response = await api.get(f"/v1/console/dossiers/{code}")
    if response.status_code == 404:
        return None
    assert response.status_code == 200, response.text
    return response.json()["status"]  # type: ignore[no-any-return]


async def until_status(api: httpx.AsyncClient, code: str, *wanted: str, timeout: float) -> None:
    async def reached() -> bool:
        return await status_of(api, code) in wanted

    await until(reached, timeout, f"dossier {code} {' or '.join(wanted)} in the console")


async def pending_letter(
    api: httpx.AsyncClient, group: str, matches: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    """The first pending dead letter of `group` that `matches`, once the console offers it."""
    found: list[dict[str, Any]] = []

    async def offered() -> bool:
        response = await api.get("/v1/console/dead-letters", params={"group": group})
        assert response.status_code == 200, response.text
        found[:] = [letter for letter in response.json() if matches(letter)]
        return bool(found)

    await until(offered, 60, f"a dead letter of {group} in the console")
    return found[0]


async def letter_ids(api: httpx.AsyncClient, group: str, settled: bool = False) -> list[str]:
    params = {"group": group, "settled": str(settled).lower()}
    response = await api.get("/v1/console/dead-letters", params=params)
    assert response.status_code == 200, response.text
    return [letter["id"] for letter in response.json()]


async def audited(api: httpx.AsyncClient, dead_letter: str, type: str) -> dict[str, Any]:
    """The audit entry of an action on `dead_letter`, once the console has folded it."""
    found: list[dict[str, Any]] = []

    async def listed() -> bool:
        response = await api.get("/v1/console/audit")
        assert response.status_code == 200, response.text
        found[:] = [
            a for a in response.json() if (a["dead_letter"], a["type"]) == (dead_letter, type)
        ]
        return bool(found)

    await until(listed, 30, f"{type} of {dead_letter} in the audit view")
    (entry,) = found
    return entry


# --- the broker's own numbers ---------------------------------------------------------------


async def broker_lag(bootstrap: str, prefix: str) -> list[dict[str, Any]]:
    """Lag of every consumer group of `prefix`, from the broker alone: for each topic a group
    has committed on, every partition; an uncommitted one counts from the log start."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="console-test-admin")
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        groups = sorted(g[0] for g in await admin.list_consumer_groups() if g[0].startswith(prefix))
        rows = []
        for group in groups:
            listed = await admin.list_consumer_group_offsets(group)
            committed = {tp: meta.offset for tp, meta in listed.items() if meta.offset >= 0}
            for topic in sorted({tp.topic for tp in committed}):
                described = await admin.describe_topics([topic])
                partitions = sorted(p["partition"] for p in described[0]["partitions"])
                tps = [TopicPartition(topic, p) for p in partitions]
                starts, ends = (
                    await consumer.beginning_offsets(tps),
                    await consumer.end_offsets(tps),
                )
                for tp in tps:
                    at = committed.get(tp, starts[tp])
                    rows.append(
                        {
                            "group": group.removeprefix(prefix),
                            "topic": topic.removeprefix(prefix),
                            "partition": tp.partition,
                            "committed": at,
                            "end": ends[tp],
                            "lag": ends[tp] - at,
                        }
                    )
        return rows
    finally:
        await consumer.stop()
        await admin.close()


async def commit_by_hand(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    """A consumer group that read part of a topic and went away (its commits stay)."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


def extended_catalogue(directory: Path, since: date) -> Path:
    """The shipped catalogue plus version 2 of birth registration, in force since `since`
    (version 1 ends then), as a city publishes a new version of a procedure."""
    shutil.copytree(SHIPPED_CATALOGUE, directory)
    path = directory / "civil-status.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    first = next(p for p in data["procedures"] if (p["code"], p["version"]) == (BIRTH, 1))
    second = copy.deepcopy(first) | {"version": 2, "effective_from": since}
    second["name"]["en"] += " (2nd version)"
    first["effective_to"] = since
    data["procedures"].append(second)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    assert load_catalogue(directory).procedure(BIRTH, date.today()).version == 2
    return directory


async def log_ends(bootstrap: str, topic: str) -> dict[int, int]:
    """partition -> end offset of the physical `topic`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, client_id="console-test-admin")
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    try:
        (described,) = await admin.describe_topics([topic])
        tps = [TopicPartition(topic, p["partition"]) for p in described["partitions"]]
        return {tp.partition: end for tp, end in (await consumer.end_offsets(tps)).items()}
    finally:
        await consumer.stop()
        await admin.close()


async def stream_of(bus: KafkaBus, dossier: str) -> list[tuple[str | None, str | None]]:
    """(ce_type, ce_id) of every record of `dossier` on dossier.events, in order."""
    records = await bus.read_topic(DOSSIER_EVENTS)
    mine = [r for r in records if r.key == dossier.encode()]
    return [(r.header_str("ce_type"), r.header_str("ce_id")) for r in mine]
