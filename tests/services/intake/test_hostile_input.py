"""Hostile field values at intake: a clear 4xx problem document, nothing half-written.

Decisions (intake README, "Bad input"):

* A refused request never claims its Idempotency-Key: it was not handled, so the citizen who
  corrects the form and sends it again with the same key (a browser re-posting the form does)
  gets the dossier, not "key reused" — checked after every refusal below.
* Names and other typed text are stored in Unicode NFC: a name typed with combining
  diacritics is the same name as its precomposed form (same event, same receipt, and the
  same request for the key).
* Zero-width characters, bidirectional controls, every other format character (Cf), blank
  "letters" (Hangul fillers, braille blank) and in names variation selectors are refused (422
  naming the field), not stripped: they are invisible, so stripping would change what the
  applicant sent unseen. A name that is blank (Unicode spaces too) or has no letter is a 422.
* An application form nested deeper than 16 levels or holding more than 5,000 values is a
  422, not a crash.
* A ward code that is no ward, or a ward abolished by a reorganisation, is a 422 naming
  `applicant.ward_code`; a real ward outside the city is the receipt decision's (a refusal).
* The intake models have no date fields (the application form is free-form), so there is no
  "date of birth in the future" to refuse at this edge.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.services.intake.conftest import Running
from tests.services.intake.samples import birth_group, file

PROBLEM_JSON = "application/problem+json"
NAME = "Nguyễn Thị Ánh Tuyết"
NFD_NAME = unicodedata.normalize("NFD", NAME)
INVISIBLE = [
    *range(0x200B, 0x2010),
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
    0xFEFF,
    0x0600,  # Arabic number sign: any format character (Cf), not only a listed one
    0x115F,  # Hangul choseong filler
    0x1160,  # Hangul jungseong filler
    0x3164,  # Hangul filler
    0x2800,  # braille pattern blank
    0xFE00,  # variation selectors
    0xFE0F,
    0xE0001,  # tag characters
    0xE0041,
    0xE007F,
]


def idempotency_key() -> dict[str, str]:
    return {"Idempotency-Key": f"hostile-{uuid.uuid4()}"}


def with_applicant(**changes: str) -> dict[str, Any]:
    body = birth_group()
    body["applicant"] = {**body["applicant"], **changes}
    return body


def problem_at(response: httpx.Response, status: int, *location: str) -> str:
    """The refusal is a problem document naming `location`; returns its message there."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["status"] == status
    assert problem["title"]
    if not location:
        return str(problem.get("detail", ""))
    found = [e for e in problem["errors"] if tuple(e["location"][: len(location)]) == location]
    assert found, problem
    return str(found[0]["message"])


async def nothing_written(running: Running) -> None:
    """No event, no idempotency claim, no dossier code: the refusal left no trace."""
    assert await running.all_events() == []
    store = running.host.stores["intake"]
    for collection in ("submissions", "submission_codes", "tracking"):
        assert await store.collection(collection).count() == 0, collection


async def corrected_retry_succeeds(running: Running, headers: dict[str, str]) -> None:
    """The same key with the corrected body makes the dossier (the key was not claimed)."""
    again = await running.client.post("/v1/dossiers", json=birth_group(), headers=headers)
    assert again.status_code == 201, again.text
    events = await running.dossier_events(again.json()["dossier_id"])
    assert [e.type for e in events] == ["dossier.submitted", "dossier.received"]
    assert len(await running.all_events()) == 2


# --- files ---------------------------------------------------------------------------------


@pytest.mark.kafka
@pytest.mark.mongo
async def test_an_upload_over_the_limit_is_413_and_nothing_is_stored(
    real: Running, tmp_path: Path
) -> None:
    too_large = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)  # the default limit is 10 MiB
    response = await real.client.post(
        "/v1/attachments", files={"file": ("scan.pdf", too_large, "application/pdf")}
    )
    assert "10485760 bytes" in problem_at(response, 413)
    assert response.json()["type"] == "urn:lienthong:problem:attachment-too-large"
    assert await real.host.stores["intake"].collection("attachments").count() == 0
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_file()] == []


async def test_an_inline_document_over_the_limit_is_refused_like_an_upload(
    embedded: Running,
) -> None:
    headers = idempotency_key()
    body = birth_group()  # the embedded fixture allows 4096 bytes per file
    body["documents"][0] = {**body["documents"][0], "content_base64": file("x" * 5000)}
    response = await embedded.client.post("/v1/dossiers", json=body, headers=headers)
    assert "larger than 4096 bytes" in problem_at(response, 422)
    assert response.json()["type"] == "urn:lienthong:problem:attachment-too-large"
    await nothing_written(embedded)
    await corrected_retry_succeeds(embedded, headers)


async def test_a_file_is_typed_by_its_bytes_whatever_it_claims(embedded: Running) -> None:
    claims_pdf = await embedded.client.post(
        "/v1/attachments", files={"file": ("scan.pdf", b"<html>not a pdf", "application/pdf")}
    )
    problem_at(claims_pdf, 415)
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
    claims_text = await embedded.client.post(
        "/v1/attachments", files={"file": ("photo.txt", png, "text/plain")}
    )
    assert claims_text.status_code == 201
    assert claims_text.json()["content_type"] == "image/png"


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", json.dumps(birth_group()).encode()),
        ("application/x-www-form-urlencoded", b"procedure=2.000986&channel=online"),
        ("application/json", b'{"procedure": "2.000986", '),  # cut off
        ("application/json", b"\xff\xfe not utf-8"),
    ],
)
async def test_a_body_that_is_not_a_json_submission_is_refused(
    embedded: Running, content_type: str, content: bytes
) -> None:
    headers = {**idempotency_key(), "Content-Type": content_type}
    response = await embedded.client.post("/v1/dossiers", content=content, headers=headers)
    problem_at(response, 422)
    await nothing_written(embedded)
    del headers["Content-Type"]
    await corrected_retry_succeeds(embedded, headers)


# --- wards ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ward", "why"),
    [
        ("99999", "is not the code of a ward or commune of Viet Nam"),
        ("26830", "(Phường Long Bình) was abolished on 2025-07-01"),  # Quận 9, 2019
        ("2650", "String should match pattern"),
    ],
)
async def test_a_ward_that_is_none_or_no_longer_exists_is_a_422_naming_it(
    embedded: Running, ward: str, why: str
) -> None:
    headers = idempotency_key()
    response = await embedded.client.post(
        "/v1/dossiers", json=with_applicant(ward_code=ward), headers=headers
    )
    assert why in problem_at(response, 422, "body", "applicant", "ward_code")
    await nothing_written(embedded)
    await corrected_retry_succeeds(embedded, headers)


async def test_a_real_ward_outside_the_city_is_refused_with_its_reason(
    embedded: Running,
) -> None:
    body = with_applicant(ward_code="00070")  # Phường Hoàn Kiếm, Hà Nội
    response = await embedded.client.post("/v1/dossiers", json=body, headers=idempotency_key())
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert any("ward 00070" in reason for reason in response.json()["reasons"])


# --- Unicode -------------------------------------------------------------------------------


@pytest.mark.kafka
@pytest.mark.mongo
async def test_a_name_with_combining_diacritics_is_stored_as_its_precomposed_form(
    real: Running,
) -> None:
    assert len(NFD_NAME) > len(NAME)  # the same letters, with combining marks
    headers = idempotency_key()
    typed = await real.client.post(
        "/v1/dossiers", json=with_applicant(full_name=NFD_NAME), headers=headers
    )
    assert typed.status_code == 201, typed.text
    # The same request for the key, whichever form the name was typed in.
    again = await real.client.post(
        "/v1/dossiers", json=with_applicant(full_name=NAME), headers=headers
    )
    assert again.status_code == 201
    assert again.json() == typed.json()
    answer = typed.json()
    submitted, _received = await real.dossier_events(answer["dossier_id"])
    assert submitted.data["applicant"]["full_name"] == NAME
    receipt = await real.client.get(answer["receipt_url"])
    assert receipt.status_code == 200
    assert NAME in receipt.text
    assert NFD_NAME not in receipt.text
    view = await real.host.stores["intake"].collection("tracking").get(answer["dossier_id"])
    assert view is not None
    assert NFD_NAME not in json.dumps(view, ensure_ascii=False, default=str)
    assert NAME in json.dumps(view, ensure_ascii=False, default=str)


async def test_every_invisible_character_in_a_name_is_a_422_naming_the_field(
    embedded: Running,
) -> None:
    headers = idempotency_key()
    for code in INVISIBLE:
        name = f"Nguyễn{chr(code)} Văn An"
        response = await embedded.client.post(
            "/v1/dossiers", json=with_applicant(full_name=name), headers=headers
        )
        message = problem_at(response, 422, "body", "applicant", "full_name")
        assert f"U+{code:04X}" in message
    await nothing_written(embedded)
    await corrected_retry_succeeds(embedded, headers)


@pytest.mark.parametrize(
    ("change", "location"),
    [
        ({"email": "an\u200b.nguyen@example.vn"}, ("body", "applicant", "email")),
        ({"full_name": "Nguyễn Văn\nAn"}, ("body", "applicant", "full_name")),
        ({"form": {"child_name": "Nguyễn Thị\u202eBình"}}, ("body", "form")),
        ({"form": {"note": "x" * 70_000}}, ("body", "form")),
        ({"filename": "to-khai\u202efdp.exe"}, ("body", "documents", "0", "inline", "filename")),
    ],
)
async def test_invisible_characters_elsewhere_and_an_oversized_form_are_refused(
    embedded: Running, change: dict[str, Any], location: tuple[str, ...]
) -> None:
    body = birth_group()
    if "form" in change:
        body["form"] = {**body["form"], **change["form"]}
    elif "filename" in change:
        body["documents"][0] = {**body["documents"][0], **change}
    else:
        body["applicant"] = {**body["applicant"], **change}
    headers = idempotency_key()
    response = await embedded.client.post("/v1/dossiers", json=body, headers=headers)
    problem_at(response, 422, *location)
    await nothing_written(embedded)
    await corrected_retry_succeeds(embedded, headers)


async def test_text_of_the_form_is_stored_in_nfc(embedded: Running) -> None:
    child = unicodedata.normalize("NFD", "Nguyễn Thị Bình")
    body = birth_group(form={"parents_married": True, "child_name": child})
    response = await embedded.client.post("/v1/dossiers", json=body, headers=idempotency_key())
    assert response.status_code == 201, response.text
    submitted = (await embedded.dossier_events(response.json()["dossier_id"]))[0]
    assert submitted.data["form"]["child_name"] == "Nguyễn Thị Bình"


async def test_a_withdrawal_reason_with_a_bidi_override_is_refused(embedded: Running) -> None:
    answer = (
        await embedded.client.post("/v1/dossiers", json=birth_group(), headers=idempotency_key())
    ).json()
    url = f"/v1/dossiers/{answer['code']}/withdrawal"
    secret = answer["tracking_secret"]
    refused = await embedded.client.post(url, json={"secret": secret, "reason": "đổi\u202e ý"})
    problem_at(refused, 422, "body", "reason")
    withdrawn = await embedded.client.post(url, json={"secret": secret, "reason": "đổi ý"})
    assert withdrawn.status_code == 202


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("   ", "is blank"),
        ("\u3000\u3000", "is blank"),  # ideographic spaces
        ("\xa0", "is blank"),  # no-break space
        ("\u0301", "begins with a combining mark (U+0301"),
        ("\u0301\u0302", "begins with a combining mark"),
        ("123 - .", "has no letter"),
    ],
)
async def test_a_blank_name_or_one_without_a_letter_is_a_422(
    embedded: Running, name: str, why: str
) -> None:
    headers = idempotency_key()
    response = await embedded.client.post(
        "/v1/dossiers", json=with_applicant(full_name=name), headers=headers
    )
    assert why in problem_at(response, 422, "body", "applicant", "full_name")
    await nothing_written(embedded)
    await corrected_retry_succeeds(embedded, headers)


async def test_a_name_is_stored_without_surrounding_spaces(embedded: Running) -> None:
    body = with_applicant(full_name=f"\u3000 {NAME}\xa0")
    response = await embedded.client.post("/v1/dossiers", json=body, headers=idempotency_key())
    assert response.status_code == 201, response.text
    submitted = (await embedded.dossier_events(response.json()["dossier_id"]))[0]
    assert submitted.data["applicant"]["full_name"] == NAME


async def test_a_blank_file_name_is_a_422(embedded: Running) -> None:
    body = birth_group()
    body["documents"][0] = {**body["documents"][0], "filename": "\u3000 "}
    response = await embedded.client.post("/v1/dossiers", json=body, headers=idempotency_key())
    message = problem_at(response, 422, "body", "documents", "0", "inline", "filename")
    assert "is blank" in message


def nested(depth: int) -> list[Any]:
    value: list[Any] = []
    for _ in range(depth - 1):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("form", "why"),
    [
        ({"a": nested(500)}, "nests lists and objects over 16 deep"),
        ({"a": nested(17)}, "nests lists and objects over 16 deep"),
        ({"a": list(range(5_001))}, "holds more than 5000 values"),
    ],
)
async def test_a_form_nested_too_deep_or_too_large_is_a_short_422(
    embedded: Running, form: dict[str, Any], why: str
) -> None:
    headers = idempotency_key()
    body = birth_group()
    body["form"] = {**body["form"], **form}
    response = await embedded.client.post("/v1/dossiers", json=body, headers=headers)
    assert why in problem_at(response, 422, "body", "form")
    assert len(response.content) < 4096  # the refusal does not echo the structure
    await nothing_written(embedded)
    await corrected_retry_succeeds(embedded, headers)


async def test_a_form_nested_16_deep_is_taken(embedded: Running) -> None:
    body = birth_group()
    body["form"] = {**body["form"], "a": nested(15)}  # the form, then 15 lists: 16 levels
    response = await embedded.client.post("/v1/dossiers", json=body, headers=idempotency_key())
    assert response.status_code == 201, response.text
