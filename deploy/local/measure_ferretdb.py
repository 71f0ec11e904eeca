"""Measures FerretDB (as `deploy/local/infra up` runs it) on 20k documents of ~1 KB.

    cd /work/main && python3 -m uv run python deploy/local/measure_ferretdb.py [MONGO_URL]

MONGO_URL defaults to $MONGO_URL, else the default instance (mongodb://127.0.0.1:27018/). Works
in a throwaway database (dropped at the end). Prints p50/p90 per operation, inserts/s from 8
threads, whether `explain` reports the filter pushed down and which PostgreSQL index serves it
(FerretDB's explain carries PostgreSQL's plan), and how many distinct values 200 concurrent
`find_one_and_update({$inc})` on one document return (200 on MongoDB; fewer = lost updates).
The last line is the same as JSON. Takes well under a minute on 2 cores.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pymongo import MongoClient, ReturnDocument

DOCUMENTS = 20_000
SAMPLES = 300  # per latency measurement
INSERTS, INSERT_THREADS = 2_000, 8
INCREMENTS = 200
PAD = "x" * 900  # with the other fields, ~1 KB of BSON per document


def document(i: int) -> dict[str, Any]:
    return {
        "_id": f"doc-{i:06d}",
        "code": f"C{i:06d}",  # indexed, one document per value
        "agency": f"agency-{i % 50}",  # indexed, 400 documents per value
        "status": "open" if i % 3 else "closed",
        "n": i,
        "pad": PAD,
    }


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p90_ms": round(ordered[int(len(ordered) * 0.9)] * 1000, 2),
    }


def timed(op: Callable[[int], object], keys: list[int]) -> dict[str, float]:
    samples = []
    for k in keys:
        start = time.perf_counter()
        op(k)
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def plan_nodes(plan: Any) -> Iterator[dict[str, Any]]:
    if isinstance(plan, dict):
        if "Node Type" in plan:
            yield plan
        for value in plan.values():
            yield from plan_nodes(value)
    elif isinstance(plan, list):
        for value in plan:
            yield from plan_nodes(value)


def explain(db: Any, filter: dict[str, Any]) -> dict[str, Any]:
    out = db.command("explain", {"find": "docs", "filter": filter}, verbosity="queryPlanner")
    nodes = list(plan_nodes(out.get("queryPlanner")))
    indexes = [n["Index Name"] for n in nodes if "Index Name" in n]
    return {
        "filterPushdown": out.get("filterPushdown"),
        "plan": " > ".join(n["Node Type"] for n in nodes),
        "indexes": indexes,
        "gin_twin": any(name.rsplit("_", 1)[-1].startswith("g") for name in indexes),
    }


def main() -> None:
    url = (sys.argv[1:] or [os.environ.get("MONGO_URL") or "mongodb://127.0.0.1:27018/"])[0]
    client: MongoClient[dict[str, Any]] = MongoClient(url, maxPoolSize=250)
    build = client.admin.command("buildInfo")
    db = client[f"measure_{uuid.uuid4().hex[:8]}"]
    docs = db.docs
    result: dict[str, Any] = {"url": url, "ferretdb": build.get("ferretdbVersion", "-")}
    try:
        docs.create_index("code")
        docs.create_index("agency")
        start = time.perf_counter()
        for first in range(0, DOCUMENTS, 1000):
            docs.insert_many([document(i) for i in range(first, first + 1000)])
        result["load_20k_s"] = round(time.perf_counter() - start, 1)
        size = len(json.dumps(document(0)))
        result["document_bytes"] = size

        keys = [(i * 7919) % DOCUMENTS for i in range(SAMPLES)]  # spread over the collection
        for k in keys[:20]:  # warm up connections and caches
            docs.find_one({"_id": f"doc-{k:06d}"})
        result["find_by_id"] = timed(lambda k: docs.find_one({"_id": f"doc-{k:06d}"}), keys)
        result["find_by_indexed_field"] = timed(
            lambda k: list(docs.find({"code": f"C{k:06d}"})), keys
        )
        result["find_400_by_indexed_field"] = timed(
            lambda k: list(docs.find({"agency": f"agency-{k % 50}"})), keys[:50]
        )
        result["update_by_id"] = timed(
            lambda k: docs.update_one({"_id": f"doc-{k:06d}"}, {"$set": {"n": -k}}), keys
        )
        result["find_by_unindexed_field"] = timed(lambda k: list(docs.find({"n": k})), keys[:20])

        def insert(i: int) -> None:
            docs.insert_one(document(DOCUMENTS + i))

        with ThreadPoolExecutor(INSERT_THREADS) as pool:
            start = time.perf_counter()
            list(pool.map(insert, range(INSERTS)))
            elapsed = time.perf_counter() - start
        result["inserts_per_s_8_threads"] = round(INSERTS / elapsed)

        result["explain"] = {
            "by_id": explain(db, {"_id": "doc-000123"}),
            "by_indexed_field": explain(db, {"code": "C000123"}),
            "two_equalities": explain(db, {"agency": "agency-3", "status": "open"}),
            "by_unindexed_field": explain(db, {"n": 123}),
        }

        db.counters.insert_one({"_id": "c", "n": 0})

        def increment(_: int) -> int:
            doc = db.counters.find_one_and_update(
                {"_id": "c"}, {"$inc": {"n": 1}}, return_document=ReturnDocument.AFTER
            )
            assert doc is not None
            return int(doc["n"])

        with ThreadPoolExecutor(INCREMENTS) as pool:
            values = list(pool.map(increment, range(INCREMENTS)))
        final = db.counters.find_one({"_id": "c"})
        result["concurrent_inc"] = {
            "calls": INCREMENTS,
            "distinct_values_returned": len(set(values)),
            "final_value": final["n"] if final else None,
        }
    finally:
        client.drop_database(db.name)
        client.close()

    for key, value in result.items():
        print(f"{key}: {value}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
