"""The kernel's operational routes (liveness, readiness, metrics), the same in every service:
against the document of one host running all six, as `lienthong up` does."""

from __future__ import annotations

import asyncio

import pytest

from tests.contract.harness import fuzz, load_schema, operations
from tests.contract.served import served
from tests.contract.test_credentials import SERVICES

EXAMPLES = 25  # per operation; 3 operations


async def test_the_operational_routes_honour_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with served(SERVICES, monkeypatch) as it:
        schema = load_schema(it.app, it.base_url, kernel=True)
        answered = await asyncio.to_thread(fuzz, schema, EXAMPLES)
    assert operations(answered) == {"GET /healthz", "GET /readyz", "GET /metrics"}
    assert answered["GET /readyz", 200]
