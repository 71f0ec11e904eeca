"""Steps shared by the tests on real infrastructure: submit, wait for the projection."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from lienthong.store import Document
from tests.services.intake.conftest import Running
from tests.services.intake.samples import birth_group, key


async def eventually_async(
    probe: Callable[[], Awaitable[bool]], timeout: float = 30.0, what: str = ""
) -> None:
    """`tests.support.eventually` for a probe that has to await (a store read)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await probe():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(0.1)


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
