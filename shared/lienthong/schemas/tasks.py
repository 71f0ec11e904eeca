"""Work for an agency on `agency.tasks.<agency>` (subject = task id)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from lienthong.events import Payload, payload

AGENCY_TASKS = "agency.tasks.{agency}"


@payload("agency.task-assigned", topic=AGENCY_TASKS)
class TaskAssigned(Payload):
    """A step of a dossier for this agency to perform."""

    task_id: str
    dossier_id: str
    dossier_code: str
    procedure: str
    step: str
    unit: str
    due_at: datetime
    idempotency_key: str = Field(description="the same on every delivery attempt of this task")
    agency: str = Field(
        default="", description="agency code (the <agency> of the topic it travels on)"
    )
