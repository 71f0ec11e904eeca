"""Problem details and operational endpoints, through the runtime's app."""

from __future__ import annotations

import socket

import httpx
from asgi_lifespan import LifespanManager
from fastapi import APIRouter, Request
from pydantic import BaseModel
from pymongo import AsyncMongoClient

from lienthong.events import new_event
from lienthong.runtime.host import Host
from lienthong.security import STAFF_COOKIE, StaffUser, mint_token
from lienthong.settings import Settings
from lienthong.telemetry import configure_tracing


class Body(BaseModel):
    code: str
    count: int


def routes_for_the_test() -> APIRouter:
    router = APIRouter()

    @router.post("/v1/things")
    async def create(body: Body) -> dict[str, str]:
        return {"code": body.code}

    @router.post("/v1/publish")
    async def publish(request: Request) -> dict[str, str]:
        bus = request.app.state.host.bus
        event = new_event("test.published", "d-1", {}, source="/tests")
        await bus.publish("dossier.events", event)
        return {"traceparent": event.traceparent or ""}

    @router.get("/v1/secret")
    async def secret(user: StaffUser) -> dict[str, str]:
        return {"role": user.role}

    return router


async def test_validation_errors_and_auth_failures_are_problem_documents() -> None:
    settings = Settings()
    host = Host(settings, ["console"])
    host.specs[0].router = routes_for_the_test()
    app = host.app()
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            bad = await client.post("/v1/things", json={"code": 1})
            assert bad.status_code == 422
            assert bad.headers["content-type"] == "application/problem+json"
            problem = bad.json()
            assert problem["status"] == 422
            assert {tuple(e["location"]) for e in problem["errors"]} == {
                ("body", "code"),
                ("body", "count"),
            }
            unauthenticated = await client.get("/v1/secret")
            assert unauthenticated.status_code == 401
            assert unauthenticated.json()["title"] == "Unauthorized"
            agency = mint_token(settings, role="agency", agency="police-1")
            forbidden = await client.get(
                "/v1/secret", headers={"authorization": f"Bearer {agency}"}
            )
            assert forbidden.status_code == 403
            staff = mint_token(settings, role="officer", unit="26743")
            ok = await client.get("/v1/secret", headers={"authorization": f"Bearer {staff}"})
            assert ok.json() == {"role": "officer"}
            client.cookies.set(STAFF_COOKIE, staff)  # a browser after the counter login
            assert (await client.get("/v1/secret")).json() == {"role": "officer"}
            client.cookies.set(STAFF_COOKIE, agency)
            assert (await client.get("/v1/secret")).status_code == 403
            client.cookies.clear()
            ready = await client.get("/readyz")
            assert ready.json()["checks"] == {
                "bus": "ok",
                "store:console": "ok",
                "consumer:console": "ok",
            }
            metrics = await client.get("/metrics")
            assert 'lienthong_http_problems_total{status="422"}' in metrics.text


async def test_an_http_request_trace_continues_into_the_events_it_publishes() -> None:
    configure_tracing("tests")
    host = Host(Settings(), ["console"])
    host.specs[0].router = routes_for_the_test()
    app = host.app()
    incoming = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    async with LifespanManager(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            response = await client.post("/v1/publish", headers={"traceparent": incoming})
    traceparent = response.json()["traceparent"]
    assert traceparent.split("-")[1] == "4bf92f3577b34da6a3ce929d0e0e4736"
    published = await host.bus.read_topic("dossier.events")
    assert published[0].header_str("ce_traceparent") == traceparent


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_a_store_that_does_not_answer_is_a_503_with_retry_after_page_or_problem() -> None:
    router = APIRouter()

    @router.get("/v1/reads-the-store")
    async def reads() -> dict[str, str]:
        mongo: AsyncMongoClient[dict[str, str]] = AsyncMongoClient(
            f"mongodb://127.0.0.1:{_closed_port()}/", serverSelectionTimeoutMS=200
        )
        try:
            await mongo["db"]["c"].find_one({})
        finally:
            await mongo.close()
        return {}

    host = Host(Settings(), ["console"])
    host.specs[0].router = router
    app = host.app()
    async with LifespanManager(app):
        # An outage is answered, not raised on to the server (which would log a traceback
        # per request while the store is down): the transport would raise it here.
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            api = await client.get("/v1/reads-the-store", headers={"accept": "application/json"})
            page = await client.get("/v1/reads-the-store", headers={"accept": "text/html"})
    assert api.status_code == 503
    assert api.headers["retry-after"] == "5"
    assert api.headers["content-type"] == "application/problem+json"
    assert api.json()["type"] == "urn:lienthong:problem:unavailable"
    assert page.status_code == 503
    assert page.headers["retry-after"] == "5"
    assert "Hệ thống đang tạm gián đoạn" in page.text
