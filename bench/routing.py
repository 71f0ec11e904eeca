"""Routing against the real Kafka broker and FerretDB.

1. Decisions per second: N birth-group dossiers are received; the clock runs from the first
   publish to the N-th task on `agency.tasks.civil-status` (consume, load, plan the units at
   the receipt date, schedule, publish the step facts and the task, save state and indexes).
   The same decisions without I/O (fold + decide only) are timed for comparison.
2. The cost of one deadline sweep over `open` alarms of which only `due` are due, for each
   size in `--open`: it must grow with the due items, not with all items (index on fire_at).

Result: bench/results/routing.json.

    python3 -m uv run --frozen python bench/routing.py [--count 300] [--open 1000 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

from _infra import RESULTS, ROOT, infrastructure, machine

sys.path.insert(0, str(ROOT))

from lienthong.bus import Subscription
from lienthong.events import Event
from lienthong.runtime import ServiceContext
from lienthong.runtime.host import Host
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS, agency_tasks
from lienthong_routing.config import RoutingConfig
from lienthong_routing.reaction import react
from lienthong_routing.service import DECIDERS, compose
from tests.services.routing.helpers import RULES, received

NOW = datetime.now(UTC)


def pure_decisions(count: int) -> float:
    events = [received("2.000986", NOW, "26506", "TTHCC-26506") for _ in range(count)]
    start = time.perf_counter()
    for event in events:
        react(RULES, None, event, DECIDERS["dossier.received"])
    return count / (time.perf_counter() - start)


def host_for(kafka: str, mongo: str) -> tuple[Host, ServiceContext]:
    unique = f"b{uuid.uuid4().hex[:8]}"
    settings = Settings(
        kafka_bootstrap=kafka, mongo_url=mongo, topic_prefix=f"{unique}.", database_prefix=unique
    )
    host = Host(settings, ["routing"])
    return host, ServiceContext("routing", settings, host.bus, host.stores["routing"])


async def decisions_per_second(kafka: str, mongo: str, count: int) -> float:
    host, context = host_for(kafka, mongo)
    spec, _ = compose(context, config=RoutingConfig(sweep_interval_s=0))
    host.specs = [spec]
    tasks: list[Event] = []
    done = asyncio.Event()

    async def count_task(event: Event) -> None:
        tasks.append(event)
        if len(tasks) >= count:
            done.set()

    host.bus.subscribe(Subscription("bench", [agency_tasks("civil-status")], count_task))
    await host.start()
    try:
        events = [received("2.000986", NOW, "26506", "TTHCC-26506") for _ in range(count)]
        start = time.perf_counter()
        await host.bus.publish(DOSSIER_EVENTS, *events)
        await asyncio.wait_for(done.wait(), timeout=600)
        return count / (time.perf_counter() - start)
    finally:
        await host.stop()


async def sweep_cost(kafka: str, mongo: str, open_alarms: int, due: int) -> dict[str, float]:
    host, context = host_for(kafka, mongo)
    spec, routing = compose(context, config=RoutingConfig(sweep_interval_s=0))
    host.specs = [spec]
    await host.start()
    try:
        alarms = routing.repository.alarms
        later = NOW + timedelta(days=30)
        for i in range(open_alarms):
            fire_at = NOW - timedelta(minutes=1) if i < due else later
            await alarms.insert(
                {
                    "_id": f"bench-{i}/appraise/overdue/{fire_at.isoformat()}",
                    "kind": "overdue",
                    "dossier_id": f"bench-{i}",
                    "step": "appraise",
                    "unit": "26506",
                    "due_at": fire_at,
                    "fire_at": fire_at,
                    "partition": i % 12,
                }
            )
        start = time.perf_counter()
        await routing.repository.due_alarms(NOW, None, limit=500)
        query_s = time.perf_counter() - start
        start = time.perf_counter()
        recorded = await routing.sweep(now=NOW)
        sweep_s = time.perf_counter() - start
        assert recorded == due
        return {
            "open": open_alarms,
            "due": due,
            "query_ms": query_s * 1e3,
            "sweep_ms": sweep_s * 1e3,
        }
    finally:
        await host.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--open", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--due", type=int, default=50)
    args = parser.parse_args()
    kafka, mongo = infrastructure()
    result = {
        "machine": machine(),
        "dossiers": args.count,
        "pure_decisions_per_s": round(pure_decisions(args.count), 1),
        "routed_dossiers_per_s": round(await decisions_per_second(kafka, mongo, args.count), 1),
        "sweeps": [await sweep_cost(kafka, mongo, n, args.due) for n in args.open],
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "routing.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
