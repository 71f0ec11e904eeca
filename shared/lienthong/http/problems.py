"""RFC 9457 problem details for every error a LiênThông API returns.

Clients get `application/problem+json` with `type`, `title`, `status`, `detail` and, for
validation errors, `errors` (one entry per invalid field, machine-readable).
"""

from __future__ import annotations

from typing import Any

import structlog
from aiokafka.errors import KafkaError
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from lienthong.metrics import HTTP_PROBLEMS
from lienthong.outages import OUTAGES, is_outage

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger("lienthong.http")


class Problem(Exception):
    """Raise from a route to answer with a problem document."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str = "",
        *,
        type: str = "about:blank",
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.type, self.extra = (
            status,
            title,
            detail,
            type,
            extra,
        )
        self.headers = headers or {}


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
    response = problem_response(exc.status, exc.title, exc.detail, exc.type, **exc.extra)
    response.headers.update(exc.headers)
    return response


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


OUTAGE_RETRY_AFTER_S = 5
UNAVAILABLE_PAGE = """<!doctype html>
<html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Hệ thống tạm gián đoạn</title></head>
<body>
<h1>Hệ thống đang tạm gián đoạn</h1>
<p>Yêu cầu của bạn chưa được thực hiện. Vui lòng thử lại sau ít phút
(quay lại trang trước và gửi lại: hồ sơ sẽ không bị nộp hai lần).</p>
<p lang="en">The service is briefly unavailable and your request was not carried out.
Please try again in a few minutes (go back and send it again: it will not be filed twice).</p>
</body></html>
"""


async def _on_unexpected(request: Request, exc: Exception) -> Response:
    if is_outage(exc):  # the store or the broker is down: a retry later will do
        log.warning("dependency_unavailable", error=type(exc).__name__)
        return unavailable_response(request)
    log.error("unhandled_error", error=type(exc).__name__, exc_info=exc)
    return problem_response(500, "Internal error", "the error has been logged")


def unavailable_response(request: Request) -> Response:
    """503 with `Retry-After`: a page for a browser, a problem document for an API client."""
    headers = {"Retry-After": str(OUTAGE_RETRY_AFTER_S)}
    accept = request.headers.get("accept", "")
    if "text/html" in accept and "json" not in accept:
        HTTP_PROBLEMS.labels(status="503").inc()
        return HTMLResponse(UNAVAILABLE_PAGE, status_code=503, headers=headers)
    response = problem_response(
        503,
        "Service temporarily unavailable",
        "a store or the message broker does not answer; retry later",
        type="urn:lienthong:problem:unavailable",
    )
    response.headers.update(headers)
    return response


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
    # The broker's and the store's errors by class as well: Starlette re-raises whatever
    # only the catch-all `Exception` handler answered, and the server then logs a traceback
    # per request all through an outage.
    for kind in (*OUTAGES, KafkaError):
        app.add_exception_handler(kind, _on_unexpected)
    app.add_exception_handler(Exception, _on_unexpected)
