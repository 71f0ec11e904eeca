"""Facts the survey service records on `dossier.events` (subject = dossier id).

An invitation carries the one-time link for notify to send; the token inside `link_path` is a
secret (whoever holds it may answer once): it travels in the event for notify, and is never
logged. The store keeps only `token_sha256`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from lienthong.events import Payload, payload
from lienthong.topics import DOSSIER_EVENTS

Level = Literal["very_satisfied", "satisfied", "neutral", "dissatisfied"]
"""Rất hài lòng / Hài lòng / Bình thường (configurable) / Không hài lòng."""

SipasFactor = Literal["access", "procedure", "officer", "result", "feedback"]
"""The five SIPAS factors: access to the service, the procedure, the officer handling it,
the result, the handling of feedback."""

AnswerChannel = Literal["page", "api"]
SuspicionFlag = Literal["device_burst", "desk_burst", "before_result_returned"]


@payload("survey.invited", topic=DOSSIER_EVENTS)
class SurveyInvited(Payload):
    """The applicant was invited to rate a completed dossier (attempt 2 is the one reminder)."""

    code: str | None = Field(default=None, description="the dossier code")
    link_path: str = Field(description="/s/<token>: secret, for notify to send; never log it")
    token_sha256: str = Field(description="SHA-256 (hex) of the one-time token")
    question_set: str = Field(description="version of the question set the link answers")
    expires_at: datetime
    attempt: int = Field(default=1, ge=1, le=2, description="1 = invitation, 2 = reminder")
    units: list[str] = Field(default_factory=list, description="units the applicant may rate")
    step: str | None = Field(
        default=None, description="set when the invitation follows one step, not completion"
    )


@payload("survey.answered", topic=DOSSIER_EVENTS)
class SurveyAnswered(Payload):
    """The applicant answered the survey of a dossier (once per token)."""

    token_sha256: str
    question_set: str
    step: str | None = Field(default=None, description="the step a step invitation was about")
    overall: Level = Field(description="the main question: satisfaction with the whole service")
    units: dict[str, Level] = Field(default_factory=dict, description="unit code → rating")
    factors: dict[SipasFactor, Level] = Field(default_factory=dict)
    comment: str = Field(default="", max_length=2000, description="free text; never logged")
    channel: AnswerChannel
    device: str = Field(description="keyed hash of the client's address and browser")
    device_kind: Literal["mobile", "desktop", "unknown"] = "unknown"
    desk: str | None = Field(default=None, description="the desk/kiosk the QR code was shown at")
    answered_at: datetime
    flags: list[SuspicionFlag] = Field(default_factory=list)
