"""Dossier codes issued through the store's counters: unique and dense under concurrency."""

from __future__ import annotations

import asyncio
from datetime import datetime

from lienthong.domain import issue_dossier_code, parse_dossier_code
from lienthong.store import Store


async def test_concurrent_issuers_get_distinct_dense_codes_per_agency_and_day(store: Store) -> None:
    morning = datetime.fromisoformat("2026-03-10T09:00:00+07:00")
    codes = await asyncio.gather(
        *(issue_dossier_code(store, "000.00.01.H29", morning) for _ in range(50)),
        *(issue_dossier_code(store, "38.98.H29", morning) for _ in range(10)),
    )
    ours = [c for c in codes if c.startswith("000.00.01.H29-")]
    assert len(set(ours)) == 50
    assert sorted(parse_dossier_code(c).sequence for c in ours) == list(range(1, 51))
    assert ours[0].startswith("000.00.01.H29-260310-")
    theirs = sorted(parse_dossier_code(c).sequence for c in codes if c.startswith("38.98.H29-"))
    assert theirs == list(range(1, 11)), "each agency has its own sequence"
    next_day = datetime.fromisoformat("2026-03-11T08:00:00+07:00")
    assert await issue_dossier_code(store, "000.00.01.H29", next_day) == (
        "000.00.01.H29-260311-0001"
    )
