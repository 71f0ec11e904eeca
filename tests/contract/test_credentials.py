"""Missing and wrong credentials on every operation of every service: 401 or 403, as
documented, never a 5xx and never the data.

One host runs all six services (as `lienthong up` does). Every operation that is not listed
as public must refuse a request without credentials: a route added without its auth
dependency fails here. Each refusal is validated against the document like any response."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from schemathesis.schemas import BaseSchema

from lienthong.security import mint_token
from lienthong.settings import Settings
from tests.contract.harness import Case, all_operations, bearer, load_schema, staff_token
from tests.contract.served import served

JSON = "application/json"
SERVICES = ["intake", "routing", "agency-adapter", "survey", "notify", "console"]

# Whoever may call these: citizens (with their dossier's secret or survey link, in the body or
# query) and the public catalogue.
PUBLIC = {
    "GET /v1/procedures",
    "GET /v1/procedures/{code}",
    "POST /v1/attachments",
    "POST /v1/dossiers",
    "POST /v1/dossiers/{code}/supplements",
    "POST /v1/dossiers/{code}/withdrawal",
    "GET /v1/tracking/{code}",
    "GET /s/{token}",
    "POST /s/{token}",
    "POST /v1/surveys/{token}/answers",
    "GET /v1/surveys/{token}",
    "GET /v1/surveys/{token}/qr.svg",
    "PUT /v1/notifications/preferences/{code}",
}
# Survey answers are anonymous: any credentials are refused (staff cannot answer for a citizen).
CITIZENS_ONLY = {"POST /s/{token}", "POST /v1/surveys/{token}/answers"}
# Printed forms: the tracking secret or a staff token; anything else is "neither" (401).
SECRET_OR_STAFF = {
    "GET /v1/dossiers/{code}/receipt",
    "GET /v1/dossiers/{code}/supplement-form",
    "GET /v1/dossiers/{code}/rejection-form",
}
PATH_VALUES = {"agency": "ward-inbox", "id": "console-0-0", "provider": "brandname"}
# Routes that check credentials themselves (not as a dependency) validate the body first: a
# valid one, so that the credentials are what is refused.
BODIES = {
    "POST /v1/notifications/receipts/{provider}": {"client_ref": "x", "status": "delivered"},
    "POST /v1/surveys/{token}/answers": {"overall": "satisfied"},
}


def case_of(schema: BaseSchema, label: str, path: dict[str, str]) -> Case:
    method, template = label.split(" ")
    body = BODIES.get(label)
    extra: dict[str, Any] = {} if body is None else {"body": body, "media_type": JSON}
    return schema[template][method].Case(path_parameters=path, **extra)


def wrong_credentials(settings: Settings) -> dict[str, dict[str, str]]:
    """Credentials that prove nothing, each named for the failure report."""
    elsewhere = Settings(token_key=SecretStr("another platform's signing key, not ours"))
    expired = mint_token(settings, role="supervisor", ttl=timedelta(hours=-1))
    return {
        "none": {},
        "not a token": bearer("not-a-token"),
        "another scheme": {"Authorization": "Basic c3VwZXJ2aXNvcjpzZWNyZXQ="},
        "expired": bearer(expired),
        "signed elsewhere": bearer(staff_token(elsewhere, "supervisor")),
    }


def someone_else(settings: Settings, label: str) -> dict[str, str]:
    """A valid token of a principal the operation is not for: another agency on an agency's
    routes, an agency on staff routes."""
    if "/v1/agencies/{agency}" in label:
        return bearer(mint_token(settings, role="agency", agency="civil-status"))
    return bearer(mint_token(settings, role="agency", agency="ward-inbox"))


def refusals(schema: BaseSchema, settings: Settings) -> list[str]:
    """Every protected operation with every wrong credential; returns what went wrong."""
    problems = []
    for operation in all_operations(schema):
        label = operation.label
        if label in PUBLIC:
            continue
        names = [p.name for p in operation.iter_parameters() if p.location == "path"]
        path = {name: PATH_VALUES.get(name, "x") for name in names}
        attempts = {**wrong_credentials(settings), "someone else": someone_else(settings, label)}
        for name, headers in attempts.items():
            expected = {401} if name != "someone else" else {403}
            if label in SECRET_OR_STAFF or label.startswith("POST /v1/notifications/receipts"):
                expected = {401}  # no secret / no callback token: whoever the bearer is
            response = case_of(schema, label, path).call_and_validate(headers=headers)
            if response.status_code not in expected:
                problems.append(f"{label} with {name}: {response.status_code} {response.text}")
    return problems


def anonymous_only(schema: BaseSchema, settings: Settings) -> list[str]:
    """A citizen's survey answer carrying staff credentials is refused with 403."""
    problems = []
    staff = bearer(staff_token(settings, "officer", unit="R"))
    for label in sorted(CITIZENS_ONLY):
        response = case_of(schema, label, {"token": "x" * 22}).call_and_validate(headers=staff)
        if response.status_code != 403:
            problems.append(f"{label} with a staff token: {response.status_code}")
    return problems


async def test_no_protected_operation_answers_without_valid_credentials(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with served(SERVICES, monkeypatch) as it:
        schema = load_schema(it.app, it.base_url)
        problems = await asyncio.to_thread(refusals, schema, it.settings)
        problems += await asyncio.to_thread(anonymous_only, schema, it.settings)
        protected = _protected(schema)
    assert not problems, "\n".join(problems)
    # intake's 3 printed forms, routing 3, agency adapter 6, survey 4, notify 2, console 13
    assert len(protected) == 31, sorted(protected)


def _protected(schema: BaseSchema) -> set[str]:
    return {operation.label for operation in all_operations(schema)} - PUBLIC
