"""Intake configuration, read once at start (environment prefix `LIENTHONG_INTAKE_`)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

UNCONFIRMED_DEFAULT_AGENCY_ID = "000.00.00.H29"
"""Unconfirmed: the topology has no QCVN 102:2016 agency ids yet, so every receiving unit
numbers its dossiers under this one id unless `agency_ids` maps it."""


class IntakeSettings(BaseSettings):
    """What the intake service can be told beyond the runtime's `Settings`."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_INTAKE_", extra="ignore")

    default_agency_id: str = Field(
        default=UNCONFIRMED_DEFAULT_AGENCY_ID,
        description="QCVN 102 agency id used in dossier codes when `agency_ids` has no entry "
        "(unconfirmed)",
    )
    agency_ids: dict[str, str] = Field(
        default_factory=dict,
        description="receiving unit code → QCVN 102 agency id, e.g. "
        "{'TTHCC-26506': '000.00.01.H29'}",
    )
    idempotency_wait_s: float = Field(
        default=15.0,
        gt=0,
        description="how long a retry waits for the first attempt with the same key to finish",
    )
    tracking_failures_allowed: int = Field(
        default=5, ge=1, description="failed tracking look-ups per client and window before 429"
    )
    tracking_failure_window_s: float = Field(default=300.0, gt=0)

    def agency_id_for(self, unit_code: str) -> str:
        return self.agency_ids.get(unit_code, self.default_agency_id)
