"""Services in one embedded host, behind uvicorn on a free port, on the test's event loop."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
import uvicorn
from fastapi import FastAPI

from lienthong.runtime.host import Host
from lienthong.settings import Settings
from tests.support import free_port


@dataclass(frozen=True)
class Served:
    host: Host
    app: FastAPI
    base_url: str

    @property
    def settings(self) -> Settings:
        return self.host.settings


@asynccontextmanager
async def served(
    services: list[str], monkeypatch: pytest.MonkeyPatch, env: dict[str, str] | None = None
) -> AsyncIterator[Served]:
    """`services` in one embedded host (a service under contract, and those that make the
    state it serves); `env` sets their settings, read when the host is built."""
    for name, value in (env or {}).items():
        monkeypatch.setenv(name, value)
    host = Host(Settings(), services)
    app = host.app()
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=5
        )
    )
    serving = asyncio.create_task(server.serve())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 120
    while not server.started:
        if serving.done() or loop.time() > deadline:
            raise AssertionError(f"{services} did not start")
        await asyncio.sleep(0.05)
    try:
        yield Served(host, app, f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        await serving
