"""The agency adapter's API (inbox, answers, connector health) against its OpenAPI document."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from schemathesis.schemas import BaseSchema

from lienthong.schemas.tasks import TaskAssigned
from lienthong.security import mint_token
from lienthong.settings import Settings
from lienthong.topics import agency_tasks
from tests.contract.harness import (
    Case,
    Credentials,
    bearer,
    exercise,
    fuzz,
    load_schema,
    operations,
    staff_token,
)
from tests.contract.served import served
from tests.support import eventually_async

EXAMPLES = 50  # per operation; 6 operations
INBOX = "ward-inbox"  # the shipped demo agency that pulls its tasks
INBOX_KEY = "dev-ward-inbox-key"  # its development API key (agencies.yaml)


def agency_credentials(settings: Settings) -> Credentials:
    """The agency's own token for its routes (a generated agency code gets a staff token:
    it is unknown anyway), a supervisor's for connector health."""
    staff = bearer(staff_token(settings, "supervisor"))

    def credentials(case: Case) -> dict[str, str]:
        agency = (case.path_parameters or {}).get("agency")
        if isinstance(agency, str) and agency in {INBOX, "civil-status", "ward-manual"}:
            return bearer(mint_token(settings, role="agency", agency=agency))
        return staff

    return credentials


def task_for_the_inbox() -> TaskAssigned:
    task_id = f"task-{uuid.uuid4().hex[:12]}"
    return TaskAssigned(
        task_id=task_id,
        dossier_id=f"d-{uuid.uuid4().hex[:12]}",
        dossier_code="000.00.00.H29-261201-0001",
        procedure="1.001193",
        step="register-birth",
        unit="UBND-26506",
        due_at=datetime.now(UTC) + timedelta(days=2),
        idempotency_key=task_id,
        agency=INBOX,
    )


async def test_every_agency_operation_honours_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with served(["agency-adapter"], monkeypatch) as it:
        task = task_for_the_inbox()
        event = task.to_event(task.task_id, source="/tests/contract")
        await it.host.bus.publish(agency_tasks(INBOX), event)
        key = bearer(INBOX_KEY)
        async with httpx.AsyncClient(base_url=it.base_url, headers=key) as client:

            async def in_the_inbox() -> bool:
                answer = await client.get(f"/v1/agencies/{INBOX}/tasks")
                return task.task_id in answer.text

            await eventually_async(in_the_inbox, what="the task in the agency's inbox")
        schema = load_schema(it.app, it.base_url)
        answered = await asyncio.to_thread(fuzz, schema, EXAMPLES, agency_credentials(it.settings))
        await asyncio.to_thread(answer_a_task, schema, task.task_id, key)
    assert len(operations(answered)) == 6
    assert answered["GET /v1/agencies", 200]


def answer_a_task(schema: BaseSchema, task_id: str, key: dict[str, str]) -> None:
    """Inbox → acknowledge → result, then a refusal of the answered task; all validated."""
    task = {"agency": INBOX, "task_id": task_id}
    inbox = exercise(
        schema,
        "GET",
        "/v1/agencies/{agency}/tasks",
        path_parameters={"agency": INBOX},
        headers=key,
        expect=200,
    )
    assert [t["task_id"] for t in inbox.json()] == [task_id]
    base = "/v1/agencies/{agency}/tasks/{task_id}"
    exercise(schema, "POST", f"{base}/acknowledge", path_parameters=task, headers=key, expect=200)
    result = {"outcome": "approved", "result_documents": ["giay-khai-sinh"]}
    exercise(
        schema, "POST", f"{base}/result", path_parameters=task, body=result, headers=key, expect=202
    )
    refusal = {"reasons": ["thiếu giấy tờ"]}
    exercise(
        schema,
        "POST",
        f"{base}/refusal",
        path_parameters=task,
        body=refusal,
        headers=key,
        expect=409,
    )
