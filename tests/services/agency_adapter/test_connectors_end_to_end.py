"""Each push connector delivers a task and the answer comes back as events (real infra)."""

from __future__ import annotations

import pytest

from tests.services.agency_adapter.conftest import World
from tests.support import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


async def test_rest_delivers_and_the_civil_status_system_answers_through_the_callback(
    world: World,
) -> None:
    task = await world.assign("civil-status")
    delivered = await world.fact("agency.task-delivered", task.task_id)
    result = await world.fact("agency.result-returned", task.task_id)
    assert delivered.subject == task.dossier_id
    assert delivered.data["connector"] == "rest"
    assert result.data["outcome"] == "approved"
    assert result.data["result_documents"] == ["Trích lục khai sinh (bản sao)"]
    assert result.data["agency"] == "civil-status"
    assert world.civil.processed[task.idempotency_key] == 1


async def test_soap_delivers_and_the_residence_answer_in_the_response_is_mapped(
    world: World,
) -> None:
    task = await world.assign("residence")
    result = await world.fact("agency.result-returned", task.task_id)
    delivered = world.facts("agency.task-delivered", task.task_id)
    assert [e.data["connector"] for e in delivered] == ["soap"]
    assert result.data["result_documents"] == ["Xác nhận thông tin về cư trú"]
    assert result.causationid == delivered[0].causationid  # both derive from the assignment
    assert world.residence.processed[task.idempotency_key] == 1


async def test_webhook_push_is_signed_and_the_signed_callback_returns_the_result(
    world: World,
) -> None:
    task = await world.assign("social-insurance")
    result = await world.fact("agency.result-returned", task.task_id)
    assert result.data["result_documents"] == ["Sổ bảo hiểm xã hội"]
    assert world.facts("agency.task-delivered", task.task_id)[0].data["connector"] == "webhook"
    assert world.social.processed[task.idempotency_key] == 1
    await eventually(lambda: 202 in world.social.callbacks_sent, 5, "the callback's answer")
