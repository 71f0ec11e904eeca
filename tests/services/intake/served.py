"""The intake app served by uvicorn on a free port, in a background thread (for a browser
or a benchmark: real HTTP, not the in-process transport)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn
from pymongo import MongoClient

from lienthong.runtime.host import Host
from lienthong.settings import Settings
from tests.support import free_port


@dataclass(frozen=True)
class Served:
    url: str
    host: Host


@contextmanager
def serve(settings: Settings, startup_timeout: float = 120.0) -> Iterator[Served]:
    """Run the intake host until the block ends; its database is dropped afterwards."""
    host = Host(settings, ["intake"])
    port = free_port()
    config = uvicorn.Config(host.app(), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="intake-uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the intake app did not start")
        time.sleep(0.05)
    try:
        yield Served(f"http://127.0.0.1:{port}", host)
    finally:
        server.should_exit = True
        thread.join(60)
        if settings.mongo_url:
            client: MongoClient[dict[str, Any]] = MongoClient(settings.mongo_url)
            with client:
                client.drop_database(f"{settings.database_prefix}_intake")
