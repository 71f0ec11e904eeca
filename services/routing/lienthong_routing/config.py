"""Routing's own settings (environment prefix LIENTHONG_ROUTING_), read once at start."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class RoutingConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LIENTHONG_ROUTING_", extra="ignore")

    sweep_interval_s: float = Field(
        default=60.0, ge=0, description="seconds between deadline sweeps; 0 = no background sweep"
    )
    warning_working_days: int = Field(
        default=1, ge=1, description="warn this many working days before a step is due"
    )
    apology_extension_working_days: int = Field(
        default=2, ge=1, description="an apology's new appointment: this many working days on"
    )
    owned_partitions: list[int] | None = Field(
        default=None,
        description="dossier.events partitions this replica sweeps (unset = all; see README)",
    )
