"""Simulated social-insurance system (bảo hiểm xã hội), webhook push.

    POST /hooks/tasks  {"type": "agency.task-assigned", "task": {...}}
      headers X-LienThong-Signature (HMAC-SHA256), Idempotency-Key  → 202

It refuses unsigned or wrongly signed pushes (401), and later answers by POSTing a signed
result to the task's `callback_url`.
"""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import FastAPI, Header, Request
from fastapi.responses import JSONResponse

from lienthong_agency_adapter.signing import SIGNATURE_HEADER, verify
from lienthong_agency_adapter.simulators.base import SimulatedSystem

RESULT_DOCUMENT = "Sổ bảo hiểm xã hội"


def social_insurance_app(system: SimulatedSystem, secret: str) -> FastAPI:
    app = FastAPI(title="Simulated social-insurance system (webhook)")

    @app.post("/hooks/tasks")
    async def hook(
        request: Request, idempotency_key: Annotated[str | None, Header()] = None
    ) -> JSONResponse:
        content = await request.body()
        if not verify(request.headers.get(SIGNATURE_HEADER), content, [secret]):
            return JSONResponse({"error": "bad signature"}, status_code=401)
        if not idempotency_key:
            return JSONResponse({"error": "missing Idempotency-Key"}, status_code=400)
        gate = await system.gate(idempotency_key)
        if gate != "ok":
            return JSONResponse({"error": gate}, status_code=503)
        task = json.loads(content).get("task", {})

        def accept() -> dict[str, str]:
            return {"status": "queued"}

        answer, new = system.once(idempotency_key, accept)
        if new and task.get("callback_url"):
            result: dict[str, object]
            if system.malformed():
                result = {"outcome": "maybe"}
            else:
                result = {"outcome": "approved", "result_documents": [RESULT_DOCUMENT]}
            system.answer_later(f"{task['callback_url']}/result", result)
        return JSONResponse(answer, status_code=202)

    return app
