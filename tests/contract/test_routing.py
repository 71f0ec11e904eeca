"""The routing API (operators' view of workflows) against its OpenAPI document."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
import pytest
from schemathesis.schemas import BaseSchema

from lienthong.topics import DOSSIER_EVENTS
from tests.contract.harness import bearer, exercise, fuzz, load_schema, operations, staff_token
from tests.contract.served import served
from tests.services.intake.samples import WARD
from tests.services.routing.helpers import received
from tests.support import eventually_async

EXAMPLES = 80  # per operation; 3 operations


async def test_every_routing_operation_honours_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with served(["routing"], monkeypatch) as it:
        dossier = received("2.000986", datetime.now(UTC), WARD, f"TTHCC-{WARD}")
        await it.host.bus.publish(DOSSIER_EVENTS, dossier)
        code = dossier.data["code"]
        headers = bearer(staff_token(it.settings, "supervisor"))
        async with httpx.AsyncClient(base_url=it.base_url, headers=headers) as client:

            async def routed() -> bool:
                return (await client.get(f"/v1/workflows/{code}")).status_code == 200

            await eventually_async(routed, what="the workflow of the received dossier")
        schema = load_schema(it.app, it.base_url)
        answered = await asyncio.to_thread(fuzz, schema, EXAMPLES, lambda _case: headers)
        await asyncio.to_thread(stop_a_workflow, schema, code, headers)
    assert len(operations(answered)) == 3
    assert answered["GET /v1/workflows/{code}", 404]


def stop_a_workflow(schema: BaseSchema, code: str, headers: dict[str, str]) -> None:
    """The workflow, a hand-over refused (no result yet), then a stop: each answer validated."""
    found = {"code": code}
    workflow = exercise(
        schema, "GET", "/v1/workflows/{code}", path_parameters=found, headers=headers, expect=200
    )
    assert workflow.json()["steps"]
    exercise(
        schema,
        "POST",
        "/v1/workflows/{code}/result-handed-over",
        path_parameters=found,
        headers=headers,
        expect=409,
    )
    exercise(
        schema,
        "POST",
        "/v1/workflows/{code}/stop",
        path_parameters=found,
        body={"reason": "hồ sơ giả mạo"},
        headers=headers,
        expect=202,
    )
