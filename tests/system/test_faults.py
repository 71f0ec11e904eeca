"""Faults (#16): nothing is lost, nothing is done twice, while every part of the city is killed.

Every service runs as its own process on a Kafka broker and a FerretDB of this test's own
(`deploy/local/infra` on a private state dir and ports: the shared ones are never touched),
the simulated agencies answering from a process of their own. Citizens submit 300 dossiers of
every online procedure (one that fails or times out is retried with the same Idempotency-Key);
meanwhile, at moments drawn from a seeded RNG, each service is SIGKILLed and started again, the
broker is SIGKILLed and started on its data, and FerretDB is SIGKILLed and started. Then, each
wait bounded: every dossier reaches its final state, one dossier per submission; every task
reached its agency, and none twice under different idempotency keys; every citizen message due
went out, none twice except a send in flight at a kill of notify; every tracking timeline is
complete and in order; `lienthong audit verify --all` passes for every dossier received; every
consumer group caught up, every service ready, none exited or hung unless the plan killed it
(`bench/_properties.py`). The machinery is `bench/_faults.py`, shared with `bench/soak.py`.

The seed is printed; `FAULTS_SEED=N` replays a plan. Budget: 15 minutes (pytest timeout); a run
took 5 on the project's 2-core machine (see the README's test section).
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace

import pytest

from tests.conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))  # the harness's modules import each other by name
from _faults import FaultRun, run_with_faults, tails
from _load import catalogued_online

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

DOSSIERS = 300
INFRA_LOGS = ("infra-kafka", "infra-ferretdb")


@pytest.mark.timeout(900)
def test_every_dossier_survives_every_part_of_the_city_being_killed() -> None:
    run = FaultRun(dossiers=DOSSIERS, rate=3.0, settle_timeout_s=240.0)
    if seed := os.environ.get("FAULTS_SEED"):
        run = replace(run, seed=int(seed))
    print(f"faults: seed {run.seed} (replay with FAULTS_SEED={run.seed})")
    outcome = run_with_faults(run, say=lambda line: print(f"faults: {line}", flush=True))
    for verdict in outcome.observed.verdicts:
        print(f"faults: {verdict.explain().splitlines()[0]} {verdict.notes or ''}".rstrip())
    offered = {s.template.procedure for s in outcome.submissions}
    assert offered == set(catalogued_online()), "not every online procedure in force was offered"
    killed = {i.target for i in outcome.injected if i.planned and i.up_at}
    missed = sorted({*outcome.services, "kafka", "ferretdb"} - killed)
    assert not missed, f"seed {run.seed}: not killed and started again: {missed}"
    if not outcome.ok:
        logs = tails(outcome.logs, [*outcome.services, "agencies", "sinks", *INFRA_LOGS])
        pytest.fail(f"seed {run.seed}:\n{outcome.failures()}\n\nlogs:\n{logs}", pytrace=False)
