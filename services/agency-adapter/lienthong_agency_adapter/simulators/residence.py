"""Simulated police residence database (cư trú), SOAP 1.1 only, answers in the response.

POST /ws  SOAPAction urn:cutru:v1#TiepNhanHoSo
  Header: <lt:IdempotencyKey>; Body: <TiepNhanHoSo><MaHoSo/><MaCongViec/>…</TiepNhanHoSo>
  → <TiepNhanHoSoResponse><SoBienNhan/><KetQua>CHAP_THUAN</KetQua><GiayTo/>…
"""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from fastapi import FastAPI, Request
from fastapi.responses import Response

from lienthong_agency_adapter.connectors.base import DeliveryError
from lienthong_agency_adapter.connectors.soap import LIENTHONG_NS, SOAP_ENV, local, parse_body
from lienthong_agency_adapter.simulators.base import SimulatedSystem

NAMESPACE = "urn:cutru:v1"
RESULT_DOCUMENT = "Xác nhận thông tin về cư trú"
XML = "text/xml; charset=utf-8"


def _fault(code: str, message: str, status: int) -> Response:
    body = (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{code}</faultcode><faultstring>{message}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    )
    return Response(body, status_code=status, media_type=XML)


def _answer(number: int) -> str:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>'
        f'<TiepNhanHoSoResponse xmlns="{NAMESPACE}"><SoBienNhan>CT-{number:06d}</SoBienNhan>'
        f"<KetQua>CHAP_THUAN</KetQua><GiayTo>{RESULT_DOCUMENT}</GiayTo>"
        "</TiepNhanHoSoResponse></soap:Body></soap:Envelope>"
    )


def residence_app(system: SimulatedSystem) -> FastAPI:
    app = FastAPI(title="Simulated residence database (SOAP)")
    numbers = itertools.count(1)

    @app.post("/ws")
    async def call(request: Request) -> Response:
        try:
            body = parse_body(await request.body())
        except DeliveryError:
            return _fault("Client", "not a SOAP envelope", 400)
        key = ""
        root = ET.fromstring(await request.body())  # noqa: S314 - parse_body refused DTDs
        header = root.find(f"{{{SOAP_ENV}}}Header")
        if header is not None:
            key = header.findtext(f"{{{LIENTHONG_NS}}}IdempotencyKey") or ""
        if not key or not any(local(e.tag) == "MaCongViec" for e in body.iter()):
            return _fault("Client", "missing IdempotencyKey or MaCongViec", 400)
        gate = await system.gate(key)
        if gate == "outage":
            return Response("Service Unavailable", status_code=503)
        if gate == "error":
            return _fault("Server", "database busy", 500)
        if system.malformed():
            return Response("<KetQua>???", status_code=200, media_type=XML)
        answer, _ = system.once(key, lambda: _answer(next(numbers)))
        return Response(answer, status_code=200, media_type=XML)

    return app
