"""The process control sheet as FerretDB keeps it (times to the millisecond)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.services.console.dossiers import (
    at,
    near,
    new_dossier_id,
    received,
    step_completed,
    step_opened,
)
from tests.services.console.served import RunningConsole
from tests.support import eventually_async as until

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


async def test_facts_of_the_same_millisecond_keep_their_order(on_infra: RunningConsole) -> None:
    """MongoDB keeps datetimes to the millisecond; the facts one handler emits fall within
    one, and would otherwise come out in the order of their random ids."""
    it, d = on_infra, new_dossier_id()
    start = datetime.now(UTC).replace(microsecond=0)
    # what routing emits in one reaction: one fact after another, microseconds apart
    facts = [received(d, "UBND-P1")]
    for i in range(4):
        facts += [step_opened(d, f"s{i}", "UBND-P1"), near(d, f"s{i}", "UBND-P1")]
    facts.append(step_completed(d, "s0", "UBND-P1"))
    history = [at(e, start + timedelta(microseconds=50 * i)) for i, e in enumerate(facts)]
    await it.publish(*history)

    async def all_there() -> bool:
        it.client.cookies.clear()
        response = await it.client.get(f"/v1/console/dossiers/{d}", headers=it.auth("auditor"))
        return response.status_code == 200 and len(response.json()["timeline"]) == len(history)

    await until(all_there, timeout=60, what="the whole timeline")
    found = await it.get_json(f"/v1/console/dossiers/{d}", "auditor")
    assert [e["id"] for e in found["timeline"]] == [e.id for e in history]
