"""Inbox pull and the manual officer inbox; who may see and answer which tasks."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from lienthong.security import mint_token
from lienthong_agency_adapter.signing import SIGNATURE_HEADER, sign
from tests.services.agency_adapter.conftest import (
    CIVIL_KEY,
    INBOX_KEY,
    OFFICER_UNIT,
    OTHER_KEY,
    WEBHOOK_SECRET,
    World,
)

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


def bearer(credential: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {credential}"}


@pytest.fixture
async def client(world: World) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=world.url, timeout=10) as client:
        yield client


async def in_inbox(
    client: httpx.AsyncClient, agency: str, key: str, task_id: str, timeout: float = 30
) -> None:
    """Wait until the agency's inbox lists the task (the courier files it asynchronously)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        tasks = (await client.get(f"/v1/agencies/{agency}/tasks", headers=bearer(key))).json()
        if any(t["task_id"] == task_id for t in tasks):
            return
        assert loop.time() < deadline, f"{task_id} never reached the {agency} inbox"
        await asyncio.sleep(0.1)


async def test_an_inbox_agency_pulls_acknowledges_asks_for_more_then_answers(
    world: World, client: httpx.AsyncClient
) -> None:
    task = await world.assign("ward-inbox")
    await in_inbox(client, "ward-inbox", INBOX_KEY, task.task_id)
    assert not world.facts("agency.task-delivered", task.task_id)
    path = f"/v1/agencies/ward-inbox/tasks/{task.task_id}"
    acknowledged = await client.post(f"{path}/acknowledge", headers=bearer(INBOX_KEY))
    assert acknowledged.status_code == 200
    assert acknowledged.json()["state"] == "delivered"
    delivered = await world.fact("agency.task-delivered", task.task_id)
    assert delivered.data["connector"] == "inbox"
    more = {"missing": ["Giấy khai sinh (bản sao)"]}
    asked = await client.post(f"{path}/supplement-request", json=more, headers=bearer(INBOX_KEY))
    assert asked.status_code == 202
    supplement = await world.fact("agency.supplement-requested", task.task_id)
    assert supplement.data["missing"] == ["Giấy khai sinh (bản sao)"]
    result = {"outcome": "approved", "result_documents": ["Giấy xác nhận"]}
    answered = await client.post(f"{path}/result", json=result, headers=bearer(INBOX_KEY))
    assert answered.status_code == 202
    assert answered.json()["state"] == "answered"
    returned = await world.fact("agency.result-returned", task.task_id)
    assert returned.data["result_documents"] == ["Giấy xác nhận"]
    again = await client.post(f"{path}/result", json=result, headers=bearer(INBOX_KEY))
    assert again.status_code == 202  # the same answer twice is harmless …
    other = {"outcome": "refused", "reasons": ["changed my mind"]}
    conflict = await client.post(f"{path}/result", json=other, headers=bearer(INBOX_KEY))
    assert conflict.status_code == 409  # … a different one is refused
    listed = await client.get("/v1/agencies/ward-inbox/tasks", headers=bearer(INBOX_KEY))
    assert task.task_id not in {t["task_id"] for t in listed.json()}


async def test_an_officer_of_the_unit_refuses_in_the_manual_inbox_others_may_not(
    world: World, client: httpx.AsyncClient
) -> None:
    officer = mint_token(world.host.settings, role="officer", unit=OFFICER_UNIT)
    stranger = mint_token(world.host.settings, role="officer", unit="99999")
    task = await world.assign("ward-manual")
    await in_inbox(client, "ward-manual", officer, task.task_id)
    listed = await client.get("/v1/agencies/ward-manual/tasks", headers=bearer(stranger))
    assert listed.status_code == 403
    path = f"/v1/agencies/ward-manual/tasks/{task.task_id}/refusal"
    refused = await client.post(
        path, json={"reasons": ["Hồ sơ không hợp lệ"]}, headers=bearer(officer)
    )
    assert refused.status_code == 202
    result = await world.fact("agency.result-returned", task.task_id)
    assert (result.data["outcome"], result.data["reasons"]) == ("refused", ["Hồ sơ không hợp lệ"])
    assert world.facts("agency.task-delivered", task.task_id)[0].data["connector"] == "manual"


async def test_agency_a_cannot_list_acknowledge_or_answer_agency_b_tasks(
    world: World, client: httpx.AsyncClient
) -> None:
    theirs = await world.assign("other-inbox")
    await in_inbox(client, "other-inbox", OTHER_KEY, theirs.task_id)
    on_their_path = f"/v1/agencies/other-inbox/tasks/{theirs.task_id}"
    on_our_path = f"/v1/agencies/ward-inbox/tasks/{theirs.task_id}"
    result = {"outcome": "approved"}
    token_a = mint_token(world.host.settings, role="agency", agency="ward-inbox")
    for credential in (INBOX_KEY, token_a):
        attempts = [
            await client.get("/v1/agencies/other-inbox/tasks", headers=bearer(credential)),
            await client.post(f"{on_their_path}/acknowledge", headers=bearer(credential)),
            await client.post(f"{on_their_path}/result", json=result, headers=bearer(credential)),
        ]
        assert [r.status_code for r in attempts] == [403, 403, 403]
        sneaky = [
            await client.post(f"{on_our_path}/acknowledge", headers=bearer(credential)),
            await client.post(f"{on_our_path}/result", json=result, headers=bearer(credential)),
        ]
        assert [r.status_code for r in sneaky] == [404, 404]  # not even "it exists"
    unauthenticated = await client.get("/v1/agencies/other-inbox/tasks")
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["content-type"] == "application/problem+json"
    garbage = await client.get("/v1/agencies/other-inbox/tasks", headers=bearer("nope"))
    assert garbage.status_code == 401
    still = await client.get("/v1/agencies/other-inbox/tasks", headers=bearer(OTHER_KEY))
    assert theirs.task_id in {t["task_id"] for t in still.json()}
    assert not world.facts("agency.task-delivered", theirs.task_id)


async def test_unsigned_or_wrongly_signed_callbacks_are_refused(
    world: World, client: httpx.AsyncClient
) -> None:
    world.social.behaviour.answer_delay_s = 3600.0  # the simulator must not answer first
    try:
        task = await world.assign("social-insurance")
        await world.fact("agency.task-delivered", task.task_id)
    finally:
        world.social.behaviour.answer_delay_s = 0.2
    path = f"/v1/agencies/social-insurance/tasks/{task.task_id}/result"
    body = json.dumps({"outcome": "approved"}).encode()
    json_type = {"Content-Type": "application/json"}
    unsigned = await client.post(path, content=body, headers=json_type)
    wrong = await client.post(
        path, content=body, headers={**json_type, SIGNATURE_HEADER: sign("not-the-secret", body)}
    )
    stale = await client.post(
        path,
        content=body,
        headers={**json_type, SIGNATURE_HEADER: sign(WEBHOOK_SECRET, body, timestamp=1)},
    )
    tampered = await client.post(
        path,
        content=body.replace(b"approved", b"refused"),
        headers={**json_type, SIGNATURE_HEADER: sign(WEBHOOK_SECRET, body)},
    )
    other_agency_key = await client.post(
        path, content=body, headers={**json_type, **bearer(CIVIL_KEY)}
    )
    statuses = [r.status_code for r in (unsigned, wrong, stale, tampered, other_agency_key)]
    assert statuses == [401, 401, 401, 401, 403]
    assert not world.facts("agency.result-returned", task.task_id)
    signed = await client.post(
        path, content=body, headers={**json_type, SIGNATURE_HEADER: sign(WEBHOOK_SECRET, body)}
    )
    assert signed.status_code == 202
    await world.fact("agency.result-returned", task.task_id)
