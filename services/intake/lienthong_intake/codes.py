"""Dossier codes (mã hồ sơ), issued one at a time per process.

The kernel's counter hands out each number by inserting a ticket document: on a race every
loser retries the next number, so N concurrent requests cost O(N²) failed inserts (measured on
FerretDB: p99 9 s at 8 concurrent submissions). Queueing the requests of this process keeps
the race to one contender per replica; a number takes one round trip.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from lienthong.domain import Counters, issue_dossier_code


class DossierCodes:
    def __init__(self, counters: Counters) -> None:
        self._counters = counters
        self._one_at_a_time = asyncio.Lock()

    async def issue(self, agency_id: str, received_at: datetime) -> str:
        async with self._one_at_a_time:
            code: str = await issue_dossier_code(self._counters, agency_id, received_at)
            return code
