"""Submitting dossiers on real Kafka and FerretDB: three outcomes, each recorded as events."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime

import pytest

from lienthong.domain import is_valid_dossier_code
from tests.services.intake.conftest import Running
from tests.services.intake.samples import DEATH_GROUP, birth_group, key, sha256_of

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


async def test_a_complete_dossier_is_received_with_code_and_appointment(real: Running) -> None:
    body = birth_group()
    response = await real.client.post("/v1/dossiers", json=body, headers=key())
    assert response.status_code == 201
    answer = response.json()
    assert answer["status"] == "received"
    assert is_valid_dossier_code(answer["code"])
    assert answer["code"].startswith("000.00.00.H29-")
    assert datetime.fromisoformat(answer["appointment_at"]) > datetime.now(UTC)
    secret = answer["tracking_secret"]
    assert answer["receipt_url"] == f"/v1/dossiers/{answer['code']}/receipt?secret={secret}"
    assert len(secret) >= 20

    events = await real.dossier_events(answer["dossier_id"])
    assert [e.type for e in events] == ["dossier.submitted", "dossier.received"]
    submitted, received = events
    assert received.causationid == submitted.id
    assert submitted.data["document_sha256"] == {
        d["type"]: sha256_of(d["content_base64"]) for d in body["documents"]
    }
    assert received.data["code"] == answer["code"]
    assert received.data["receiving_unit"] == "TTHCC-26506"
    assert received.data["ward_code"] == "26506"
    assert received.data["tracking_secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    raw = b"".join(r.value for r in await real.host.bus.read_topic("dossier.events"))
    assert secret.encode() not in raw
    assert body["documents"][0]["content_base64"].encode() not in raw


async def test_an_incomplete_dossier_gets_one_supplement_request_listing_everything(
    real: Running,
) -> None:
    body = birth_group(form={"parents_married": True, "submitted_by_proxy": True})
    body["documents"] = body["documents"][:1]
    response = await real.client.post("/v1/dossiers", json=body, headers=key())
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "supplement_requested"
    expected = ["giay-chung-sinh", "giay-chung-nhan-ket-hon", "van-ban-uy-quyen"]
    assert [m["type"] for m in answer["missing"]] == expected
    events = await real.dossier_events(answer["dossier_id"])
    assert [e.type for e in events] == ["dossier.submitted", "dossier.supplement-requested"]
    assert events[1].data == {"missing": expected, "requested_by": "TTHCC-26506"}


async def test_a_dossier_not_eligible_is_rejected_with_every_reason(real: Running) -> None:
    body = birth_group(procedure=DEATH_GROUP, sub_procedures=["death-registration"])
    # A real ward outside the city (Phường Hoàn Kiếm, Hà Nội): not competent here. A code
    # that is no ward at all is a 422 (tests/services/intake/test_hostile_input.py).
    body["applicant"] = {**body["applicant"], "ward_code": "00070"}
    response = await real.client.post("/v1/dossiers", json=body, headers=key())
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "rejected"
    assert len(answer["reasons"]) == 2
    assert "ward 00070" in answer["reasons"][0]
    assert "needs 2 to 4" in answer["reasons"][1]
    events = await real.dossier_events(answer["dossier_id"])
    assert [e.type for e in events] == ["dossier.submitted", "dossier.rejected"]
    assert events[1].data["reasons"] == answer["reasons"]


async def test_a_retry_with_the_same_key_gets_the_same_answer(real: Running) -> None:
    headers = key()
    first = await real.client.post("/v1/dossiers", json=birth_group(), headers=headers)
    again = await real.client.post("/v1/dossiers", json=birth_group(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    other = await real.client.post(
        "/v1/dossiers", json=birth_group(channel="counter"), headers=headers
    )
    assert other.status_code == 422
    assert other.json()["type"] == "urn:lienthong:problem:idempotency-key-reused"
    events = await real.dossier_events(first.json()["dossier_id"])
    assert len(events) == 2


async def test_fifty_concurrent_identical_submissions_make_one_dossier(real: Running) -> None:
    headers = key()
    responses = await asyncio.gather(
        *(real.client.post("/v1/dossiers", json=birth_group(), headers=headers) for _ in range(50))
    )
    assert {r.status_code for r in responses} == {201}
    answers = [r.json() for r in responses]
    assert all(answer == answers[0] for answer in answers)
    events = await real.dossier_events(answers[0]["dossier_id"])
    assert [e.type for e in events] == ["dossier.submitted", "dossier.received"]
    all_received = [e for e in await real.all_events() if e.type == "dossier.received"]
    assert [e.data["code"] for e in all_received] == [answers[0]["code"]]
