"""Domain core: load + validate a city-sized catalogue, and resolve competent units.

1. Generate a synthetic catalogue of N procedures (HCMC has about 1,800; seed fixed), write
   it as generated files (JSON, which is YAML) and as hand-written style block YAML.
2. Time `check_catalogue` (read, parse, pydantic, DAG and cross-version checks, index) over
   several rounds, and `Catalogue.procedure(code, at)` lookups.
3. Time `(role, ward, date) → unit` over the shipped topologies: every role of the 2-tier city
   for every one of its 168 wards, at random dates from 1 July 2025 to the end of 2026, both
   through the timeline (which picks the topology version) and on one version directly.
4. Time due-date planning of the birth group (every step due).

Result: bench/results/catalog.json.

    python3 -m uv run --frozen python bench/catalog.py [--count 1800] [--resolutions 200000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from _infra import RESULTS, machine

from lienthong.domain import (
    DossierSchedule,
    check_catalogue,
    default_calendar,
    default_catalogue,
    default_timeline,
    generate_procedures,
    write_catalogue,
)
from lienthong.domain.localtime import local_moment
from lienthong.domain.topology import wards_of

SEED = 2019
FIRST_DAY = date(2025, 7, 1)
T = TypeVar("T")


def timed(action: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = action()
    return time.perf_counter() - start, result


def bench_catalogue(count: int, rounds: int, lookups: int) -> dict[str, object]:
    generate_s, procedures = timed(lambda: generate_procedures(count, SEED))
    with tempfile.TemporaryDirectory() as tmp:
        generated, block = Path(tmp) / "generated", Path(tmp) / "block"
        write_s, _ = timed(lambda: write_catalogue(generated, procedures))
        write_catalogue(block, procedures, style="block")
        size = sum(p.stat().st_size for p in generated.iterdir())
        load_rounds = []
        for _ in range(rounds):
            seconds, report = timed(lambda: check_catalogue(generated))
            load_rounds.append(seconds)
        block_s, block_report = timed(lambda: check_catalogue(block))
    catalogue = report.catalogue
    if catalogue is None or not block_report.ok:
        raise SystemExit(f"generated catalogue invalid: {report.issues[:3]}")
    rng = random.Random(SEED)
    codes = catalogue.codes()
    moments = [local_moment(FIRST_DAY + timedelta(days=rng.randrange(540)), 9) for _ in range(64)]
    queries = [(rng.choice(codes), rng.choice(moments)) for _ in range(lookups)]
    lookup_s, _ = timed(lambda: [catalogue.procedure(code, at) for code, at in queries])
    return {
        "procedures": count,
        "versions": len(procedures),
        "files": report.files,
        "generated_bytes": size,
        "generate_s": round(generate_s, 3),
        "write_s": round(write_s, 3),
        "load_validate_rounds_s": [round(s, 3) for s in load_rounds],
        "load_validate_median_s": round(statistics.median(load_rounds), 3),
        "load_validate_per_procedure_ms": round(statistics.median(load_rounds) / count * 1000, 3),
        "load_validate_block_yaml_s": round(block_s, 3),
        "lookups": lookups,
        "lookup_us": round(lookup_s / lookups * 1e6, 2),
    }


def bench_resolution(count: int) -> dict[str, object]:
    timeline = default_timeline()
    topology = timeline.at(FIRST_DAY)
    wards = [ward.code for ward in wards_of(topology, FIRST_DAY)]
    roles = sorted(topology.roles())
    rng = random.Random(SEED)
    days = [FIRST_DAY + timedelta(days=rng.randrange(549)) for _ in range(256)]
    queries = [(rng.choice(roles), rng.choice(wards), rng.choice(days)) for _ in range(count)]
    every_pair_s, _ = timed(
        lambda: [topology.resolve(role, ward, FIRST_DAY) for role in roles for ward in wards]
    )
    timeline_s, _ = timed(lambda: [timeline.resolve(r, w, d) for r, w, d in queries])
    direct_s, _ = timed(lambda: [topology.resolve(r, w, d) for r, w, d in queries])
    return {
        "topology": topology.name,
        "units": len(topology.units),
        "wards": len(wards),
        "roles": roles,
        "every_role_every_ward": len(roles) * len(wards),
        "every_role_every_ward_ms": round(every_pair_s * 1000, 2),
        "resolutions": count,
        "timeline_resolve_us": round(timeline_s / count * 1e6, 2),
        "topology_resolve_us": round(direct_s / count * 1e6, 2),
        "timeline_resolutions_per_s": int(count / timeline_s),
    }


def bench_schedules(count: int) -> dict[str, object]:
    calendar, catalogue = default_calendar(), default_catalogue()
    received = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    group = catalogue.procedure("2.000986", received)
    moments = [received + timedelta(minutes=37 * i) for i in range(count)]
    seconds, _ = timed(
        lambda: [DossierSchedule.plan(group, calendar, at).step_dues() for at in moments]
    )
    return {"birth_group_plans": count, "plan_with_step_dues_us": round(seconds / count * 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1800)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--lookups", type=int, default=100_000)
    parser.add_argument("--resolutions", type=int, default=200_000)
    parser.add_argument("--plans", type=int, default=2_000)
    args = parser.parse_args()
    result = {
        "benchmark": "catalogue load+validate, unit resolution, due dates",
        "measured_at": datetime.now(UTC).isoformat(),
        "catalogue": bench_catalogue(args.count, args.rounds, args.lookups),
        "resolution": bench_resolution(args.resolutions),
        "schedules": bench_schedules(args.plans),
        "machine": machine(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "catalog.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
