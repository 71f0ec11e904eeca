"""Routing against the real Kafka broker and FerretDB.

1. Decisions per second: N birth-group dossiers are received; the clock runs from the first
   publish to the N-th task on `agency.tasks.civil-status` (consume, load, plan the units at
   the receipt date, schedule, publish the step facts and the task, save state and indexes).
   The same decisions without I/O (fold + decide only) are timed for comparison.
2. The cost of one deadline sweep (every partition) over `open` alarms of which only `due`
   are due, for each size in `--open`: it must grow with the due items, not with all items.
   Alarms live in one collection, filed under an indexed slot (partition + 15-minute bucket
   of fire time); the sweep reads the slots between the partitions' sweep marks and now by
   equality (see the routing repository). The alarms are seeded directly through the store
   (100,000 open steps through the whole pipeline would take hours here); each partition's
   mark is set two minutes back, as if the last sweep ran then.

Result: bench/results/routing.json.

    python3 -m uv run --frozen python bench/routing.py [--count 200] [--open 1000 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from _infra import RESULTS, ROOT, infrastructure, machine

sys.path.insert(0, str(ROOT))

from lienthong.bus import Subscription
from lienthong.events import Event
from lienthong.runtime import ServiceContext
from lienthong.runtime.host import Host
from lienthong.settings import Settings
from lienthong.store import VERSION_FIELD, Document, MongoStore
from lienthong.topics import DOSSIER_EVENTS, agency_tasks
from lienthong_routing.alarms import Alarm
from lienthong_routing.config import RoutingConfig
from lienthong_routing.reaction import react
from lienthong_routing.repository import WorkflowRepository, alarm_document
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


def _alarm(i: int, fire_at: datetime) -> Alarm:
    return Alarm("overdue", f"bench-{i}", "appraise", "26506", fire_at, fire_at)


async def seed_alarms(
    repository: WorkflowRepository, open_alarms: int, due: int, swept_to: datetime
) -> int:
    """Seed the alarms directly through the store, as the consumer would have filed them at
    `swept_to` (creating 100,000 open steps through the whole pipeline is too slow here):
    `due` alarms fire between the partitions' sweep mark and NOW, the others over the next 7
    days. Returns the number of slots used."""
    documents: list[Document] = []
    for i in range(open_alarms):
        if i < due:
            fire_at = swept_to + (NOW - swept_to) * (i + 1) / (due + 1)
        else:
            fire_at = NOW + timedelta(hours=1) + timedelta(days=7) * (i / open_alarms)
        partition = i % repository.partitions
        documents.append(alarm_document(_alarm(i, fire_at), partition, swept_to))
    raw = getattr(repository.alarms, "_c", None)  # the MongoDB adapter: few round trips
    if raw is not None:
        for start in range(0, len(documents), 5000):
            await raw.insert_many(documents[start : start + 5000], ordered=False)
    else:
        for document in documents:
            await repository.alarms.insert(document)
    return len({d["slot"] for d in documents})


async def reset_marks(repository: WorkflowRepository, swept_to: datetime) -> None:
    """Every partition was last swept at `swept_to` (a sweep runs every minute or so)."""
    for partition in range(repository.partitions):
        await repository.marks.replace(
            {"_id": str(partition), "swept_to": swept_to, VERSION_FIELD: 0}
        )


async def sweep_cost(
    kafka: str, mongo: str, open_alarms: int, due: int, rounds: int = 3
) -> dict[str, Any]:
    """One sweep of every partition, with `open_alarms` open of which `due` are due. The
    marks are reset before each round so that every round finds the same `due` alarms."""
    host, context = host_for(kafka, mongo)
    spec, routing = compose(context, config=RoutingConfig(sweep_interval_s=0))
    # no consumer: folding the published facts would compete with the sweep for the 2 cores
    host.specs = [dataclasses.replace(spec, handlers={})]
    await host.start()
    try:
        repository = routing.repository
        swept_to = NOW - timedelta(minutes=2)
        seeding = time.perf_counter()
        slots = await seed_alarms(repository, open_alarms, due, swept_to)
        seed_s = time.perf_counter() - seeding
        queried: list[str] = []
        original = repository.alarms_in

        async def counted(slot: str) -> list[Document]:
            queried.append(slot)
            return await original(slot)

        vars(repository)["alarms_in"] = counted  # count the slots a sweep reads
        timings, reads = [], []
        for _ in range(rounds):
            await reset_marks(repository, swept_to)
            start = time.perf_counter()
            await repository.sweep_window(NOW, None)  # the reads alone
            reads.append(time.perf_counter() - start)
            routing._rung.clear()  # a fresh replica: nothing rung yet
            queried.clear()
            start = time.perf_counter()
            recorded = await routing.sweep(now=NOW)
            timings.append(time.perf_counter() - start)
            assert recorded == due, recorded
        return {
            "open": open_alarms,
            "due": due,
            "slots": slots,
            "slots_read_per_sweep": len(queried),
            "seed_s": round(seed_s, 2),
            "sweep_ms": round(statistics.median(timings) * 1e3, 1),
            "sweep_ms_rounds": [round(t * 1e3, 1) for t in timings],
            "slot_reads_ms": round(statistics.median(reads) * 1e3, 1),
        }
    finally:
        store = host.stores["routing"]
        if isinstance(store, MongoStore):  # 100,000 seeded alarms: do not leave them behind
            await store.drop_database()
        await host.stop()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--open", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--due", type=int, default=50)
    args = parser.parse_args()
    kafka, mongo = infrastructure()
    result: dict[str, Any] = {
        "machine": machine(),
        "dossiers": args.count,
        "pure_decisions_per_s": round(pure_decisions(args.count), 1),
        "routed_dossiers_per_s": round(await decisions_per_second(kafka, mongo, args.count), 1),
    }
    sweeps = [await sweep_cost(kafka, mongo, n, args.due) for n in args.open]
    result["sweeps"] = sweeps
    # the same open steps with ten times the due items: the cost follows the due items
    result["sweep_more_due"] = await sweep_cost(kafka, mongo, args.open[-1], args.due * 10)
    result["sweep_ratio_largest_to_smallest"] = round(
        sweeps[-1]["sweep_ms"] / sweeps[0]["sweep_ms"], 2
    )
    result["open_ratio_largest_to_smallest"] = sweeps[-1]["open"] / sweeps[0]["open"]
    result["note"] = (
        "Alarms live in one collection, filed under an indexed slot (partition + 15-minute "
        "bucket of fire time, or late); the sweep reads by equality only the slots between "
        "the partitions' marks and now. Alarms are seeded directly through the store, not "
        "through the pipeline."
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "routing.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    asyncio.run(main())
