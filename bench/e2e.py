"""End to end: the whole city on this machine, N dossiers from submission to their final state.

The six services run as separate processes as in production (`lienthong run SERVICE`), on
free ports, against the real Kafka and FerretDB of `deploy/local/infra`, with this run's own
topic prefix and databases (two runs side by side do not collide); the simulated agencies'
systems answer after `--answer-delay` seconds. Synthetic applicants submit dossiers of every
procedure that can be submitted online, over HTTP to the intake, at an offered rate with
bounded concurrency; a raw aiokafka consumer follows every dossier on `dossier.events` to
`dossier.completed` (or a terminal refusal). Each service's /metrics and the CPU time of every
process (services, simulators, Kafka, FerretDB, the bench) say where the time goes; raw
aiokafka and raw pymongo baselines on the same servers, in the same run, say how far from
the metal one dossier is.

`--embedded` measures the embedded default instead: one `lienthong up` process, no Kafka, no
database, followed through the citizen's tracking API.

Results: bench/results/e2e.json (one section per mode, the other mode's kept) and
bench/results/e2e.png (e2e-embedded.png for --embedded).

    python3 -m uv run python bench/e2e.py [--dossiers 500] [--rate 30] [--concurrency 32]
        [--answer-delay 2] [--profile SERVICE] [--embedded] [--output FILE] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit, urlunsplit

from _baselines import raw_kafka, raw_store
from _chart import draw
from _city import SERVICES, City, Layout
from _cleanup import drop_run
from _infra import RESULTS, infrastructure, machine
from _measure import Load, Measured, measure_embedded, measure_real
from _procs import shielded
from _profile import top_functions
from _report import (
    TARGETS,
    closing_the_gap,
    cost_vs_raw,
    latencies,
    outcomes,
    per_process,
    per_service_counters,
    steady_rate,
    target,
    totals,
    where_the_time_goes,
)

from lienthong.settings import Settings

DEFINITIONS = {
    "dossiers_per_second": "dossiers reaching their result (dossier.completed, or "
    "dossier.result-ready when it waits at the desk) per second, between the 10 % and the 90 % "
    "of those completions (Kafka timestamps; embedded: the tracking timeline's times)",
    "p50_submit_ms / p99_submit_ms": "POST /v1/dossiers, request sent → 201 answered (the "
    "client's wait for a concurrency slot is in submit_from_schedule_ms)",
    "p99_submit_to_task_ms": "request sent → the dossier's first agency.task-delivered record",
    "p99_event_to_message_ms": "dossier.received record → the dossier.notification-sent record "
    "of the receipt message (the provider accepted it)",
    "kafka_messages_per_dossier": "records published by all services over the measured window "
    "(lienthong_bus_published_total, every topic) / dossiers submitted",
    "kafka_records_handled_per_dossier": "records handed to consumer groups "
    "(lienthong_bus_handled_total) / dossiers submitted",
    "store_ops_per_dossier": "database round trips of all services "
    "(lienthong_store_operations_total) / dossiers submitted",
    "cpu_ms_per_dossier": "CPU (user+system, /proc) of the process over the measured window / "
    "dossiers; _net_of_idle subtracts its background rate measured before the load",
    "actual_over_*_floor": "seconds per dossier actually (1 / dossiers_per_second) divided by "
    "the seconds the raw client would need for the dossier's messages or store operations",
}


# Above the targets: completions cannot outpace what is offered.
DEFAULT_RATE = {"real": 30.0, "embedded": 150.0}
CAVEATS = {
    "real": [
        "Kafka, FerretDB and PostgreSQL are shared with whoever else uses deploy/local/infra on "
        "this machine: their CPU includes other users' load (see their idle background rate)",
        "the bench process (HTTP client, follower) runs on the same cores as the city",
        "with --simulators adapter (default) the simulated agencies' CPU is the adapter's",
        "SMS quiet hours are switched off for the run (LIENTHONG_NOTIFY_QUIET_HOURS_*)",
    ],
    "embedded": [
        "followed through the tracking API: its polls (tracking_polls) cost the process CPU "
        "and are included in cpu_ms_per_dossier",
        "the simulated agencies run inside the same process",
        "kafka_* counts are the in-process bus's (lienthong_bus_published_total)",
    ],
}


def _on_sigterm(_signum: int, _frame: object) -> NoReturn:
    raise KeyboardInterrupt  # unwinds like Ctrl-C: every started process is stopped


def _redacted(url: str | None) -> str | None:
    if url is None:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc)) if "@" in parts.netloc else url


def baselines(kafka: str, mongo: str, run_id: str, args: argparse.Namespace) -> dict[str, Any]:
    """On a topic with as many partitions as the services' `dossier.events`."""
    default = Settings.model_fields["dossier_partitions"].default
    partitions = int(
        dict(i.split("=", 1) for i in args.set).get("LIENTHONG_DOSSIER_PARTITIONS", default)
    )
    topic = f"{run_id}.raw-baseline"
    print("baselines: raw aiokafka produce+consume, raw pymongo insert+find ...")
    return {
        "kafka": asyncio.run(raw_kafka(kafka, topic, args.baseline_messages, partitions)),
        "store": asyncio.run(raw_store(mongo, f"{run_id}_baseline", args.baseline_ops, 16)),
    }


def summarise(measured: Measured, layout: Layout) -> dict[str, Any]:
    received = [s for s in measured.submissions if s.outcome == "received"]
    tracks = measured.tracks
    # Throughput counts dossiers that reached their result, not refusals.
    done = ("completed", "at_desk")
    final_times = [
        t.final_at
        for s in received
        if (t := tracks.get(s.dossier_id)) and t.final in done and t.final_at is not None
    ]
    steady = steady_rate(final_times)
    lat = latencies(measured.submissions, tracks)
    dossiers = len(measured.submissions)
    cpu = per_process(measured.start, measured.end, measured.idle_cpu_per_s, dossiers)
    counters = per_service_counters(measured.start, measured.end, dossiers)
    metrics: dict[str, Any] = {
        "dossiers_per_second": steady["dossiers_per_second"],
        "p50_submit_ms": lat["submit_ms"]["p50"],
        "p99_submit_ms": lat["submit_ms"]["p99"],
        "p99_submit_to_task_ms": lat["submit_to_task_delivered_ms"]["p99"],
        "p99_event_to_message_ms": lat["received_to_message_sent_ms"]["p99"],
        **totals(counters),
    }
    services = list(SERVICES) if not layout.embedded else ["lienthong"]
    service_cpu = sum(cpu["processes"].get(n, {}).get("cpu_s", 0.0) for n in services)
    metrics["cpu_ms_per_dossier_services"] = round(1000 * service_cpu / dossiers, 2)
    return {
        "steady": steady,
        "metrics": metrics,
        "latency": lat,
        "cpu": cpu,
        "services": counters,
        "services_cpu_s_per_dossier": round(service_cpu / dossiers, 4),
        "final_times": final_times,
    }


def targets_for(metrics: dict[str, Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    rate = metrics["dossiers_per_second"]
    if args.embedded:
        goal = TARGETS["embedded_dossiers_per_second"]
        enough = args.rate == 0 or args.rate >= goal
        return [target("embedded_dossiers_per_second", rate, goal, False, enough)]
    offered_enough = args.rate == 0 or args.rate >= TARGETS["dossiers_per_second"]
    return [
        target("dossiers_per_second", rate, TARGETS["dossiers_per_second"], False, offered_enough),
        # At ≥ 25/s offered: a p99 met at a higher rate is met at 25/s.
        target(
            "p99_submit_ms",
            metrics["p99_submit_ms"],
            TARGETS["p99_submit_ms"],
            True,
            offered_enough,
        ),
    ]


def section(
    measured: Measured, layout: Layout, args: argparse.Namespace, extra: dict[str, Any]
) -> dict[str, Any]:
    summary = summarise(measured, layout)
    metrics = summary["metrics"]
    if "baselines" in extra:
        cost = cost_vs_raw(metrics, extra["baselines"], summary["services_cpu_s_per_dossier"])
        extra = {**extra, "cost_vs_raw": cost}
    services = list(SERVICES) if not layout.embedded else ["lienthong"]
    goal = "embedded_dossiers_per_second" if layout.embedded else "dossiers_per_second"
    return {
        "measured_at": datetime.now(UTC).isoformat(),
        "run_id": layout.run_id,
        "parameters": {
            "dossiers": args.dossiers,
            "offered_rate_per_s": args.rate or "unthrottled",
            "concurrency": args.concurrency,
            "answer_delay_s": args.answer_delay,
            "warmup_dossiers": args.warmup,
            "simulators": "inside lienthong up" if layout.embedded else layout.simulators,
            "procedures": [t.procedure for t in measured.templates],
            "wards": measured.wards,
            "kafka": layout.kafka,
            "mongo": _redacted(layout.mongo),
            "extra_env": dict(layout.extra_env),
        },
        "metrics": metrics,
        "targets": targets_for(metrics, args),
        "outcome": {
            **outcomes(measured.submissions, measured.tracks),
            "unfinished_at_timeout": len(measured.unfinished),
            "quiet_before_snapshot": measured.quiet,
            **measured.extra,
        },
        "steady_window": summary["steady"],
        "latency_ms": summary["latency"],
        "per_service": summary["services"],
        "cpu": summary["cpu"],
        "where_the_time_goes": where_the_time_goes(summary["cpu"], services),
        "closing_the_gap": closing_the_gap(summary["cpu"], metrics, TARGETS[goal], layout.embedded),
        **extra,
        "caveats": CAVEATS["embedded" if layout.embedded else "real"],
        "load_average_1m": round(os.getloadavg()[0], 2),
        "machine": machine(),
        "_final_times": summary["final_times"],
    }


def write(path: Path, mode: str, result: dict[str, Any], measured: Measured) -> None:
    final_times = result.pop("_final_times")
    chart = (
        path.with_suffix(".png") if mode == "real" else path.with_name(f"{path.stem}-embedded.png")
    )
    title = f"LiênThông end to end ({mode}): {result['parameters']['dossiers']} dossiers"
    draw(chart, title, measured.submissions, final_times, result["steady_window"], result["cpu"])
    result["chart"] = str(chart.name)
    document: dict[str, Any] = {}
    if path.exists():
        try:
            document = json.loads(path.read_text())
        except ValueError:
            document = {}
    runs = document.get("runs", {})
    runs[mode] = result
    targets = [{"mode": m, **t} for m, r in runs.items() for t in r.get("targets", [])]
    document = {
        "benchmark": "end to end: the whole city on one machine, dossiers to their final state",
        "targets": targets,
        "definitions": DEFINITIONS,
        "runs": runs,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


@dataclass
class Ran:
    """A finished run: how it was laid out, its (stopped) city, what was measured."""

    layout: Layout
    city: City
    measured: Measured
    extra: dict[str, Any]


def _embedded(run_id: str, load: Load, args: argparse.Namespace, env: dict[str, str]) -> Ran:
    profile = "lienthong" if args.profile else None  # one process: whatever was named
    layout = Layout(run_id, None, None, args.answer_delay, profile=profile, extra_env=env)
    with City(layout) as city:
        measured = asyncio.run(measure_embedded(city, load, args.answer_delay))
    return Ran(layout, city, measured, {})


def _real(run_id: str, load: Load, args: argparse.Namespace, env: dict[str, str]) -> Ran:
    kafka, mongo = infrastructure()
    layout = Layout(run_id, kafka, mongo, args.answer_delay, args.simulators, args.profile, env)
    extra: dict[str, Any] = {}
    try:
        if not args.no_baselines:
            extra["baselines"] = baselines(kafka, mongo, run_id, args)
        with City(layout) as city:
            measured = asyncio.run(measure_real(city, kafka, load))
    finally:
        if not args.keep:
            with shielded():
                try:
                    extra["cleanup"] = asyncio.run(drop_run(kafka, mongo, run_id))
                except Exception as exc:  # never hide why the run itself failed
                    print(f"cleanup of {run_id} failed: {exc!r}")
    return Ran(layout, city, measured, extra)


def run(args: argparse.Namespace) -> None:
    if args.rate is None:
        args.rate = DEFAULT_RATE["embedded" if args.embedded else "real"]
    run_id = f"e2e{uuid.uuid4().hex[:8]}"
    env = dict(item.split("=", 1) for item in args.set)
    load = Load(
        args.dossiers,
        args.rate,
        args.concurrency,
        args.warmup,
        args.timeout,
        args.idle,
        tuple(args.procedures),
    )
    ran = (_embedded if args.embedded else _real)(run_id, load, args, env)
    extra = {**ran.extra, "logs": str(ran.city.logs)}
    if ran.layout.profile:
        profiles = ran.city.profiles()
        extra["profile"] = {n: top_functions(p, args.profile_top) for n, p in profiles.items()}
    result = section(ran.measured, ran.layout, args, extra)
    write(args.output, "embedded" if args.embedded else "real", result, ran.measured)
    print(json.dumps({k: result[k] for k in ("metrics", "targets", "outcome")}, indent=2))
    print(f"results: {args.output}  logs: {ran.city.logs}")


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add = parser.add_argument
    add("--dossiers", type=int, default=500, help="dossiers in the measured load")
    add(
        "--rate",
        type=float,
        default=None,
        help="offered submissions per second, 0 = unthrottled (default 30; embedded 150)",
    )
    add("--concurrency", type=int, default=32, help="submissions in flight, at most")
    add("--answer-delay", type=float, default=2.0, help="simulated officers' delay (s)")
    add("--warmup", type=int, default=26, help="dossiers before the measured load")
    add("--timeout", type=float, default=300.0, help="waiting for final states (s)")
    add("--idle", type=float, default=5.0, help="idle CPU measurement before the load (s)")
    add("--procedures", nargs="*", default=[], help="only these procedure codes")
    add("--embedded", action="store_true", help="one `lienthong up`, no Kafka, no database")
    add(
        "--simulators",
        choices=("adapter", "process"),
        default="adapter",
        help="the agencies' simulated systems inside the agency adapter (default, "
        "LIENTHONG_ADAPTER_SIMULATORS=true) or in a process of their own, so that their CPU "
        "is not counted as the adapter's",
    )
    add(
        "--profile",
        metavar="SERVICE",
        help="run SERVICE (or 'all'; 'lienthong' embedded) "
        "under cProfile; top functions in the results",
    )
    add("--profile-top", type=int, default=25)
    add("--baseline-messages", type=int, default=20_000)
    add("--baseline-ops", type=int, default=500)
    add("--no-baselines", action="store_true")
    add(
        "--set",
        action="append",
        default=[],
        metavar="LIENTHONG_X=VALUE",
        help="extra setting for every process of the run (repeatable)",
    )
    add("--keep", action="store_true", help="keep the run's topics and databases")
    add("--output", type=Path, default=RESULTS / "e2e.json")
    return parser.parse_args()


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, _on_sigterm)
    run(arguments())
