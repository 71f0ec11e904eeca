"""Fast checks on the embedded host: bad input is a problem document, the catalogue is public."""

from __future__ import annotations

from tests.services.intake.conftest import Running
from tests.services.intake.samples import BIRTH_GROUP, birth_group, key

PROBLEM_JSON = "application/problem+json"


def locations(problem: dict[str, object]) -> set[tuple[str, ...]]:
    errors = problem["errors"]
    assert isinstance(errors, list)
    return {tuple(error["location"]) for error in errors}


async def test_a_submission_without_idempotency_key_is_a_problem(embedded: Running) -> None:
    response = await embedded.client.post("/v1/dossiers", json=birth_group())
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert ("header", "Idempotency-Key") in locations(response.json())


async def test_malformed_fields_are_each_reported(embedded: Running) -> None:
    body = birth_group(channel="fax")
    body["applicant"] = {**body["applicant"], "id_number": "12AB", "ward_code": "1"}
    body["documents"][0] = {**body["documents"][0], "content_base64": "not base64!"}
    response = await embedded.client.post("/v1/dossiers", json=body, headers=key())
    assert response.status_code == 422
    assert response.headers["content-type"] == PROBLEM_JSON
    assert {
        ("body", "channel"),
        ("body", "applicant", "id_number"),
        ("body", "applicant", "ward_code"),
        ("body", "documents", "0", "inline", "content_base64"),
    } <= locations(response.json())


async def test_two_files_of_one_document_type_are_refused(embedded: Running) -> None:
    body = birth_group()
    body["documents"].append(dict(body["documents"][0]))
    response = await embedded.client.post("/v1/dossiers", json=body, headers=key())
    assert response.status_code == 422
    assert "to-khai-lien-thong" in str(response.json()["errors"])


async def test_a_malformed_submission_records_nothing(embedded: Running) -> None:
    headers = key()
    bad = await embedded.client.post(
        "/v1/dossiers", json=birth_group(channel="fax"), headers=headers
    )
    assert bad.status_code == 422
    assert await embedded.host.bus.read_topic("dossier.events") == []
    good = await embedded.client.post("/v1/dossiers", json=birth_group(), headers=headers)
    assert good.status_code == 201  # the key was not consumed by the malformed attempt


async def test_the_catalogue_lists_procedures_in_force(embedded: Running) -> None:
    response = await embedded.client.get("/v1/procedures")
    assert response.status_code == 200
    codes = {p["code"] for p in response.json()}
    assert {"1.001193", BIRTH_GROUP, "1.006714"} <= codes


async def test_a_procedure_lists_its_required_documents(embedded: Running) -> None:
    response = await embedded.client.get(f"/v1/procedures/{BIRTH_GROUP}")
    assert response.status_code == 200
    procedure = response.json()
    documents = {d["type"]: d for d in procedure["required_documents"]}
    assert documents["giay-chung-sinh"]["mandatory"] is True
    assert documents["giay-chung-sinh"]["name"] == "Giấy chứng sinh"
    assert documents["giay-chung-nhan-ket-hon"]["condition"] == "form.parents_married == true"
    assert procedure["version"] == 2


async def test_an_unknown_procedure_is_a_404_problem(embedded: Running) -> None:
    response = await embedded.client.get("/v1/procedures/9.999999")
    assert response.status_code == 404
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"] == "urn:lienthong:problem:procedure-not-found"
