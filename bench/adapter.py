"""Agency adapter throughput: tasks delivered per second through the webhook connector.

N TaskAssigned events are published on `agency.tasks.social-insurance`; the adapter (real
Kafka and FerretDB) stores each in its outbox and its courier POSTs it, HMAC-signed, to the
simulated social-insurance system on loopback. The time runs from the first publish to the
last TaskDelivered seen on `dossier.events`. Result: bench/results/adapter.json.

    python3 -m uv run python bench/adapter.py [--count 500] [--concurrency 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from _infra import RESULTS, infrastructure, machine

from lienthong.bus import Subscription
from lienthong.events import Event
from lienthong.runtime.host import Host
from lienthong.schemas.tasks import TaskAssigned
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS, agency_tasks
from lienthong_agency_adapter.simulators import (
    Behaviour,
    SimulatedSystem,
    serving,
    social_insurance_app,
)

AGENCY, SECRET = "social-insurance", "bench-secret"


def tasks(count: int) -> list[Event]:
    due = datetime.now(UTC) + timedelta(days=5)
    run = uuid.uuid4().hex[:8]
    return [
        TaskAssigned(
            task_id=f"b{run}-{i}",
            dossier_id=f"d{run}-{i}",
            dossier_code=f"HS-{i}",
            procedure="1.001193",
            step="s",
            unit="26743",
            due_at=due,
            idempotency_key=f"k{run}-{i}",
            agency=AGENCY,
        ).to_event(f"b{run}-{i}", source="/bench")
        for i in range(count)
    ]


def adapter_host(kafka: str, mongo: str, endpoint: str, concurrency: int) -> Host:
    """The adapter alone, serving one webhook agency, on a fresh topic and database prefix."""
    prefix = f"bench{uuid.uuid4().hex[:8]}"
    path = Path(tempfile.mkdtemp()) / "agencies.yaml"
    agency = {
        "code": AGENCY,
        "connector": "webhook",
        "endpoint": endpoint,
        "hmac_secrets": [SECRET],
        "concurrency": concurrency,
    }
    path.write_text(yaml.safe_dump({"agencies": [agency]}))
    os.environ["LIENTHONG_ADAPTER_AGENCIES_FILE"] = str(path)
    settings = Settings(
        kafka_bootstrap=kafka,
        mongo_url=mongo,
        topic_prefix=f"{prefix}.",
        database_prefix=prefix,
        log_level="WARNING",
    )
    return Host(settings, ["agency-adapter"])


async def main(count: int, concurrency: int) -> dict[str, object]:
    kafka, mongo = infrastructure()
    system = SimulatedSystem(Behaviour(answer_delay_s=3600))
    delivered: set[str] = set()
    wanted = [1]  # the warm-up task first: the consumer group has joined once it is through
    done = asyncio.Event()

    async def observe(event: Event) -> None:
        if event.type == "agency.task-delivered":
            delivered.add(event.data["task_id"])
            if len(delivered) >= wanted[0]:
                done.set()

    async with serving(social_insurance_app(system, SECRET)) as url:
        host = adapter_host(kafka, mongo, f"{url}/hooks/tasks", concurrency)
        host.bus.subscribe(Subscription("bench-observer", [DOSSIER_EVENTS], observe))
        await host.start()
        try:
            await host.bus.publish(agency_tasks(AGENCY), *tasks(1))
            await asyncio.wait_for(done.wait(), timeout=120)
            done.clear()
            wanted[0] = count + 1
            events = tasks(count)
            started = time.perf_counter()
            await host.bus.publish(agency_tasks(AGENCY), *events)
            await asyncio.wait_for(done.wait(), timeout=600)
            elapsed = time.perf_counter() - started
        finally:
            await host.stop()
            await system.close()
    return {
        "benchmark": "agency adapter, webhook connector, end to end (Kafka → outbox → HTTP)",
        "count": count,
        "concurrency": concurrency,
        "seconds": round(elapsed, 3),
        "tasks_per_second": round(count / elapsed, 1),
        "keys_processed_once": all(n == 1 for n in system.processed.values()),
        "when": datetime.now(UTC).isoformat(),
        "machine": machine(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    result = asyncio.run(main(args.count, args.concurrency))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "adapter.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
