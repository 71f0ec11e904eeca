"""Notify configuration, read once at start (environment prefix `LIENTHONG_NOTIFY_`).

Lists and nested values are JSON in the environment, e.g.
`LIENTHONG_NOTIFY_SMS_PROVIDERS='[{"name": "viettel", "url": "https://…/send", "token": "…"}]'`.
"""

from __future__ import annotations

from datetime import time
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_RULES = Path(__file__).with_name("rules.yaml")


class SmsGatewayConfig(BaseModel):
    """One HTTP SMS gateway (brandname). The list order is the failover order."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,40}$")
    url: str = Field(description="POST endpoint that accepts one message as JSON")
    token: SecretStr = Field(description="bearer token we present to the gateway")
    callback_token: SecretStr | None = Field(
        default=None, description="bearer token the gateway presents with delivery receipts"
    )
    rate_per_s: float = Field(default=20.0, gt=0, description="the contract's sending rate")
    burst: int = Field(default=20, ge=1)
    timeout_s: float = Field(default=5.0, gt=0)


class NotifySettings(BaseSettings):
    """What the notify service can be told beyond the runtime's `Settings`."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_NOTIFY_", extra="ignore")

    rules_file: Path = Field(default=DEFAULT_RULES, description="event → channels → template")
    tracking_base_url: str = Field(
        default="http://127.0.0.1:8000/v1/tracking",
        description="citizen tracking page; the link is <base>/<code> (never the secret)",
    )
    survey_base_url: str = Field(
        default="http://127.0.0.1:8000",
        description="public address of the survey pages; invitations carry only the path",
    )
    stale_after_hours: float = Field(
        default=72.0,
        gt=0,
        description="events older than this message nobody (a new deployment reading the "
        "topic from the start must not text every citizen about last year's dossiers)",
    )

    smtp_host: str | None = Field(default=None, description="unset = emails go to the console")
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_timeout_s: float = Field(default=10.0, gt=0)
    email_rate_per_s: float = Field(default=50.0, gt=0)
    mail_from: str = "LiênThông <no-reply@lienthong.example.vn>"
    message_id_domain: str = "lienthong.example.vn"

    sms_providers: list[SmsGatewayConfig] = Field(
        default_factory=list, description="unset = SMS go to the console"
    )
    sms_max_segments: int = Field(default=3, ge=1, le=10)
    sms_unaccented: bool = Field(
        default=False,
        description="always send SMS without diacritics (GSM-7); by default only when the "
        "accented text would need more than sms_max_segments",
    )

    timezone: str = "Asia/Ho_Chi_Minh"
    quiet_hours_start: time = Field(default=time(21, 0), description="no SMS from (local)")
    quiet_hours_end: time = Field(default=time(7, 0), description="… until (local)")

    max_attempts: int = Field(default=10, ge=1)
    backoff_initial_s: float = Field(default=30.0, ge=0)
    backoff_max_s: float = Field(default=3600.0, ge=0)
    send_lease_s: float = Field(
        default=120.0,
        gt=0,
        description="a send not finished after this long is presumed dead (crashed process) and "
        "tried again with the same reference; keep it above the slowest provider timeout chain",
    )
    dispatch_interval_s: float = Field(default=1.0, gt=0)
    dispatch_batch: int = Field(default=100, ge=1)
    dispatch_concurrency: int = Field(default=16, ge=1)
    health_interval_s: float = Field(
        default=15.0, gt=0, description="every this long, a health snapshot on ops.health"
    )

    retention_days: float = Field(
        default=90.0, gt=0, description="message bodies and contacts are purged after this"
    )
    purge_interval_s: float = Field(default=3600.0, gt=0)
