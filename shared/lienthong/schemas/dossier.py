"""Facts of a dossier's life on `dossier.events` (subject = dossier id).

The first version of the lifecycle vocabulary shared by every service; the intake and routing
issues extend it (new types, new optional fields) rather than repurpose it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from lienthong.events import Payload, payload
from lienthong.topics import DOSSIER_EVENTS

Channel = Literal["online", "counter", "post"]


@payload("dossier.submitted", topic=DOSSIER_EVENTS)
class DossierSubmitted(Payload):
    """A dossier was handed in (online, at the counter or by post), before any check."""

    procedure: str = Field(description="national procedure code, e.g. 1.001193")
    channel: Channel
    ward_code: str = Field(description="the applicant's ward (5-digit code)")
    document_sha256: dict[str, str] = Field(
        default_factory=dict, description="document type → SHA-256 of the digitised file"
    )


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
