"""Dossier codes (mã hồ sơ), numbered by the store's atomic counter per agency per day."""

from __future__ import annotations

from datetime import datetime

from lienthong.domain import Counters, issue_dossier_code


class DossierCodes:
    def __init__(self, counters: Counters) -> None:
        self._counters = counters

    async def issue(self, agency_id: str, received_at: datetime) -> str:
        code: str = await issue_dossier_code(self._counters, agency_id, received_at)
        return code
