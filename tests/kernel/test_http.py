"""Problem details and operational endpoints, through the runtime's app."""

from __future__ import annotations

import httpx
from asgi_lifespan import LifespanManager
from fastapi import APIRouter
from pydantic import BaseModel

from lienthong.runtime.host import Host
from lienthong.security import StaffUser, mint_token
from lienthong.settings import Settings


class Body(BaseModel):
    code: str
    count: int


def routes_for_the_test() -> APIRouter:
    router = APIRouter()

    @router.post("/v1/things")
    async def create(body: Body) -> dict[str, str]:
        return {"code": body.code}

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
            ready = await client.get("/readyz")
            assert ready.json()["checks"] == {"bus": "ok", "store:console": "ok"}
            metrics = await client.get("/metrics")
            assert 'lienthong_http_problems_total{status="422"}' in metrics.text
