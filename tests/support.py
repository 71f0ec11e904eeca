"""Small helpers for tests (not fixtures)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable


async def eventually(predicate: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
    """Wait until `predicate()` is true; fail with `what` after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        await asyncio.sleep(0.05)


async def eventually_async(
    probe: Callable[[], Awaitable[bool]], timeout: float = 30.0, what: str = ""
) -> None:
    """`eventually` for a probe that has to await (a store read, an HTTP call)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await probe():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or probe}")
        await asyncio.sleep(0.05)


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# The system Chromium, driven by Playwright in the page tests: headless, no sandbox (a
# container), nothing fetched in the background.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
