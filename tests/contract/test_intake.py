"""The intake API against its OpenAPI document: generated requests on every operation, then
chains along links from a submission (track it, print its receipt or form, withdraw it).

Generated submissions almost never make a dossier (a procedure code, a ward and PDF files
that fit), so the chains start from realistic submissions drawn beside the generated ones.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from hypothesis import strategies as st
from schemathesis.generation import GenerationMode
from schemathesis.schemas import BaseSchema
from schemathesis.specs.openapi.checks import positive_data_acceptance

from lienthong.settings import Settings
from tests.contract.harness import (
    Case,
    Credentials,
    Link,
    bearer,
    exercise,
    fuzz,
    load_schema,
    mix_bodies,
    operations,
    staff_token,
    stateful,
)
from tests.contract.served import served
from tests.services.intake.samples import BIRTH_GROUP, WARD, birth_group

EXAMPLES = 60  # per operation; 10 operations
SCENARIOS, STEPS = 40, 6

ENV = {
    "LIENTHONG_INTAKE_FORM_WAIT_S": "0",
    # Every generated look-up fails: with the real allowance (5 per 300 s) all but the first
    # few would be 429s, and nothing behind the limit would be checked.
    "LIENTHONG_INTAKE_TRACKING_FAILURES_ALLOWED": "1000000",
}

SUBMIT = ("POST", "/v1/dossiers")
RECEIVED = {"code": "$response.body#/code", "query.secret": "$response.body#/tracking_secret"}
LINKS = [
    Link("track", SUBMIT, 201, ("GET", "/v1/tracking/{code}"), RECEIVED),
    Link("receipt", SUBMIT, 201, ("GET", "/v1/dossiers/{code}/receipt"), RECEIVED),
    Link(
        "supplement-form",
        SUBMIT,
        200,
        ("GET", "/v1/dossiers/{code}/supplement-form"),
        {"code": "$response.body#/dossier_id"},
    ),
    Link(
        "rejection-form",
        SUBMIT,
        200,
        ("GET", "/v1/dossiers/{code}/rejection-form"),
        {"code": "$response.body#/dossier_id"},
    ),
]

PRINTED_FORMS = ("/receipt", "/supplement-form", "/rejection-form")
# Not "every schema-valid request is accepted": some 422s are decided beyond JSON Schema (a
# file's first bytes, an empty file, one file per document type, a reused Idempotency-Key).
BEYOND_SCHEMA = [positive_data_acceptance]


def officer_for_forms(settings: Settings) -> Credentials:
    """The printed forms with an officer's token (no secret needed); the rest anonymous."""
    officer = bearer(staff_token(settings, "officer", unit="TTHCC-26506"))

    def credentials(case: Case) -> dict[str, str]:
        return officer if case.operation.path.endswith(PRINTED_FORMS) else {}

    return credentials


@st.composite
def submissions(draw: st.DrawFn) -> dict[str, Any]:
    """A birth-group submission: mostly received, else incomplete or refused."""
    body = birth_group(channel=draw(st.sampled_from(["online", "counter", "post"])))
    body["documents"] = body["documents"][: draw(st.sampled_from([3, 3, 3, 1]))]
    body["applicant"]["full_name"] = draw(
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=60)
    )
    if draw(st.integers(0, 3)) == 0:
        body["procedure"] = draw(st.sampled_from([BIRTH_GROUP, "1.001193", "9.999999"]))
        body["applicant"]["ward_code"] = draw(st.sampled_from([WARD, "26830", "99999"]))
    return body


async def test_every_intake_operation_honours_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with served(["intake"], monkeypatch, ENV) as it:
        schema = load_schema(it.app, it.base_url)
        credentials = officer_for_forms(it.settings)
        answered = await asyncio.to_thread(fuzz, schema, EXAMPLES, credentials, BEYOND_SCHEMA)
        await asyncio.to_thread(withdraw_a_received_dossier, schema)
    assert len(operations(answered)) == 10
    assert answered["GET /v1/procedures/{code}", 404]
    assert answered["POST /v1/dossiers", 422]


def withdraw_a_received_dossier(schema: BaseSchema) -> None:
    """Submit → receipt → withdraw → track, each answer validated against the document."""
    headers = {"Idempotency-Key": f"contract-{uuid.uuid4()}"}
    received = exercise(schema, "POST", "/v1/dossiers", body=birth_group(), headers=headers)
    assert received.status_code == 201
    code, secret = received.json()["code"], received.json()["tracking_secret"]
    found = {"code": code}
    exercise(
        schema,
        "GET",
        "/v1/dossiers/{code}/receipt",
        path_parameters=found,
        query={"secret": secret},
        expect=200,
    )
    exercise(
        schema,
        "POST",
        "/v1/dossiers/{code}/withdrawal",
        path_parameters=found,
        body={"secret": secret, "reason": "đổi ý"},
        expect=202,
    )
    tracked = exercise(
        schema,
        "GET",
        "/v1/tracking/{code}",
        path_parameters=found,
        query={"secret": secret},
        expect=200,
    )
    assert tracked.json()["code"] == code


async def test_chains_from_a_submission_honour_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with served(["intake"], monkeypatch, ENV) as it:
        schema = load_schema(it.app, it.base_url, links=LINKS)
        schema.config.generation.modes = [GenerationMode.POSITIVE]

        mix_bodies(schema, *SUBMIT, submissions())
        credentials = officer_for_forms(it.settings)
        answered = await asyncio.to_thread(
            stateful, schema, STEPS, SCENARIOS, credentials, BEYOND_SCHEMA
        )
    # The chains did reach the dossiers they made (not only 404s of generated codes).
    for followed in ("GET /v1/tracking/{code}", "GET /v1/dossiers/{code}/receipt"):
        assert answered[followed, 200], answered
    assert answered["GET /v1/dossiers/{code}/supplement-form", 200], answered
