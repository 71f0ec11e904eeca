"""Dossier codes (mã hồ sơ): `<agency id>-<yymmdd>-<nnnn>`, e.g. `000.00.01.H29-260310-0420`.

The agency id follows QCVN 102:2016/BTTTT (H29 = Ho Chi Minh City); the date is the local day
of receipt; the sequence counts dossiers per agency per day from 1 (DOMAIN.md marks the
per-agency-per-day rule as unconfirmed). Sequences beyond 9999 widen instead of wrapping.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from lienthong.domain.errors import InvalidDossierCode
from lienthong.domain.localtime import local_day

AGENCY_ID_PATTERN = r"(?:\d{2,3}\.){2,4}[A-Z]\d{2}"
_AGENCY_ID = re.compile(rf"^{AGENCY_ID_PATTERN}$")
_DOSSIER_CODE = re.compile(rf"^(?P<agency>{AGENCY_ID_PATTERN})-(?P<day>\d{{6}})-(?P<seq>\d{{4,}})$")


class Counters(Protocol):
    """Atomic named counters (the Store satisfies it)."""

    async def increment(self, name: str, by: int = 1) -> int:
        """Add `by` to the counter and return the new value; a new counter starts at 0."""
        ...


@dataclass(frozen=True, order=True)
class DossierCode:
    agency_id: str
    day: date
    sequence: int

    def __str__(self) -> str:
        return format_dossier_code(self.agency_id, self.day, self.sequence)


def validate_agency_id(agency_id: str) -> str:
    if not _AGENCY_ID.match(agency_id):
        raise InvalidDossierCode(
            f"agency id {agency_id!r} is not a QCVN 102 code such as '000.00.01.H29'"
        )
    return agency_id


def format_dossier_code(agency_id: str, day: date, sequence: int) -> str:
    validate_agency_id(agency_id)
    if sequence < 1:
        raise InvalidDossierCode(f"sequence {sequence} must start at 1")
    if not 2000 <= day.year <= 2099:
        raise InvalidDossierCode(f"year {day.year} does not fit the two-digit year of a code")
    return f"{agency_id}-{day:%y%m%d}-{sequence:04d}"


def parse_dossier_code(text: str) -> DossierCode:
    match = _DOSSIER_CODE.match(text)
    if match is None:
        raise InvalidDossierCode(f"{text!r} is not a dossier code <agency id>-<yymmdd>-<nnnn>")
    digits = match["day"]
    try:
        day = date(2000 + int(digits[:2]), int(digits[2:4]), int(digits[4:]))
    except ValueError as exc:
        raise InvalidDossierCode(f"{text!r} has an impossible date {digits}") from exc
    sequence = int(match["seq"])
    if sequence < 1:
        raise InvalidDossierCode(f"{text!r} has sequence 0")
    return DossierCode(match["agency"], day, sequence)


def is_valid_dossier_code(text: str) -> bool:
    try:
        parse_dossier_code(text)
    except InvalidDossierCode:
        return False
    return True


def counter_name(agency_id: str, day: date) -> str:
    """Name of the counter that numbers an agency's dossiers of one day."""
    return f"dossier-code/{validate_agency_id(agency_id)}/{day:%Y-%m-%d}"


async def issue_dossier_code(counters: Counters, agency_id: str, received_at: datetime) -> str:
    """Take the next number for (agency, local day of receipt) and format the code."""
    day = local_day(received_at)
    name = counter_name(agency_id, day)  # validates before a number is consumed
    sequence = await counters.increment(name)
    return format_dossier_code(agency_id, day, sequence)
