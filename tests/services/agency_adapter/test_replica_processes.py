"""Two adapter processes (`lienthong run agency-adapter`, as two pods run it) on the real
Kafka and FerretDB: every task reaches the agency once; one killed (SIGKILL) while its call is
in flight has that task delivered by the other once its lease (2 s here) has run out."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import yaml

from lienthong.bus import KafkaBus
from lienthong.events import Event
from lienthong.store import MongoStore
from lienthong.topics import agency_tasks
from lienthong_agency_adapter.simulators import serving
from tests.conftest import ROOT, Infra
from tests.services.agency_adapter.replicas import MAPPING, CountingAgency, task_for
from tests.support import eventually, eventually_async, free_port

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

AGENCY = "civil-status"
TASKS = 20


@contextmanager
def adapter_processes(
    infra: Infra, unique: str, agencies_file: Path, log: Path
) -> Iterator[dict[str, subprocess.Popen[bytes]]]:
    """Two adapter processes by their public URL (which names the caller in each task)."""
    processes: dict[str, subprocess.Popen[bytes]] = {}
    base = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    base |= {
        "LIENTHONG_TOPIC_PREFIX": f"{unique}.",
        "LIENTHONG_DATABASE_PREFIX": unique,
        "LIENTHONG_ADAPTER_AGENCIES_FILE": str(agencies_file),
        "LIENTHONG_ADAPTER_SIMULATORS": "false",
        "LIENTHONG_ADAPTER_LEASE_S": "2",
        "LIENTHONG_ADAPTER_POLL_INTERVAL_S": "0.2",
    }
    command = [sys.executable, "-m", "lienthong.cli.main", "run", "agency-adapter"]
    flags = ["--kafka", infra.kafka_bootstrap, "--mongo", infra.mongo_url]
    try:
        with log.open("ab") as out:
            for name in ("p1", "p2"):
                port = free_port()
                url = f"http://127.0.0.1:{port}"
                env = base | {"LIENTHONG_INSTANCE_ID": name, "LIENTHONG_ADAPTER_PUBLIC_URL": url}
                processes[url] = subprocess.Popen(
                    [*command, *flags, "--port", str(port)],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
        yield processes
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


async def ready(urls: list[str]) -> None:
    async def probe() -> bool:
        async with httpx.AsyncClient(timeout=1) as client:
            try:
                answers = [await client.get(f"{url}/readyz") for url in urls]
            except httpx.TransportError:
                return False
        return all(answer.status_code == 200 for answer in answers)

    await eventually_async(probe, 90, "both adapters ready")


@pytest.fixture
async def outbox(infra: Infra, unique: str) -> AsyncIterator[MongoStore]:
    store = MongoStore.connect(infra.mongo_url, f"{unique}_agency_adapter")
    yield store
    await store.drop_database()
    await store.close()


async def publish(infra: Infra, unique: str, events: list[Event]) -> None:
    bus = KafkaBus(infra.kafka_bootstrap, client_id=f"{unique}-feeder", topic_prefix=f"{unique}.")
    await bus.start()
    try:
        await bus.publish(agency_tasks(AGENCY), *events)
    finally:
        await bus.stop()


async def test_two_adapter_processes_deliver_once_and_take_over_from_a_killed_one(
    infra: Infra, unique: str, tmp_path: Path, outbox: MongoStore
) -> None:
    system = CountingAgency(delay_s=0.05)
    tasks = outbox.collection("tasks")

    def delivered(task_ids: list[str]) -> Callable[[], Awaitable[bool]]:
        async def probe() -> bool:
            found = [await tasks.get(task_id) for task_id in task_ids]
            return all(d is not None and d["state"] == "delivered" for d in found)

        return probe

    async with serving(system.app()) as agency_url:
        agency = {
            "code": AGENCY,
            "connector": "rest",
            "endpoint": f"{agency_url}/api/records",
            "mapping": MAPPING,
        }
        agencies_file = tmp_path / "agencies.yaml"
        agencies_file.write_text(yaml.safe_dump({"agencies": [agency]}))
        with adapter_processes(infra, unique, agencies_file, tmp_path / "adapters.log") as procs:
            await ready(list(procs))
            made = [task_for(AGENCY) for _ in range(TASKS)]
            await publish(infra, unique, [event for event, _ in made])
            await eventually_async(
                delivered([task.task_id for _, task in made]), 90, "every task delivered"
            )
            assert dict(system.calls) == {task.idempotency_key: 1 for _, task in made}

            event, last = task_for(AGENCY)
            system.hold[last.idempotency_key] = asyncio.Event()
            await publish(infra, unique, [event])
            await eventually(lambda: system.calls[last.idempotency_key] == 1, 60, "in flight")
            [caller] = system.callers[last.idempotency_key]
            procs[caller].send_signal(signal.SIGKILL)  # dies holding the lease, call in flight
            procs[caller].wait(10)
            system.release(last.idempotency_key)
            await eventually_async(delivered([last.task_id]), 60, "taken over")
    [survivor] = [url for url in procs if url != caller]
    assert system.callers[last.idempotency_key] == [caller, survivor]  # same key, twice
    assert await outbox.collection("task_leases").find({"agency": AGENCY}) == []
