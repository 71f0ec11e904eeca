"""`lienthong replay intake` drops the tracking view and rebuilds the same documents from
dossier.events (real Kafka and FerretDB)."""

from __future__ import annotations

import asyncio
import os
import sys

import pytest

from lienthong.store import Document
from tests.conftest import Infra
from tests.services.intake.conftest import Running
from tests.services.intake.flows import submit_and_wait
from tests.services.intake.samples import DEATH_GROUP, birth_group, key
from tests.support import eventually_async

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


async def tracking_documents(real: Running) -> list[Document]:
    tracking = real.host.stores["intake"].collection("tracking")
    documents: list[Document] = await tracking.find({}, sort=[("_id", 1)])
    return documents


async def test_replay_rebuilds_the_tracking_view_identically(
    real: Running, infra: Infra, unique: str
) -> None:
    await submit_and_wait(real)
    rejected = birth_group(procedure=DEATH_GROUP, sub_procedures=["death-registration"])
    await real.client.post("/v1/dossiers", json=rejected, headers=key())

    async def both_decided() -> bool:
        statuses = sorted(d["status"] for d in await tracking_documents(real))
        return statuses == ["not_received", "received"]

    await eventually_async(both_decided, what="both outcomes in the tracking view")
    before = await tracking_documents(real)
    tracking = real.host.stores["intake"].collection("tracking")
    await tracking.replace({**before[0], "status": "withdrawn"})  # damage that replay repairs
    await tracking.insert({"_id": "stray", "status": "received"})  # and a view it drops
    env = {
        **os.environ,
        "LIENTHONG_TOPIC_PREFIX": f"{unique}.",
        "LIENTHONG_DATABASE_PREFIX": unique,
    }
    command = [sys.executable, "-m", "lienthong.cli.main", "replay", "intake"]
    process = await asyncio.create_subprocess_exec(
        *command,
        "--kafka",
        infra.kafka_bootstrap,
        "--mongo",
        infra.mongo_url,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode == 0, output.decode()[-2000:]
    after = await tracking_documents(real)
    assert after == before
