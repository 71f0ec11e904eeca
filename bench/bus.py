"""Bus throughput: raw aiokafka vs the kernel's Bus, same messages, same broker, one run.

Each side produces N events (idempotent producer, acks=all, batched sends) and consumes
them in a consumer group that commits after each batch; the time is from the first send to
the last message handled. The raw side sends pre-encoded bytes and does not decode; the
kernel side pays for encoding, decoding and validating the CloudEvents envelope, the
delivery policy, tracing spans and metrics. Result: bench/results/bus.json, with `ratio` =
kernel / raw throughput (target ≥ 0.5).

    python3 -m uv run python bench/bus.py [--count 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime

from _baselines import raw_clients
from _infra import RESULTS, infrastructure, machine

from lienthong.bus import KafkaBus, Subscription
from lienthong.bus.kafka_admin import create_missing_topics
from lienthong.events import Event, encode, new_event
from lienthong.telemetry import configure_tracing, tracer

PARTITIONS = 6
CHUNK = 1000


def sample_events(count: int) -> list[Event]:
    data = {
        "procedure": "1.001193",
        "channel": "online",
        "ward_code": "26743",
        "document_sha256": {"birth-declaration": "ab" * 32},
    }
    # Inside a span, as events made while serving a request are: they carry a traceparent,
    # so the consumer side pays for continuing the trace, as in production.
    with tracer().start_as_current_span("bench request"):
        return [
            new_event("dossier.submitted", f"dossier-{i % 500}", data, source="/bench")
            for i in range(count)
        ]


async def raw_run(bootstrap: str, events: list[Event]) -> float:
    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    await create_missing_topics(bootstrap, {topic: PARTITIONS})
    records = [encode(e, topic) for e in events]
    producer, consumer = raw_clients(bootstrap, topic)
    await producer.start()
    await consumer.start()
    received = 0
    started = time.perf_counter()

    async def produce() -> None:
        for i in range(0, len(records), CHUNK):
            futures = [
                await producer.send(topic, r.value, key=r.key, headers=list(r.headers))
                for r in records[i : i + CHUNK]
            ]
            await asyncio.gather(*futures)

    async def consume() -> None:
        nonlocal received
        while received < len(records):
            batches = await consumer.getmany(timeout_ms=200, max_records=500)
            for batch in batches.values():
                received += len(batch)
            if batches:
                await consumer.commit({tp: b[-1].offset + 1 for tp, b in batches.items()})

    await asyncio.gather(produce(), consume())
    elapsed = time.perf_counter() - started
    await consumer.stop()
    await producer.stop()
    return len(records) / elapsed


async def kernel_run(bootstrap: str, events: list[Event]) -> float:
    prefix = f"bench-kernel-{uuid.uuid4().hex[:8]}."
    bus = KafkaBus(bootstrap, topic_prefix=prefix)
    await bus.ensure_topics({"dossier.events": PARTITIONS})
    handled = 0
    done = asyncio.Event()

    async def count(_event: Event) -> None:
        nonlocal handled
        handled += 1
        if handled == len(events):
            done.set()

    bus.subscribe(Subscription("bench", ["dossier.events"], count))
    await bus.start()
    started = time.perf_counter()
    for i in range(0, len(events), CHUNK):
        await bus.publish("dossier.events", *events[i : i + CHUNK])
    await done.wait()
    elapsed = time.perf_counter() - started
    await bus.stop()
    return len(events) / elapsed


async def main(count: int, rounds: int) -> dict[str, object]:
    configure_tracing("bench")
    bootstrap, _ = infrastructure()
    events = sample_events(count)
    raw, kernel = [], []
    for round_ in range(rounds):  # interleaved, so drift on the machine hits both sides
        raw.append(await raw_run(bootstrap, events))
        kernel.append(await kernel_run(bootstrap, events))
        print(f"round {round_ + 1}: raw {raw[-1]:,.0f} msg/s, kernel {kernel[-1]:,.0f} msg/s")
    raw_median, kernel_median = statistics.median(raw), statistics.median(kernel)
    return {
        "benchmark": "bus produce+consume throughput",
        "measured_at": datetime.now(UTC).isoformat(),
        "messages_per_round": count,
        "rounds": rounds,
        "partitions": PARTITIONS,
        "raw_aiokafka_msgs_per_s": round(raw_median),
        "kernel_bus_msgs_per_s": round(kernel_median),
        "raw_rounds": [round(x) for x in raw],
        "kernel_rounds": [round(x) for x in kernel],
        "ratio": round(kernel_median / raw_median, 3),
        "tracing": "default settings: trace context propagated in every event, spans not "
        "recorded (LIENTHONG_TRACE_EXPORT=none)",
        "target_ratio": 0.5,
        "machine": machine(),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    result = asyncio.run(main(args.count, args.rounds))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bus.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
