"""RFC 9457 problem details for every error a LiênThông API returns.

Clients get `application/problem+json` with `type`, `title`, `status`, `detail` and, for
validation errors, `errors` (one entry per invalid field, machine-readable).
"""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from lienthong.metrics import HTTP_PROBLEMS

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("lienthong.http")


class Problem(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self, status: int, title: str, detail: str = "", *, type: str = "about:blank", **extra: Any
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.type, self.extra = (
            status,
            title,
            detail,
            type,
            extra,
        )


def problem_response(
    status: int, title: str, detail: str = "", type: str = "about:blank", **extra: Any
) -> JSONResponse:
    HTTP_PROBLEMS.labels(status=str(status)).inc()
    body = {
        "type": type,
        "title": title,
        "status": status,
        **({"detail": detail} if detail else {}),
    }
    return JSONResponse({**body, **extra}, status_code=status, media_type=PROBLEM_JSON)


async def _on_problem(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return problem_response(exc.status, exc.title, exc.detail, exc.type, **exc.extra)


async def _on_http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    response = problem_response(exc.status_code, _title(exc.status_code), str(exc.detail))
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _on_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "location": [str(part) for part in error.get("loc", ())],
            "message": error.get("msg", ""),
            "code": error.get("type", ""),
        }
        for error in exc.errors()
    ]
    return problem_response(
        422,
        "Invalid request",
        f"{len(errors)} field(s) are invalid",
        type="urn:lienthong:problem:validation",
        errors=errors,
    )


async def _on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    log.error("unhandled_error", error=type(exc).__name__, exc_info=exc)
    return problem_response(500, "Internal error", "the error has been logged")


def _title(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _on_problem)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(HTTPException, _on_http)
    app.add_exception_handler(RequestValidationError, _on_validation)
    app.add_exception_handler(Exception, _on_unexpected)
