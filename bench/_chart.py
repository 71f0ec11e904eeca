"""The PNG beside the results: completions over time, submit latency percentiles over time,
and where the CPU went."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display: render straight to a file

import matplotlib.pyplot as plt
from _load import Submission
from _report import percentile
from matplotlib.axes import Axes

BUCKET_S = 2.0


def _latency_series(
    submissions: Sequence[Submission], t0: float
) -> tuple[list[float], dict[str, list[float]]]:
    buckets: dict[int, list[float]] = {}
    for s in submissions:
        if s.status_code:
            buckets.setdefault(int((s.started_at - t0) // BUCKET_S), []).append(s.latency_s)
    xs = [(b + 0.5) * BUCKET_S for b in sorted(buckets)]
    series = {
        name: [1000 * (percentile(buckets[b], q) or 0.0) for b in sorted(buckets)]
        for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99))
    }
    return xs, series


def _completions(
    axes: Axes, submissions: Sequence[Submission], finals: list[float], rate: object, t0: float
) -> None:
    answered = sorted(s.answered_at - t0 for s in submissions if s.status_code)
    axes.plot(answered, range(1, len(answered) + 1), label="submissions answered")
    axes.plot(finals, range(1, len(finals) + 1), label="dossiers final (completed)")
    if len(finals) >= 10:
        lo, hi = finals[int(0.1 * len(finals))], finals[int(0.9 * len(finals)) - 1]
        axes.axvspan(lo, hi, alpha=0.12, label=f"steady window: {rate} dossiers/s")
    axes.set_xlabel("seconds since the first submission")
    axes.set_ylabel("dossiers (cumulative)")
    axes.legend(loc="upper left")
    axes.grid(alpha=0.3)


def _latency(axes: Axes, submissions: Sequence[Submission], t0: float) -> None:
    xs, series = _latency_series(submissions, t0)
    for name, values in series.items():
        axes.plot(xs, values, marker=".", label=name)
    axes.axhline(500, color="red", linestyle="--", linewidth=1, label="target p99 500 ms")
    axes.set_xlabel(f"submission time (s), {BUCKET_S:g}-s buckets")
    axes.set_ylabel("POST /v1/dossiers latency (ms)")
    axes.legend(loc="upper left")
    axes.grid(alpha=0.3)


def _cpu(axes: Axes, cpu: Mapping[str, Any]) -> None:
    rows = cpu.get("processes", {})
    names = list(rows)[::-1]
    window = cpu.get("window_s") or 0.0
    background = [
        min(rows[n]["cpu_s"], rows[n]["idle_cpu_ms_per_s"] * window / 1000) for n in names
    ]
    work = [rows[n]["cpu_s"] - b for n, b in zip(names, background, strict=True)]
    axes.barh(names, work, label="during the load, beyond the background")
    axes.barh(names, background, left=work, label="background rate measured idle (× window)")
    axes.set_xlabel(f"CPU seconds over the measured window ({window} s)")
    axes.legend(loc="lower right")
    axes.grid(alpha=0.3, axis="x")


def draw(
    path: Path,
    title: str,
    submissions: Sequence[Submission],
    final_times: Sequence[float],
    steady: Mapping[str, Any],
    cpu: Mapping[str, Any],
) -> None:
    started = [s.started_at for s in submissions if s.started_at]
    if not started:
        return
    t0 = min(started)
    figure, (done, latency, where) = plt.subplots(3, 1, figsize=(10, 12))
    figure.suptitle(title)
    finals = sorted(t - t0 for t in final_times)
    _completions(done, submissions, finals, steady.get("dossiers_per_second"), t0)
    _latency(latency, submissions, t0)
    _cpu(where, cpu)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
