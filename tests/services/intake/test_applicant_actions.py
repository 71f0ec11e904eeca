"""Supplements and withdrawal by the applicant, on real Kafka and FerretDB."""

from __future__ import annotations

import pytest

from lienthong.schemas.dossier import DossierCompleted, SupplementRequested
from lienthong.schemas.routing import ResultReady
from lienthong.topics import DOSSIER_EVENTS
from tests.services.intake.conftest import Running
from tests.services.intake.flows import status_of, submit_and_wait
from tests.services.intake.samples import file, sha256_of
from tests.support import eventually_async

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


async def wait_for_status(real: Running, code: str, status: str) -> None:
    async def reached() -> bool:
        return await status_of(real, code) == status

    await eventually_async(reached, what=f"dossier {code} in status {status}")


async def test_a_requested_supplement_is_provided_once(real: Running) -> None:
    answer = await submit_and_wait(real)
    code, secret = answer["code"], answer["tracking_secret"]
    received = (await real.dossier_events(answer["dossier_id"]))[-1]
    request = SupplementRequested(missing=["giay-chung-sinh"], requested_by="CA-26506")
    await real.host.bus.publish(DOSSIER_EVENTS, request.caused_by(received, source="/tests"))
    await wait_for_status(real, code, "supplement_requested")

    path = f"/v1/dossiers/{code}/supplements"
    other = {"type": "to-khai-lien-thong", "filename": "x.pdf", "content_base64": file("X")}
    lacking = await real.client.post(path, json={"secret": secret, "documents": [other]})
    assert lacking.status_code == 422
    assert lacking.json()["missing"] == ["giay-chung-sinh"]

    document = {"type": "giay-chung-sinh", "filename": "cs.pdf", "content_base64": file("CS2")}
    provided = await real.client.post(path, json={"secret": secret, "documents": [document]})
    assert provided.status_code == 202
    assert provided.json() == {"code": code, "status": "processing"}
    await wait_for_status(real, code, "processing")
    retried = await real.client.post(path, json={"secret": secret, "documents": [document]})
    assert retried.status_code == 202

    events = await real.dossier_events(answer["dossier_id"])
    answers = [e for e in events if e.type == "dossier.supplement-provided"]
    assert len({e.id for e in answers}) == 1
    assert answers[0].data["document_sha256"] == {
        "giay-chung-sinh": sha256_of(document["content_base64"])
    }


async def test_a_supplement_nobody_asked_for_is_a_conflict(real: Running) -> None:
    answer = await submit_and_wait(real)
    document = {"type": "giay-chung-sinh", "filename": "cs.pdf", "content_base64": file("CS")}
    response = await real.client.post(
        f"/v1/dossiers/{answer['code']}/supplements",
        json={"secret": answer["tracking_secret"], "documents": [document]},
    )
    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_applicant_withdraws_a_dossier(real: Running) -> None:
    answer = await submit_and_wait(real)
    code, secret = answer["code"], answer["tracking_secret"]
    path = f"/v1/dossiers/{code}/withdrawal"
    wrong = await real.client.post(path, json={"secret": "WRONG", "reason": "moved"})
    assert wrong.status_code == 404
    response = await real.client.post(path, json={"secret": secret, "reason": "moved away"})
    assert response.status_code == 202
    await wait_for_status(real, code, "withdrawn")
    again = await real.client.post(path, json={"secret": secret, "reason": "moved away"})
    assert again.status_code == 202
    tracked = (await real.client.get(f"/v1/tracking/{code}", params={"secret": secret})).json()
    assert tracked["status"] == "withdrawn"
    assert tracked["overdue"] is False
    withdrawals = [
        e for e in await real.dossier_events(answer["dossier_id"]) if e.type == "dossier.withdrawn"
    ]
    assert len({e.id for e in withdrawals}) == 1
    assert withdrawals[0].data == {"reason": "moved away"}


async def test_a_result_waiting_at_the_counter_can_still_be_withdrawn_a_returned_one_not(
    real: Running,
) -> None:
    answer = await submit_and_wait(real)
    code, secret, dossier_id = answer["code"], answer["tracking_secret"], answer["dossier_id"]
    ready = ResultReady(unit="TTHCC-26506", delivery="counter").to_event(dossier_id, source="/t")
    await real.host.bus.publish(DOSSIER_EVENTS, ready)
    await wait_for_status(real, code, "processing_done")
    path = f"/v1/dossiers/{code}/withdrawal"
    withdrawn = await real.client.post(path, json={"secret": secret, "reason": "không cần nữa"})
    assert withdrawn.status_code == 202

    other = await submit_and_wait(real)
    returned = DossierCompleted(returned_by="counter").to_event(other["dossier_id"], source="/t")
    await real.host.bus.publish(DOSSIER_EVENTS, returned)
    await wait_for_status(real, other["code"], "result_returned")
    late = await real.client.post(
        f"/v1/dossiers/{other['code']}/withdrawal",
        json={"secret": other["tracking_secret"], "reason": "không cần nữa"},
    )
    assert late.status_code == 409
