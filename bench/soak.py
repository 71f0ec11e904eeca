"""Soak: thousands of dossiers through the whole city while its parts keep being killed.

The fault run of `tests/system/test_faults.py` (`_faults.py`: a private Kafka + FerretDB, every
service its own process, the simulated agencies and the citizens' mail and SMS providers
recording what they get), longer: the load lasts `--dossiers / --rate` seconds and every
`--fault-interval` seconds a round of faults begins (each service SIGKILLed and started again,
the broker SIGKILLed and started on its data, FerretDB SIGKILLed and started), at moments drawn
from `--seed`. Then every property is checked; the exit code is 1 if one fails. A SIGTERM
stops the soak cleanly (every process it started stopped, its private infrastructure purged;
exit code 143, no results written).

Results: bench/results/soak.json (dossiers, duration, faults injected, each property's result,
throughput) and bench/results/soak.png (completions over time, with the faults marked).

    python3 -m uv run python bench/soak.py [--dossiers 1000] [--rate 2] [--fault-interval 120]
        [--seed N] [--output FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
from _chart import _completions, _latency
from _faults import FaultRun, Outcome, run_with_faults
from _infra import RESULTS, machine
from _report import steady_rate
from _sigterm import Terminated


def throughput(outcome: Outcome) -> dict[str, Any]:
    started = [s.started_at for s in outcome.submissions if s.started_at]
    finals = outcome.observed.final_at
    span = (finals[-1] - min(started)) if finals and started else 0.0
    return {
        "final_dossiers": len(finals),
        "first_submission_to_last_final_s": round(span, 1),
        "dossiers_per_second_overall": round(len(finals) / span, 2) if span else None,
        "steady": steady_rate(finals),
    }


def chart(path: Path, outcome: Outcome) -> None:
    started = [s.started_at for s in outcome.submissions if s.started_at]
    if not started:
        return
    t0 = min(started)
    figure, (done, latency) = plt.subplots(2, 1, figsize=(11, 9))
    run = outcome.run
    figure.suptitle(f"LiênThông soak: {run.dossiers} dossiers under faults (seed {run.seed})")
    finals = [t - t0 for t in outcome.observed.final_at]
    rate = throughput(outcome)["steady"].get("dossiers_per_second")
    _completions(done, outcome.submissions, finals, rate, t0)
    _latency(latency, outcome.submissions, t0)
    for fault in outcome.injected:
        x = fault.killed_at - t0
        colour = "red" if fault.target in ("kafka", "ferretdb") else "grey"
        for axes in (done, latency):
            axes.axvline(x, color=colour, alpha=0.5, linewidth=1)
        done.annotate(
            fault.target,
            (x, 0),
            xytext=(2, 4),
            textcoords="offset points",
            rotation=90,
            fontsize=7,
            color=colour,
        )
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    add = parser.add_argument
    add("--dossiers", type=int, default=1000)
    add("--rate", type=float, default=2.0, help="submissions offered per second")
    add("--concurrency", type=int, default=16)
    add("--fault-interval", type=float, default=120.0, help="seconds between rounds of faults")
    add("--seed", type=int, default=None, help="the faults' moments (default: random, printed)")
    add("--answer-delay", type=float, default=1.0, help="simulated officers' delay (s)")
    add("--settle-timeout", type=float, default=600.0, help="for every dossier to end (s)")
    add("--output", type=Path, default=RESULTS / "soak.json")
    return parser.parse_args()


def main() -> int:
    args = arguments()
    window_s = args.dossiers / args.rate
    run = FaultRun(
        dossiers=args.dossiers,
        rate=args.rate,
        concurrency=args.concurrency,
        rounds=max(1, round(window_s / args.fault_interval)),
        answer_delay_s=args.answer_delay,
        settle_timeout_s=args.settle_timeout,
    )
    if args.seed is not None:
        run = replace(run, seed=args.seed)
    begun = time.monotonic()
    try:
        outcome = run_with_faults(
            run, lambda line: print(f"[{time.monotonic() - begun:7.1f}s] {line}", flush=True)
        )
    except Terminated as stopped:  # every process stopped, the private infrastructure purged
        print(f"soak {stopped}: nothing of it is left running; no results written")
        return 128 + signal.SIGTERM
    result = {
        "benchmark": "soak: dossiers through the whole city while its parts are killed",
        "measured_at": datetime.now(UTC).isoformat(),
        "ok": outcome.ok,
        "dossiers": run.dossiers,
        **outcome.summary(),
        "throughput": throughput(outcome),
        "observed": {
            "unfinished": outcome.observed.unfinished,
            "records_read": outcome.observed.records_read,
            "events_published_again": outcome.observed.republished,
        },
        "load_average_1m": round(os.getloadavg()[0], 2),
        "machine": machine(),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    png = args.output.with_suffix(".png")
    chart(png, outcome)
    result["chart"] = png.name
    args.output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: result[k] for k in ("ok", "durations_s", "throughput")}, indent=2))
    if not outcome.ok:
        print(outcome.failures())
    print(f"results: {args.output}  logs: {outcome.logs}")
    return 0 if outcome.ok else 1


if __name__ == "__main__":
    sys.exit(main())
