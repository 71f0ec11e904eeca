"""Error responses in the OpenAPI documents: what the problem handlers really answer.

Every error of a LiênThông API is an RFC 9457 problem document (`lienthong.http.problems`),
but FastAPI documents a request validation error as `application/json` with its own
`HTTPValidationError` body, and documents no other error at all. `problems(401, 404)` gives a
route (or a router) the `responses` entries of the errors it answers; `describe_problems(app)`
replaces FastAPI's default 422 of every operation with the problem document it really is.
Clients, the schemathesis contract tests and generated SDKs then read the same truth.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from lienthong.http.problems import PROBLEM_JSON

FIELD_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["location", "message", "code"],
    "properties": {
        "location": {"type": "array", "items": {"type": "string"}},
        "message": {"type": "string"},
        "code": {"type": "string"},
    },
}

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; some problems add members (e.g. `retry_after`)",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "description": "a URI naming the kind of problem"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": FIELD_ERROR_SCHEMA,
            "description": "validation problems: one entry per invalid field",
        },
    },
    "additionalProperties": True,
}


def problem(description: str | None = None, status: int | None = None) -> dict[str, Any]:
    """One `responses` entry: a problem document."""
    phrase = HTTPStatus(status).phrase if status else "Problem"
    return {
        "description": description or phrase,
        "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
    }


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route (or router) that answers these errors."""
    return {status: problem(status=status) for status in statuses}


_FASTAPI_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")


def describe_problems(app: FastAPI) -> None:
    """Make `app`'s OpenAPI document say that a 422 is a problem document."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _with_problem_422(generate())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override


def _with_problem_422(document: dict[str, Any]) -> dict[str, Any]:
    for path_item in document.get("paths", {}).values():
        for operation in path_item.values():
            response = operation.get("responses", {}).get("422")
            if response is None:
                continue
            content = response.setdefault("content", {})
            content.pop("application/json", None)  # FastAPI's HTTPValidationError
            content[PROBLEM_JSON] = {"schema": PROBLEM_SCHEMA}
            response["description"] = "Invalid request: one entry per invalid field in `errors`"
    schemas = document.get("components", {}).get("schemas", {})
    for name in _FASTAPI_VALIDATION_SCHEMAS:
        schemas.pop(name, None)
    return document
