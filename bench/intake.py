"""Intake throughput: dossiers submitted per second over HTTP into Kafka.

The intake service runs under uvicorn on a free port (one process, as `lienthong run intake`)
against the real Kafka broker and FerretDB; an httpx client submits N complete birth-group
dossiers (each with its own Idempotency-Key, three small inline PDF documents) with bounded
concurrency. Every submission is answered `201` only after its `dossier.submitted` and
`dossier.received` events are acknowledged by the broker (acks=all) and its idempotency claim
and code counter are written to FerretDB. Result: bench/results/intake.json, with
submissions/s and p50/p99 latency.

    python3 -m uv run python bench/intake.py [--count 500] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import statistics
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx
import uvicorn
from _infra import RESULTS, free_port, infrastructure, machine
from pymongo import MongoClient

from lienthong.runtime.host import Host
from lienthong.settings import Settings

WARMUP = 20


def submission(i: int) -> dict[str, Any]:
    def pdf(text: str) -> str:
        return base64.b64encode(b"%PDF-1.4\n" + f"{text} {i}".encode()).decode()

    documents = ("to-khai-lien-thong", "giay-chung-sinh", "giay-chung-nhan-ket-hon")
    return {
        "procedure": "2.000986",
        "channel": "online",
        "applicant": {
            "full_name": "Người Thử Nghiệm",
            "id_number": f"{79_090_000_000 + i:012d}",
            "phone": "0901234567",
            "email": "bench@example.vn",
            "ward_code": "26506",
            "contact_channel": "sms",
        },
        "form": {"parents_married": True},
        "documents": [
            {"type": t, "filename": f"{t}.pdf", "content_base64": pdf(t)} for t in documents
        ],
    }


@contextmanager
def served(settings: Settings) -> Iterator[str]:
    """The intake service under uvicorn in a background thread; its database dropped after."""
    server = uvicorn.Server(
        uvicorn.Config(
            Host(settings, ["intake"]).app(), host="127.0.0.1", port=free_port(), log_level="error"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("intake did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join(60)
        client: MongoClient[dict[str, Any]] = MongoClient(settings.mongo_url)
        with client:
            client.drop_database(f"{settings.database_prefix}_intake")


async def submit_all(url: str, count: int, concurrency: int, offset: int) -> list[float]:
    """Latencies (seconds) of `count` submissions; any answer but 201 aborts the run."""
    gate = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as client:

        async def one(i: int) -> float:
            async with gate:
                started = time.perf_counter()
                response = await client.post(
                    "/v1/dossiers",
                    json=submission(i),
                    headers={"Idempotency-Key": f"bench-{uuid.uuid4()}"},
                )
                elapsed = time.perf_counter() - started
            if response.status_code != 201:
                raise RuntimeError(f"submission {i}: {response.status_code} {response.text}")
            return elapsed

        return await asyncio.gather(*(one(offset + i) for i in range(count)))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(url: str, count: int, concurrency: int) -> dict[str, Any]:
    await submit_all(url, WARMUP, concurrency, offset=10**6)  # topics, indexes, code counter
    started = time.perf_counter()
    latencies = await submit_all(url, count, concurrency, offset=0)
    elapsed = time.perf_counter() - started
    return {
        "submissions_per_s": round(count / elapsed, 1),
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50) * 1000, 1),
            "p99": round(percentile(latencies, 0.99) * 1000, 1),
            "mean": round(statistics.fmean(latencies) * 1000, 1),
            "max": round(max(latencies) * 1000, 1),
        },
        "elapsed_s": round(elapsed, 2),
    }


def main(count: int, concurrency: int) -> dict[str, Any]:
    kafka, mongo = infrastructure()
    run = f"bench{uuid.uuid4().hex[:8]}"
    os.environ.setdefault("LIENTHONG_INTAKE_BLOB_DIR", tempfile.mkdtemp(prefix="intake-blobs-"))
    settings = Settings(
        kafka_bootstrap=kafka, mongo_url=mongo, topic_prefix=f"{run}.", database_prefix=run
    )
    load_before = round(os.getloadavg()[0], 2)  # the machine may be shared: say how busy
    with served(settings) as url:
        measured = asyncio.run(measure(url, count, concurrency))
    return {
        "benchmark": "intake: POST /v1/dossiers over HTTP into Kafka (201 = events acknowledged)",
        "measured_at": datetime.now(UTC).isoformat(),
        "submissions": count,
        "concurrency": concurrency,
        **measured,
        "load_average_1m_at_start": load_before,
        "setup": "one uvicorn worker; Kafka 4 (single broker, acks=all) and FerretDB on this "
        "machine; 3 inline PDF documents per dossier stored on the filesystem blob store",
        "bottleneck": "FerretDB 1.24 on SQLite, ~10-20 ms per operation: a submission makes "
        "the idempotency claim, the dossier-code ticket (queued per process) and the stored "
        "answer, and the tracking projection reads and writes each dossier's view twice; the "
        "kernel's code counter slows as a day's tickets accumulate (FerretDB sorts them by scan)",
        "machine": machine(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    result = main(args.count, args.concurrency)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "intake.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
