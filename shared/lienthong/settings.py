"""Typed configuration, read once at start from environment variables (prefix LIENTHONG_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_TOKEN_KEY = "lienthong-development-key-not-for-production"  # noqa: S105 - dev default, warned about


class Settings(BaseSettings):
    """Everything a LiênThông process can be told. `None` for Kafka/Mongo means embedded."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_", extra="ignore")

    kafka_bootstrap: str | None = Field(
        default=None, description="host:port of the Kafka brokers; unset = in-process bus"
    )
    mongo_url: str | None = Field(
        default=None, description="MongoDB URL (FerretDB in tests); unset = in-memory store"
    )
    database_prefix: str = Field(
        default="lienthong", description="each service stores in database <prefix>_<service>"
    )
    topic_prefix: str = Field(default="", description="prepended to every topic (test isolation)")
    dossier_partitions: int = Field(default=12, ge=1)
    agency_task_partitions: int = Field(default=3, ge=1)
    dlq_partitions: int = Field(default=1, ge=1)
    replication_factor: int = Field(default=1, ge=1)

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)

    token_key: SecretStr = SecretStr(DEV_TOKEN_KEY)
    token_issuer: str = "lienthong"  # noqa: S105 - an issuer name, not a secret

    handler_max_attempts: int = Field(default=5, ge=1)
    handler_backoff_initial_s: float = Field(default=0.2, ge=0)
    handler_backoff_max_s: float = Field(default=10.0, ge=0)
    consumer_batch_size: int = Field(default=500, ge=1)
    startup_wait_s: float = Field(
        default=120.0,
        ge=0,
        description="how long start-up waits for an unreachable broker or store before exiting",
    )
    catalogue_dir: Path | None = Field(
        default=None,
        description="a directory of catalogue YAML files to use instead of the shipped one",
    )
    store_query_shapes_file: Path | None = Field(
        default=None, description="append each distinct query shape (no values) to this file"
    )

    trace_export: Literal["none", "console", "otlp"] = Field(
        default="none", description="where spans go; 'none' records none but still propagates ids"
    )
    trace_sample_ratio: float = Field(default=1.0, ge=0, le=1)

    log_level: str = "INFO"
    log_json: bool = True
    instance_id: str = Field(default="local", description="names this replica in logs and clients")

    @property
    def embedded(self) -> bool:
        return self.kafka_bootstrap is None and self.mongo_url is None
