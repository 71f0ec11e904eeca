"""The console's API (lag, live tail, SLA, dead letters and replay, health, charts, audit)
against its OpenAPI document."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from schemathesis.schemas import BaseSchema

from lienthong.events import RawMessage
from lienthong.topics import DOSSIER_EVENTS
from tests.contract.harness import bearer, exercise, fuzz, load_schema, operations, staff_token
from tests.contract.served import served
from tests.services.intake.samples import WARD
from tests.services.routing.helpers import received
from tests.support import eventually_async

EXAMPLES = 40  # per operation; 13 operations
# A live tail sends a keep-alive every heartbeat: whole seconds, 1 at least.
ENV = {"LIENTHONG_CONSOLE_HEARTBEAT_S": "1"}


async def test_every_console_operation_honours_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with served(["console"], monkeypatch, ENV) as it:
        dossier = received("2.000986", datetime.now(UTC), WARD, f"TTHCC-{WARD}")
        await it.host.bus.publish(DOSSIER_EVENTS, dossier)
        await it.host.bus.publish_raw([RawMessage(DOSSIER_EVENTS, b"poison", b"\xff not json")])
        operator = bearer(staff_token(it.settings, "operator"))
        async with httpx.AsyncClient(base_url=it.base_url, headers=operator) as client:

            async def dead_lettered() -> bool:
                return bool((await client.get("/v1/console/dead-letters")).json())

            await eventually_async(dead_lettered, what="the poison record's dead letter")
            letters = (await client.get("/v1/console/dead-letters")).json()
        schema = load_schema(it.app, it.base_url)
        answered = await asyncio.to_thread(fuzz, schema, EXAMPLES, lambda _case: operator)
        letter = letters[0]["id"]
        await asyncio.to_thread(settle_a_letter, schema, letter, dossier.subject, operator)
    assert len(operations(answered)) == 13
    assert answered["GET /v1/console/stream", 200]


def settle_a_letter(
    schema: BaseSchema, letter: str, dossier_id: str, operator: dict[str, str]
) -> None:
    """A dossier's timeline; a dead letter replayed as a dry run, discarded, discarded again."""
    exercise(
        schema,
        "GET",
        "/v1/console/dossiers/{code}",
        path_parameters={"code": dossier_id},
        headers=operator,
        expect=200,
    )
    found = {"id": letter}
    exercise(
        schema,
        "POST",
        "/v1/console/dead-letters/{id}/replay",
        path_parameters=found,
        body={"dry_run": True},
        headers=operator,
        expect=200,
    )
    for expected in (200, 409):
        exercise(
            schema,
            "POST",
            "/v1/console/dead-letters/{id}/discard",
            path_parameters=found,
            body={"reason": "bản ghi hỏng"},
            headers=operator,
            expect=expected,
        )
