"""What one completed dossier of each shipped procedure costs: store round trips and Kafka
messages, per service, on real Kafka + FerretDB-on-PostgreSQL.

For every online procedure, `bench/e2e.py --procedures CODE` runs the city (each service its own
process) with a small load of that procedure alone and reads the services' counters
(`lienthong_store_operations_total`, `lienthong_bus_published_total`) over the measured window.
The counts include what the periodic loops did meanwhile (a courier round, a dispatch poll,
a sweep: a few operations a second in all), spread over the run's dossiers.

Result: bench/results/costs.json.

    python3 -m uv run --frozen python bench/costs.py [--dossiers 30] [--procedures CODE ...]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from _infra import RESULTS, machine
from _load import ONLINE_LEVELS
from rich.progress import Progress

from lienthong.domain.catalogue_loader import default_catalogue

ROOT = Path(__file__).resolve().parents[1]


def procedures() -> list[str]:
    """The shipped catalogue's procedures that can be submitted online (any version)."""
    return sorted({p.code for p in default_catalogue() if p.online_level in ONLINE_LEVELS})


def cost_of(procedure: str, dossiers: int, output: Path) -> dict[str, Any]:
    command = [
        sys.executable,
        str(ROOT / "bench/e2e.py"),
        "--procedures",
        procedure,
        "--dossiers",
        str(dossiers),
        "--rate",
        "10",
        "--warmup",
        "3",
        "--no-baselines",
        "--output",
        str(output),
    ]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    if finished.returncode != 0:
        return {"error": finished.stderr[-1500:]}
    run = json.loads(output.read_text())["runs"]["real"]
    metrics = run["metrics"]
    return {
        "completed": run["outcome"]["final"],
        "store_ops_per_dossier": metrics["store_ops_per_dossier"],
        "kafka_messages_per_dossier": metrics["kafka_messages_per_dossier"],
        "kafka_records_handled_per_dossier": metrics["kafka_records_handled_per_dossier"],
        "store_ops_per_dossier_by_service": {
            name: service["store_ops_per_dossier"] for name, service in run["per_service"].items()
        },
        "published_per_dossier_by_service": {
            name: service["published_per_dossier"] for name, service in run["per_service"].items()
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--dossiers", type=int, default=30)
    parser.add_argument("--procedures", nargs="*", default=[])
    args = parser.parse_args()
    codes = args.procedures or procedures()
    result: dict[str, Any] = {"machine": machine(), "dossiers_per_procedure": args.dossiers}
    costs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as scratch, Progress() as progress:
        task = progress.add_task("procedures", total=len(codes))
        for code in codes:
            costs[code] = cost_of(code, args.dossiers, Path(scratch) / f"{code}.json")
            progress.advance(task)
    result["procedures"] = costs
    result["note"] = (
        "per completed dossier of one procedure alone, every service its own process on real "
        "Kafka and FerretDB-on-PostgreSQL; background periodic work during the window included"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "costs.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(costs, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
