"""Survey configuration, read once at start (environment prefix `LIENTHONG_SURVEY_`)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lienthong_survey.flags import BurstPolicy


class SurveySettings(BaseSettings):
    """What the survey service can be told beyond the runtime's `Settings`."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_SURVEY_", extra="ignore")

    token_ttl_days: float = Field(default=30, gt=0, description="a link expires after this")
    reminder_after_hours: float = Field(
        default=72, gt=0, description="one reminder when still unanswered after this"
    )
    invite_after_steps: list[str] = Field(
        default_factory=list,
        description="workflow steps whose completion also invites the applicant to rate the "
        "step's unit, e.g. ['civil-status']",
    )
    reminder_sweep_s: float = Field(default=600, gt=0, description="how often to look")
    public_base_url: str = Field(
        default="", description="origin of the short links in QR codes; empty = the request's"
    )
    answer_attempt_s: float = Field(
        default=30,
        gt=0,
        description="how long an answer being recorded holds its link; after that (its process "
        "was killed before publishing) the link can be answered again",
    )
    answers_per_client: int = Field(default=30, ge=1, description="answers per address/window")
    lookups_failed_per_client: int = Field(
        default=20, ge=1, description="unknown tokens per address and window before 429"
    )
    client_window_s: float = Field(default=600, gt=0)
    device_burst_allowed: int = Field(default=3, ge=1)
    desk_burst_allowed: int = Field(default=10, ge=1)
    burst_window_min: float = Field(default=30, gt=0)

    @property
    def token_ttl(self) -> timedelta:
        return timedelta(days=self.token_ttl_days)

    @property
    def reminder_after(self) -> timedelta:
        return timedelta(hours=self.reminder_after_hours)

    @property
    def burst(self) -> BurstPolicy:
        return BurstPolicy(
            self.device_burst_allowed,
            self.desk_burst_allowed,
            timedelta(minutes=self.burst_window_min),
        )
