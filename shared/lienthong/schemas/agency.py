"""What agencies answer, as facts on `dossier.events` (subject = dossier id).

The contract between routing (which assigns tasks on `agency.tasks.<agency>`, see
`lienthong.schemas.tasks`) and the agency adapter (which delivers them to the agency's system
and records what came back). Each fact names the task and the workflow step it belongs to.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lienthong.events import Payload, payload
from lienthong.topics import DOSSIER_EVENTS


class _TaskFact(Payload):
    task_id: str
    step: str = Field(description="workflow step id in the procedure")
    unit: str = Field(description="code of the unit performing the step")
    agency: str = Field(description="agency code (the agency.tasks.<agency> topic)")


@payload("agency.task-delivered", topic=DOSSIER_EVENTS)
class TaskDelivered(_TaskFact):
    """The agency's system acknowledged receipt of the task."""

    connector: str = Field(description="rest, soap, webhook, inbox, manual")
    attempts: int = Field(ge=1)


@payload("agency.task-failed", topic=DOSSIER_EVENTS)
class TaskDeliveryFailed(_TaskFact):
    """Delivery failed for good (after retries, or a permanent refusal by the connector)."""

    reason: str
    retryable: bool = False


@payload("agency.result-returned", topic=DOSSIER_EVENTS)
class ResultReturned(_TaskFact):
    """The unit finished its step: approved with result documents, or refused with reasons."""

    outcome: Literal["approved", "refused"]
    result_documents: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    delivery: Literal["electronic", "counter", "post"] = "electronic"


@payload("agency.supplement-requested", topic=DOSSIER_EVENTS)
class AgencyAskedForSupplement(_TaskFact):
    """The unit needs more documents from the applicant: every missing item, listed once."""

    missing: list[str] = Field(min_length=1)
