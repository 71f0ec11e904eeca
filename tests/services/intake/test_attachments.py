"""Uploading digitised documents and referencing them in a submission (embedded host)."""

from __future__ import annotations

import hashlib

from tests.services.intake.conftest import Running
from tests.services.intake.samples import birth_group, key

PDF = b"%PDF-1.4\nscanned birth certificate"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


async def upload(embedded: Running, content: bytes, name: str = "scan.pdf") -> dict[str, object]:
    response = await embedded.client.post(
        "/v1/attachments", files={"file": (name, content, "application/octet-stream")}
    )
    assert response.status_code == 201, response.text
    answer: dict[str, object] = response.json()
    return answer


async def test_an_upload_is_typed_by_its_bytes_and_hashed(embedded: Running) -> None:
    pdf, png = await upload(embedded, PDF), await upload(embedded, PNG, "photo.png")
    assert pdf["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert (pdf["content_type"], png["content_type"]) == ("application/pdf", "image/png")
    assert pdf["size"] == len(PDF)
    assert str(pdf["attachment_id"]).startswith("att-")


async def test_wrong_type_too_large_empty_or_missing_files_are_problems(
    embedded: Running,
) -> None:
    cases = {
        415: b"MZ\x90\x00 an executable",
        413: b"%PDF-" + b"x" * 5000,  # the embedded fixture allows 4096 bytes
        422: b"",
    }
    for status, content in cases.items():
        response = await embedded.client.post(
            "/v1/attachments", files={"file": ("scan.pdf", content, "application/pdf")}
        )
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
    missing = await embedded.client.post("/v1/attachments", data={"other": "x"})
    assert missing.status_code == 422
    assert await embedded.host.stores["intake"].collection("attachments").count() == 0


async def test_a_submission_references_uploaded_documents(embedded: Running) -> None:
    attachment = await upload(embedded, PDF)
    body = birth_group()
    body["documents"][1] = {"type": "giay-chung-sinh", "attachment_id": attachment["attachment_id"]}
    response = await embedded.client.post("/v1/dossiers", json=body, headers=key())
    assert response.status_code == 201, response.text
    events = await embedded.dossier_events(response.json()["dossier_id"])
    assert events[0].data["document_sha256"]["giay-chung-sinh"] == attachment["sha256"]


async def test_an_unknown_attachment_is_refused_and_nothing_is_recorded(embedded: Running) -> None:
    body = birth_group()
    body["documents"][1] = {"type": "giay-chung-sinh", "attachment_id": "att-" + "0" * 32}
    response = await embedded.client.post("/v1/dossiers", json=body, headers=key())
    assert response.status_code == 422
    assert response.json()["type"] == "urn:lienthong:problem:unknown-attachment"
    assert await embedded.all_events() == []


async def test_a_document_is_either_inline_or_uploaded(embedded: Running) -> None:
    body = birth_group()
    both = {**body["documents"][1], "attachment_id": "att-" + "1" * 32}
    body["documents"][1] = both
    response = await embedded.client.post("/v1/dossiers", json=body, headers=key())
    assert response.status_code == 422
    assert response.json()["errors"][0]["location"][:4] == ["body", "documents", "1", "uploaded"]
