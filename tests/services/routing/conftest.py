"""One routing instance on the real broker and database, shared by the end-to-end tests of a
module (each test uses its own dossiers)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest

from tests.conftest import Infra
from tests.services.routing.world import RoutingWorld


@pytest.fixture(scope="module")
async def world(infra: Infra) -> AsyncIterator[RoutingWorld]:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    async with RoutingWorld(infra, prefix, prefix) as running:
        yield running
