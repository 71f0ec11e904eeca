"""Intake configuration, read once at start (environment prefix `LIENTHONG_INTAKE_`)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
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
    attempt_s: float = Field(
        default=30.0,
        gt=0,
        description="how long a submission attempt that went silent (its process killed) holds "
        "its Idempotency-Key before a retry with the key takes over and finishes it",
    )
    publish_timeout_s: float = Field(
        default=10.0,
        gt=0,
        description="how long a submission waits for the broker before answering 503",
    )
    retry_after_s: int = Field(
        default=5, ge=1, description="the Retry-After of a 503 when the broker does not answer"
    )
    tracking_failures_allowed: int = Field(
        default=5, ge=1, description="failed tracking look-ups per client and window before 429"
    )
    tracking_failure_window_s: float = Field(default=300.0, gt=0)
    form_wait_s: float = Field(
        default=3.0,
        ge=0,
        description="how long a receipt or form look-up waits for the tracking view to catch up "
        "before answering 404 (a dossier answered a moment ago may not be projected yet)",
    )
    public_url: str | None = Field(
        default=None,
        description="base URL printed in QR codes (e.g. https://dichvucong.example.vn); "
        "unset = the URL the request came to",
    )
    max_attachment_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1, description="largest uploaded document (bytes)"
    )
    blob_store: Literal["auto", "filesystem", "memory", "s3"] = Field(
        default="auto",
        description="where documents are kept; auto = memory when embedded, else filesystem",
    )
    blob_dir: Path = Field(default=Path("var/intake-blobs"), description="filesystem blob root")
    s3_endpoint: str = Field(default="", description="e.g. https://s3.ap-southeast-1.amazonaws.com")
    s3_bucket: str = ""
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: SecretStr = SecretStr("")

    def agency_id_for(self, unit_code: str) -> str:
        return self.agency_ids.get(unit_code, self.default_agency_id)
