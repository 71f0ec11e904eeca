"""Per-agency configuration (YAML) and the adapter's own settings.

`agencies.yaml` lists every agency the adapter serves. A new agency on an existing connector
type is a YAML entry, not code:

    agencies:
      - code: civil-status-w26743          # the agency.tasks.<code> topic
        connector: rest                    # an entry point in group lienthong.connectors
        endpoint: https://hotich.example.gov.vn/api/records  # or {simulator:NAME}/path
        outbound_token: $CIVIL_STATUS_TOKEN   # sent as a bearer token (optional)
        api_key_sha256: [<hex>, ...]       # keys the agency uses to call us (rotation: several)
        hmac_secrets: [$BHXH_SECRET]       # webhook signing; the first signs, any verifies
        officer_units: ["26743"]           # manual inbox: staff of these units answer
        concurrency: 4                     # calls in flight, at most
        rate_per_s: 10                     # calls per second, at most (optional)
        mapping: {...}                     # connector specific (request/response mapping)

A value starting with `$` names an environment variable (secrets never live in the file in
production); any other value is taken literally (development and tests).

An endpoint may start with `{simulator:NAME}` (the shipped file does): the simulated legacy
system NAME that this process runs (LIENTHONG_ADAPTER_SIMULATORS), on a port chosen when it
starts, so two instances on one machine never deliver to each other's simulators. When the
simulators do not run, such an endpoint is a configuration error at start.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lienthong.topics import agency_tasks

DEFAULT_AGENCIES_FILE = Path(__file__).with_name("agencies.yaml")
SIMULATORS_SETTING = "LIENTHONG_ADAPTER_SIMULATORS"
_SIMULATED = re.compile(r"\{simulator:(?P<name>[a-z0-9-]+)\}(?P<path>[^{}]*)")


def resolve_secret(reference: str) -> SecretStr:
    """`$NAME` → the environment variable NAME (which must be set); anything else literally."""
    if reference.startswith("$"):
        value = os.environ.get(reference[1:])
        if value is None:
            raise ValueError(f"environment variable {reference[1:]} is not set")
        return SecretStr(value)
    return SecretStr(reference)


class AgencyConfig(BaseModel):
    """One agency: how tasks reach its system and how it proves who it is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    connector: str = Field(description="rest, soap, webhook, inbox, manual or a plugin's name")
    name: str = ""
    endpoint: str | None = None
    outbound_token: str | None = Field(default=None, description="bearer token we send ($ENV)")
    api_key_sha256: tuple[str, ...] = Field(
        default=(), description="SHA-256 (hex) of the API keys the agency calls us with"
    )
    hmac_secrets: tuple[str, ...] = Field(default=(), description="webhook secrets ($ENV)")
    officer_units: tuple[str, ...] = Field(default=(), description="manual inbox: unit codes")
    concurrency: int = Field(default=4, ge=1, le=64)
    rate_per_s: float | None = Field(default=None, gt=0, description="calls per second, at most")
    timeout_s: float = Field(default=10.0, gt=0)
    mapping: dict[str, Any] = Field(default_factory=dict)

    @field_validator("code")
    @classmethod
    def _topic_safe(cls, code: str) -> str:
        agency_tasks(code)  # raises on a code that cannot name a topic
        return code

    @field_validator("endpoint")
    @classmethod
    def _one_placeholder_at_most(cls, endpoint: str | None) -> str | None:
        if endpoint and "{" in endpoint and not _SIMULATED.fullmatch(endpoint):
            raise ValueError(
                f"endpoint {endpoint!r}: the only placeholder an endpoint may hold is a leading"
                " {simulator:NAME}, e.g. {simulator:civil-status}/api/records"
            )
        return endpoint

    @property
    def topic(self) -> str:
        return agency_tasks(self.code)

    @property
    def simulator(self) -> str | None:
        """The simulated system the endpoint refers to (`{simulator:NAME}/path`), if any."""
        match = _SIMULATED.fullmatch(self.endpoint or "")
        return match["name"] if match else None

    def at_simulator(self, base_url: str) -> AgencyConfig:
        """This agency with its `{simulator:NAME}` replaced by the simulator's `base_url`."""
        match = _SIMULATED.fullmatch(self.endpoint or "")
        if match is None:
            return self
        return self.model_copy(update={"endpoint": base_url.rstrip("/") + match["path"]})

    def secrets(self) -> list[SecretStr]:
        return [resolve_secret(reference) for reference in self.hmac_secrets]

    def token(self) -> SecretStr | None:
        return resolve_secret(self.outbound_token) if self.outbound_token else None


class AgencyBook(BaseModel):
    """Every configured agency, by code."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agencies: tuple[AgencyConfig, ...] = ()

    @field_validator("agencies")
    @classmethod
    def _unique_codes(cls, agencies: tuple[AgencyConfig, ...]) -> tuple[AgencyConfig, ...]:
        codes = [a.code for a in agencies]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"agency codes appear twice: {duplicates}")
        return agencies

    def get(self, code: str) -> AgencyConfig | None:
        return next((a for a in self.agencies if a.code == code), None)

    def check_simulators(self, running: Collection[str] | None) -> None:
        """Refuse an endpoint that refers to a simulated system which will not run in this
        process (`running` is None when no simulators run): a delivery must never go to
        whatever happens to listen elsewhere."""
        for agency in self.agencies:
            name = agency.simulator
            if name is None:
                continue
            if running is None:
                raise ValueError(
                    f"agency {agency.code}: its endpoint {agency.endpoint!r} is the simulated"
                    f" system {name!r}, but the simulators do not run in this process; set"
                    f" {SIMULATORS_SETTING}=true, or give the agency's real endpoint"
                    " (LIENTHONG_ADAPTER_AGENCIES_FILE)"
                )
            if name not in running:
                raise ValueError(
                    f"agency {agency.code}: no simulated system {name!r}"
                    f" (there are: {', '.join(sorted(running))})"
                )

    def with_simulators(self, urls: Mapping[str, str]) -> AgencyBook:
        """The book with every `{simulator:NAME}` endpoint pointing at `urls[NAME]`, where the
        simulated system NAME of this process listens."""
        self.check_simulators(urls.keys())
        resolved = tuple(
            agency.at_simulator(urls[agency.simulator]) if agency.simulator else agency
            for agency in self.agencies
        )
        return AgencyBook(agencies=resolved)


def load_agencies(path: Path) -> AgencyBook:
    """The agencies file, or a ValueError naming the file and what is wrong with it (the
    runtime prints it as one line and exits 2)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"agencies file {path}: {exc}") from None
    try:
        book = AgencyBook.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ValueError(f"agencies file {path}: {problems}") from None
    if not book.agencies:
        raise ValueError(f"agencies file {path}: no agencies (LIENTHONG_ADAPTER_AGENCIES_FILE)")
    return book


class AdapterSettings(BaseSettings):
    """The adapter's own knobs (env prefix LIENTHONG_ADAPTER_), read once at start."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_ADAPTER_", extra="ignore")

    agencies_file: Path = DEFAULT_AGENCIES_FILE
    public_url: str | None = Field(
        default=None, description="where agencies reach our callback API; default host:port"
    )
    # Within one delivery round: a short burst (3 tries, 0.2 s → 2 s with jitter) absorbs
    # blips without holding the agency's queue; longer outages are the outbox's business.
    burst_attempts: int = Field(default=3, ge=1)
    burst_initial_s: float = Field(default=0.2, ge=0)
    burst_max_s: float = Field(default=2.0, ge=0)
    # Between rounds: exponential from 1 s, capped at 5 min. A task that cannot be delivered
    # for `give_up_after_s` (default 3 days ≈ 900 rounds at the cap) fails for good.
    round_initial_s: float = Field(default=1.0, ge=0)
    round_max_s: float = Field(default=300.0, ge=0)
    give_up_after_s: float = Field(default=3 * 24 * 3600.0, gt=0)
    # Circuit breaker per agency: opens after this many consecutive failed rounds, probes
    # again after `breaker_open_s`.
    breaker_failures: int = Field(default=5, ge=1)
    breaker_open_s: float = Field(default=30.0, ge=0)
    poll_interval_s: float = Field(default=1.0, gt=0)
    # Delivery leases (several replicas, `leases.py`): a task is delivered by one replica at a
    # time. The holder renews every lease_s / 3 and gives up at 2/3 when it cannot; another
    # replica takes a task over once it has seen its lease unrenewed for lease_s, by its own
    # clock. A round may outlast its lease (renewed): 30 s rides out a store hiccup of 10 s
    # and hands a dead replica's tasks over within about 30 s. Give every replica the same value
    # (a rolling change of at most 2x at a time stays safe: renewals come every new/3 < old).
    lease_s: float = Field(default=30.0, gt=0)
    # What crashed rounds leave in `task_leases` (turns that have ended) is deleted this often.
    lease_sweep_interval_s: float = Field(default=600.0, gt=0)
    health_interval_s: float = Field(
        default=15.0, gt=0, description="every this long, a health snapshot on ops.health"
    )
    signature_tolerance_s: int = Field(default=300, ge=1)
    simulators: bool | None = Field(
        default=None,
        description="run the simulated legacy systems; unset = when the agencies file names them",
    )
    simulator_answer_delay_s: float = Field(default=2.0, ge=0)
