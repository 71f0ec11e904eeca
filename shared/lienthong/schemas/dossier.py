"""Facts of a dossier's life on `dossier.events` (subject = dossier id).

The first version of the lifecycle vocabulary shared by every service; the intake and routing
issues extend it (new types, new optional fields) rather than repurpose it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lienthong.events import Payload, payload
from lienthong.topics import DOSSIER_EVENTS

Channel = Literal["online", "counter", "post"]
ContactChannel = Literal["sms", "email"]


class Applicant(BaseModel):
    """Who submitted the dossier (personal data: it travels in events, never in logs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    full_name: str
    id_number: str
    phone: str
    email: str
    ward_code: str
    contact_channel: ContactChannel


@payload("dossier.submitted", topic=DOSSIER_EVENTS)
class DossierSubmitted(Payload):
    """A dossier was handed in (online, at the counter or by post), before any check."""

    procedure: str = Field(description="national procedure code, e.g. 1.001193")
    channel: Channel
    ward_code: str = Field(description="the applicant's ward (5-digit code)")
    document_sha256: dict[str, str] = Field(
        default_factory=dict, description="document type → SHA-256 of the digitised file"
    )
    sub_procedures: list[str] = Field(
        default_factory=list, description="chosen procedures of an inter-linked group"
    )
    form: dict[str, Any] = Field(default_factory=dict, description="the application form")
    applicant: Applicant | None = None
    submitted_at: datetime | None = None


@payload("dossier.received", topic=DOSSIER_EVENTS)
class DossierReceived(Payload):
    """Complete and accepted: the dossier has its code and appointment (Giấy tiếp nhận hồ sơ
    và hẹn trả kết quả)."""

    code: str = Field(description="<agency id>-<yymmdd>-<nnnn>")
    procedure: str
    procedure_version: str
    receiving_unit: str
    received_at: datetime
    appointment_at: datetime
    sub_procedures: list[str] = Field(default_factory=list)
    ward_code: str | None = Field(default=None, description="the applicant's ward (routing)")
    tracking_secret_sha256: str | None = Field(
        default=None, description="SHA-256 (hex) of the tracking secret given to the applicant"
    )


@payload("dossier.rejected", topic=DOSSIER_EVENTS)
class DossierRejected(Payload):
    """Not eligible or not competent (Phiếu từ chối tiếp nhận giải quyết hồ sơ)."""

    reasons: list[str] = Field(min_length=1)


@payload("dossier.supplement-requested", topic=DOSSIER_EVENTS)
class SupplementRequested(Payload):
    """Incomplete: every missing item listed once (Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ)."""

    missing: list[str] = Field(min_length=1)
    requested_by: str = Field(description="unit code")


@payload("dossier.supplement-provided", topic=DOSSIER_EVENTS)
class SupplementProvided(Payload):
    """The applicant brought what was asked for."""

    document_sha256: dict[str, str] = Field(default_factory=dict)


@payload("dossier.withdrawn", topic=DOSSIER_EVENTS)
class DossierWithdrawn(Payload):
    """The applicant withdrew the dossier."""

    reason: str = ""


@payload("dossier.step-opened", topic=DOSSIER_EVENTS)
class StepOpened(Payload):
    """A workflow step was handed to the competent unit (a row of the process control sheet)."""

    step: str
    unit: str
    role: str
    due_at: datetime
    task_id: str | None = Field(default=None, description="the task sent to the agency, if any")
    agency: str | None = Field(default=None, description="agency code of agency.tasks.<agency>")
    opened_at: datetime | None = Field(default=None, description="when the hand-off happened")


@payload("dossier.step-completed", topic=DOSSIER_EVENTS)
class StepCompleted(Payload):
    """A unit finished its step; classified against the step's allotted time."""

    step: str
    unit: str
    timeliness: Literal["early", "on_time", "late"]


@payload("dossier.completed", topic=DOSSIER_EVENTS)
class DossierCompleted(Payload):
    """The result was returned to the applicant."""

    returned_by: Literal["electronic", "counter", "post"]
