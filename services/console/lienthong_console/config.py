"""The console's own settings (environment prefix LIENTHONG_CONSOLE_), read once at start."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIENTHONG_CONSOLE_", extra="ignore")

    sample_interval_s: float = Field(
        default=15.0, ge=0, description="seconds between offset samples; 0 = no sampling"
    )
    sample_retention_hours: float = Field(
        default=24.0, gt=0, description="how long the lag and rate samples are kept"
    )
    replay_pace_per_s: float = Field(
        default=20.0, gt=0, description="dead letters put back per second by a replay"
    )
    stream_queue: int = Field(
        default=1000, ge=10, description="events buffered per live-tail client before dropping"
    )
    heartbeat_s: int = Field(
        default=15, ge=1, description="whole seconds between keep-alive comments on the live tail"
    )
