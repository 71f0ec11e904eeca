"""From what the bench saw to the numbers in bench/results/e2e.json (pure)."""

from __future__ import annotations

import os
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from _city import Samples, Snapshot
from _follow import RECEIVED, TASK_DELIVERED, Track
from _load import Submission

STEADY = (0.10, 0.90)  # the sustained rate is measured between these shares of completions

TARGETS = {
    "dossiers_per_second": 25.0,  # completed, sustained (real infrastructure)
    "p99_submit_ms": 500.0,  # at 25/s offered
    "embedded_dossiers_per_second": 100.0,
}


def percentile(values: Sequence[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def ms(value: float | None) -> float | None:
    return None if value is None else round(value * 1000, 1)


def distribution_ms(values: Sequence[float]) -> dict[str, float | None]:
    return {
        "count": len(values),
        "p50": ms(percentile(values, 0.50)),
        "p90": ms(percentile(values, 0.90)),
        "p99": ms(percentile(values, 0.99)),
        "max": ms(max(values) if values else None),
        "mean": ms(statistics.fmean(values) if values else None),
    }


def steady_rate(final_times: Sequence[float]) -> dict[str, Any]:
    """Completions per second between the 10 % and the 90 % completion: the start-up and the
    drain of the run are left out."""
    times = sorted(final_times)
    if len(times) < 10:
        return {"dossiers_per_second": None, "why": "fewer than 10 completions"}
    first, last = int(STEADY[0] * len(times)), int(STEADY[1] * len(times)) - 1
    window = times[last] - times[first]
    rate = (last - first) / window if window > 0 else None
    return {
        "dossiers_per_second": None if rate is None else round(rate, 2),
        "window_s": round(window, 2),
        "completions_in_window": last - first,
        "overall_dossiers_per_second": round(len(times) / (times[-1] - min(times) or 1), 2),
    }


def outcomes(submissions: Sequence[Submission], tracks: Mapping[str, Track]) -> dict[str, Any]:
    answers: dict[str, int] = defaultdict(int)
    finals: dict[str, int] = defaultdict(int)
    for s in submissions:
        answers[s.outcome] += 1
        if s.outcome == "received":
            track = tracks.get(s.dossier_id)
            finals[track.final if track and track.final else "unfinished"] += 1
    started = [s.started_at for s in submissions if s.started_at]
    answered = [s.answered_at for s in submissions if s.status_code]
    span = max(answered) - min(started) if answered and started else 0.0
    return {
        "submitted": len(submissions),
        "answers": dict(answers),
        "final": dict(finals),
        "submissions_answered_per_s": round(len(answered) / span, 2) if span else None,
    }


def latencies(submissions: Sequence[Submission], tracks: Mapping[str, Track]) -> dict[str, Any]:
    answered = [s for s in submissions if s.status_code]
    received = [s for s in submissions if s.outcome == "received"]
    to_task, to_final, to_message = [], [], []
    for s in received:
        track = tracks.get(s.dossier_id)
        if track is None:
            continue
        if TASK_DELIVERED in track.first:
            to_task.append(track.first[TASK_DELIVERED] - s.started_at)
        if track.final_at is not None:
            to_final.append(track.final_at - s.started_at)
        message = track.message_for(RECEIVED)
        if message is not None and RECEIVED in track.first:
            to_message.append(message - track.first[RECEIVED])
    return {
        "submit_ms": distribution_ms([s.latency_s for s in answered]),
        "submit_from_schedule_ms": distribution_ms([s.latency_from_schedule_s for s in answered]),
        "submit_to_task_delivered_ms": distribution_ms(to_task),
        "received_to_message_sent_ms": distribution_ms(to_message),
        "submit_to_final_ms": distribution_ms(to_final),
    }


def _delta(start: Samples, end: Samples, service: str) -> dict[tuple[tuple[str, str], ...], float]:
    before = start.get(service, {})
    return {k: v - before.get(k, 0.0) for k, v in end.get(service, {}).items()}


def _by(
    delta: Mapping[tuple[tuple[str, str], ...], float], metric: str, label: str
) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for key, value in delta.items():
        labels = dict(key)
        if labels["metric"] == metric and value:
            out[labels.get(label, "")] += round(value)
    return dict(sorted(out.items()))


def per_process(
    start: Snapshot, end: Snapshot, idle_cpu_per_s: Mapping[str, float], dossiers: int
) -> dict[str, Any]:
    """CPU of every process over the measured window: seconds, share, per dossier, and net of
    the process's idle background (polls, heartbeats) measured before the load."""
    window = end.mono - start.mono
    cpu = {name: end.cpu[name] - start.cpu.get(name, end.cpu[name]) for name in end.cpu}
    total = sum(cpu.values()) or 1.0
    busy = end.machine[0] - start.machine[0]
    rows: dict[str, Any] = {}
    for name, seconds in sorted(cpu.items(), key=lambda kv: -kv[1]):
        idle = idle_cpu_per_s.get(name, 0.0) * window
        rows[name] = {
            "cpu_s": round(seconds, 2),
            "cpu_share_of_measured": round(seconds / total, 3),
            "cores_busy": round(seconds / window, 2) if window else None,
            "cpu_ms_per_dossier": round(1000 * seconds / dossiers, 2) if dossiers else None,
            "cpu_ms_per_dossier_net_of_idle": (
                round(1000 * max(0.0, seconds - idle) / dossiers, 2) if dossiers else None
            ),
            "idle_cpu_ms_per_s": round(1000 * idle_cpu_per_s.get(name, 0.0), 1),
        }
    return {
        "window_s": round(window, 2),
        "processes": rows,
        "machine_busy_core_s": round(busy, 2),
        "machine_busy_cores": round(busy / window, 2) if window else None,
        "outside_measured_core_s": round(max(0.0, busy - total), 2),
    }


def per_service_counters(start: Snapshot, end: Snapshot, dossiers: int) -> dict[str, Any]:
    rows: dict[str, Any] = {}
    for service in end.counters:
        delta = _delta(start.counters, end.counters, service)
        published = _by(delta, "lienthong_bus_published_total", "topic")
        handled = _by(delta, "lienthong_bus_handled_total", "outcome")
        store = _by(delta, "lienthong_store_operations_total", "operation")
        has_store_metric = any(
            dict(k)["metric"] == "lienthong_store_operations_total" for k in end.counters[service]
        )
        per = (lambda n: round(n / dossiers, 2)) if dossiers else (lambda _n: None)
        rows[service] = {
            "published": published,
            "published_per_dossier": per(sum(published.values())),
            "handled": handled,
            "handled_per_dossier": per(sum(handled.values())),
            "store_operations": store if has_store_metric else "not exported",
            "store_ops_per_dossier": per(sum(store.values())) if has_store_metric else None,
        }
    return rows


def totals(counters: Mapping[str, Any]) -> dict[str, float | None]:
    def total(field: str) -> float | None:
        values = [row[field] for row in counters.values() if row[field] is not None]
        return round(sum(values), 2) if values else None

    return {
        "kafka_messages_per_dossier": total("published_per_dossier"),
        "kafka_records_handled_per_dossier": total("handled_per_dossier"),
        "store_ops_per_dossier": total("store_ops_per_dossier"),
    }


def cost_vs_raw(
    metrics: Mapping[str, Any], baselines: Mapping[str, Any], cpu_s_per_dossier: float | None
) -> dict[str, Any]:
    """Seconds of raw Kafka / raw store capacity one dossier needs, against what it took."""
    rate = metrics.get("dossiers_per_second")
    actual = 1 / rate if rate else None
    kafka_rate = baselines.get("kafka", {}).get("msgs_per_s")
    store_rate = baselines.get("store", {}).get("ops_per_s_concurrent")
    messages = metrics.get("kafka_messages_per_dossier")
    handled = metrics.get("kafka_records_handled_per_dossier")
    ops = metrics.get("store_ops_per_dossier")
    kafka_floor = messages / kafka_rate if messages and kafka_rate else None
    # Every delivery to a consumer group counted as one raw produce+consume.
    fanout = max(messages or 0, handled or 0)
    fanout_floor = fanout / kafka_rate if fanout and kafka_rate else None
    store_floor = ops / store_rate if ops and store_rate else None

    def ratio(floor: float | None) -> float | None:
        return round(actual / floor, 1) if actual and floor else None

    return {
        "seconds_per_dossier_actual": None if actual is None else round(actual, 4),
        "cpu_seconds_per_dossier_services": cpu_s_per_dossier,
        "kafka_floor_s_per_dossier": None if kafka_floor is None else round(kafka_floor, 5),
        "kafka_floor_with_fanout_s_per_dossier": (
            None if fanout_floor is None else round(fanout_floor, 5)
        ),
        "store_floor_s_per_dossier": None if store_floor is None else round(store_floor, 5),
        "actual_over_kafka_floor": ratio(kafka_floor),
        "actual_over_kafka_floor_with_fanout": ratio(fanout_floor),
        "actual_over_store_floor": ratio(store_floor),
    }


def target(
    name: str, value: float | None, goal: float, below: bool, applies: bool
) -> dict[str, Any]:
    if not applies:
        met: bool | str = "not evaluated"
    elif value is None:
        met = False
    else:
        met = value < goal if below else value >= goal
    return {
        "metric": name,
        "target": f"{'<' if below else '≥'} {goal:g}",
        "value": value,
        "met": met,
    }


def where_the_time_goes(cpu: Mapping[str, Any], services: Sequence[str]) -> list[str]:
    """Plain sentences: the processes ranked by CPU in the window."""
    rows = cpu["processes"]
    lines = [
        f"{name}: {row['cpu_s']} CPU s ({100 * row['cpu_share_of_measured']:.0f} % of the run's "
        f"measured CPU, {row['cores_busy']} cores busy, {row['cpu_ms_per_dossier']} ms/dossier)"
        for name, row in rows.items()
    ]
    service_cpu = sum(row["cpu_s"] for name, row in rows.items() if name in services)
    window = cpu["window_s"]
    cores = os.cpu_count() or 1
    busy = cpu["machine_busy_cores"] or 0.0
    if busy >= 0.85 * cores:
        outside = cpu["outside_measured_core_s"]
        verdict = (
            f"CPU-bound: {busy} of the machine's {cores} cores busy on average over the measured "
            f"window ({outside} core-s of it outside this run); this run's share by process:"
        )
        lines.insert(0, verdict)
    lines.append(
        f"machine: {cpu['machine_busy_cores']} cores busy on average over {window} s; "
        f"{cpu['outside_measured_core_s']} core-s went to processes outside this run "
        "(other users of the shared machine, or short-lived processes)"
    )
    lines.append(f"services together: {round(service_cpu / window, 2) if window else None} cores")
    return lines


# The store's share of a dossier's CPU on FerretDB-on-PostgreSQL, and what it would be on
# MongoDB, are not measurable here (no MongoDB on these machines): the lines below say what the
# run measured and what each remedy would remove of it, not a promise.
_STORE_PROCESSES = ("ferretdb", "postgres")


def _net_ms(rows: Mapping[str, Any], process: str) -> float:
    value = (rows.get(process) or {}).get("cpu_ms_per_dossier_net_of_idle")
    return float(value or 0.0)


def closing_the_gap(
    cpu: Mapping[str, Any], metrics: Mapping[str, Any], target: float, embedded: bool = False
) -> list[str]:
    """Plain sentences: how far the measured CPU per dossier is from the target rate, and
    where the rest would come from."""
    rows = cpu["processes"]
    per_dossier = sum(row["cpu_ms_per_dossier_net_of_idle"] or 0.0 for row in rows.values())
    if not per_dossier:
        return []
    cores = os.cpu_count() or 1
    store = sum(_net_ms(rows, p) for p in _STORE_PROCESSES)
    lines = [
        f"measured: {per_dossier:.0f} CPU ms per dossier in all processes, so {cores} cores "
        f"carry at most {1000 * cores / per_dossier:.1f} dossiers/s; {target:g}/s needs "
        f"{per_dossier * target / 1000:.1f} cores at this cost, or {1000 * cores / target:.0f} "
        f"ms per dossier on {cores}",
    ]
    if store:
        ops = metrics.get("store_ops_per_dossier") or 0
        lines.append(
            f"the store (FerretDB + PostgreSQL) is {store:.0f} ms of it "
            f"({100 * store / per_dossier:.0f} %), {store / ops:.2f} ms per operation over "
            f"{ops} operations: fewer operations (projection writes batched per consumed batch, "
            "one write per dossier instead of one per event) and MongoDB in production (no "
            "SQL translation) shrink this part"
            if ops
            else f"the store (FerretDB + PostgreSQL) is {store:.0f} ms of it"
        )
    services = per_dossier - store - _net_ms(rows, "kafka")
    if embedded:
        lines.append(
            f"the one process and the bench are {services:.0f} ms of it: the embedded default "
            "runs every service in one Python process (one core at most); a city runs the "
            "services as separate processes on Kafka and MongoDB"
        )
    else:
        lines.append(
            f"the services and the bench are {services:.0f} ms of it; every service is its "
            "own process scaled by partitions, so more cores (or replicas on more machines) "
            "add throughput without a code change"
        )
    return lines
