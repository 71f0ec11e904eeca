"""Simulated ward civil-status software (hộ tịch), REST/JSON.

    POST /api/records   {ho_so, thu_tuc, ma_cong_viec, han_xu_ly, callback}
                        headers Idempotency-Key, Authorization: Bearer <token>
      → 201 {"ma_tiep_nhan": "HT-000001", "trang_thai": "DA_TIEP_NHAN"}

Later the "officer" answers through LiênThông's callback API with the agency's API key. The
embedded default also runs it as the other departments' systems (tax, construction, …).
"""

from __future__ import annotations

import itertools
from typing import Annotated, Any

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from lienthong_agency_adapter.simulators.base import SimulatedSystem

RESULT_DOCUMENT = "Trích lục khai sinh (bản sao)"


def civil_status_app(
    system: SimulatedSystem, token: str | None = None, result_document: str = RESULT_DOCUMENT
) -> FastAPI:
    """The REST records system; with another `result_document` it plays any department's."""
    app = FastAPI(title="Simulated civil-status system (REST)")
    numbers = itertools.count(1)

    @app.post("/api/records")
    async def receive(
        request: Request,
        idempotency_key: Annotated[str | None, Header()] = None,
        authorization: Annotated[str | None, Header()] = None,
    ) -> Response:
        if token is not None and authorization != f"Bearer {token}":
            return JSONResponse({"loi": "UNAUTHORIZED"}, status_code=401)
        if not idempotency_key:
            return JSONResponse({"loi": "THIEU_IDEMPOTENCY_KEY"}, status_code=400)
        gate = await system.gate(idempotency_key)
        if gate != "ok":
            return JSONResponse({"loi": gate.upper()}, status_code=503)
        if system.malformed():
            return PlainTextResponse("<html>Lỗi hệ thống</html>", status_code=200)
        record: dict[str, Any] = await request.json()
        if not isinstance(record, dict) or not record.get("ma_cong_viec"):
            return JSONResponse({"loi": "THIEU_MA_CONG_VIEC"}, status_code=422)

        def accept() -> dict[str, str]:
            return {"ma_tiep_nhan": f"HT-{next(numbers):06d}", "trang_thai": "DA_TIEP_NHAN"}

        answer, new = system.once(idempotency_key, accept)
        if new and record.get("callback"):
            result = {"outcome": "approved", "result_documents": [result_document]}
            system.answer_later(f"{record['callback']}/result", result)
        return JSONResponse(answer, status_code=201)

    return app
