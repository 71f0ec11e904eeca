"""Small value types shared by the catalogue, the workflow and the calendar."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints


class StrictModel(BaseModel):
    """Immutable model that rejects unknown keys, so a typo in a data file is an error."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class LocalizedText(StrictModel):
    """A text in Vietnamese (authoritative) and English (for integrators)."""

    vi: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]
    en: Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$", max_length=80)]
"""Identifier such as a step id, a document type or a sub-procedure id."""

FormField = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
"""Name of a field of the application form, e.g. `submitted_by_proxy`."""

Role = Annotated[
    str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*(\.[a-z][a-z0-9-]*)*$", max_length=80)
]
"""Role of the unit that performs a step, e.g. `ward.civil-status`, `police.residence`."""


class TimeUnit(StrEnum):
    """Unit of a statutory time limit (thời hạn giải quyết)."""

    WORKING_DAYS = "working_days"  # ngày làm việc
    CALENDAR_DAYS = "calendar_days"  # ngày (theo lịch)
    WORKING_HOURS = "working_hours"  # giờ làm việc


class OnlineLevel(StrEnum):
    """Online public service level since Decree 42/2022 (dịch vụ công trực tuyến)."""

    END_TO_END = "toan_trinh"  # toàn trình
    PARTIAL = "mot_phan"  # một phần


class CompetentLevel(StrEnum):
    """Level of government competent to decide (cấp có thẩm quyền)."""

    CENTRAL = "central"  # trung ương
    PROVINCE = "province"  # cấp tỉnh
    DISTRICT = "district"  # cấp huyện (until 30 June 2025)
    COMMUNE = "commune"  # cấp xã


UNCONFIRMED = "unconfirmed"


def is_unconfirmed(note: str | None) -> bool:
    """True when a data note flags the fact as not checked against the legal text."""
    return note is not None and note.strip().lower().startswith(UNCONFIRMED)
