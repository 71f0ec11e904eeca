"""Steps shared by the tests on real infrastructure: submit, wait for the projection."""

from __future__ import annotations

from typing import Any

from lienthong.store import Document
from tests.services.intake.conftest import Running
from tests.services.intake.samples import birth_group, key
from tests.support import eventually_async


async def tracking_view(real: Running, code: str) -> Document | None:
    found = await real.host.stores["intake"].collection("tracking").find({"code": code})
    return found[0] if found else None


async def submit_and_wait(real: Running) -> dict[str, Any]:
    answer: dict[str, Any] = (
        await real.client.post("/v1/dossiers", json=birth_group(), headers=key())
    ).json()

    async def projected() -> bool:
        return await tracking_view(real, answer["code"]) is not None

    await eventually_async(projected, what="the tracking view of the new dossier")
    return answer


async def status_of(real: Running, code: str) -> str | None:
    view = await tracking_view(real, code)
    return None if view is None else str(view["status"])
