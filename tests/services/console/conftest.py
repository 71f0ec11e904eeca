"""The console served over HTTP: embedded (in-memory bus and store, one per test), or on the
real Kafka and FerretDB (one per test module, with its own topics and database)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from lienthong.settings import Settings
from lienthong_console.config import ConsoleConfig
from tests.conftest import Infra
from tests.services.console.dossiers import received
from tests.services.console.served import RunningConsole, running_console
from tests.support import eventually_async as until

SEED_DOSSIER = "d-console-seed"
SEED_CODE = "000.00.01.H29-260310-0001"
SEED_UNIT = "UBND-P1"


def infra_settings(infra: Infra, prefix: str) -> Settings:
    return Settings(
        kafka_bootstrap=infra.kafka_bootstrap,
        mongo_url=infra.mongo_url,
        topic_prefix=f"{prefix}.",
        database_prefix=prefix,
        dossier_partitions=3,
    )


@pytest.fixture
async def embedded() -> AsyncIterator[RunningConsole]:
    """A console of its own on the in-process bus and in-memory store (no sampling)."""
    async with running_console(Settings(), config=ConsoleConfig(sample_interval_s=0)) as it:
        yield it


@pytest.fixture(scope="module")
async def on_infra(infra: Infra) -> AsyncIterator[RunningConsole]:
    """One console on the real broker and database for the whole module, with one dossier
    received (so that its pages have something to show)."""
    prefix = f"t{uuid.uuid4().hex[:10]}"  # `unique` is per test; this console is per module
    async with running_console(infra_settings(infra, prefix)) as it:
        await it.publish(received(SEED_DOSSIER, SEED_UNIT, code=SEED_CODE))

        async def seen() -> bool:
            it.client.cookies.clear()
            response = await it.client.get(
                f"/v1/console/dossiers/{SEED_CODE}", headers=it.auth("auditor")
            )
            return response.status_code == httpx.codes.OK

        await until(seen, timeout=90, what="the console to fold the first dossier")
        yield it
