"""HTTP: the agency inbox (pull and manual), result callbacks, connector health.

    GET  /v1/agencies/{agency}/tasks                          the open tasks (inbox)
    POST /v1/agencies/{agency}/tasks/{task}/acknowledge       "we have it" → TaskDelivered
    POST /v1/agencies/{agency}/tasks/{task}/result            approved/refused → ResultReturned
    POST /v1/agencies/{agency}/tasks/{task}/refusal           shorthand for a refused result
    POST /v1/agencies/{agency}/tasks/{task}/supplement-request → AgencyAskedForSupplement
    GET  /v1/agencies                                          connector health (staff)

Routes are thin: authentication is a dependency, the work is in `AgencyAdapter`. (No
`from __future__ import annotations` here: FastAPI must see the closure's `Agency` alias.)
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lienthong.http.openapi import problems
from lienthong.security import StaffUser
from lienthong.store.port import Document
from lienthong_agency_adapter.adapter import AgencyAdapter
from lienthong_agency_adapter.auth import authenticate_agency
from lienthong_agency_adapter.config import AgencyConfig
from lienthong_agency_adapter.connectors import AgencyAnswer
from lienthong_agency_adapter.outbox import OPEN_STATES
from lienthong_agency_adapter.recorder import assigned

Item = Annotated[str, Field(min_length=1, max_length=200)]

# No credentials or a bad signature: 401; someone else's: 403; an unknown agency, or a task
# of another agency: 404; a task not open for this answer: 409.
INBOX_ERRORS = problems(401, 403, 404)
TASK_ERRORS = problems(401, 403, 404, 409)


class ResultIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["approved", "refused"]
    result_documents: list[Item] = Field(default_factory=list, max_length=50)
    reasons: list[Item] = Field(default_factory=list, max_length=50)
    delivery: Literal["electronic", "counter", "post"] = "electronic"

    @model_validator(mode="after")
    def _refusal_has_reasons(self) -> "ResultIn":
        if self.outcome == "refused" and not self.reasons:
            raise ValueError("a refusal must give at least one reason")
        return self

    def answer(self) -> AgencyAnswer:
        return AgencyAnswer(
            kind="result",
            outcome=self.outcome,
            result_documents=tuple(self.result_documents),
            reasons=tuple(self.reasons),
            delivery=self.delivery,
        )


class RefusalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reasons: list[Item] = Field(min_length=1, max_length=50)


class SupplementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    missing: list[Item] = Field(min_length=1, max_length=50)


class TaskOut(BaseModel):
    task_id: str
    dossier_code: str
    procedure: str
    step: str
    unit: str
    due_at: datetime
    idempotency_key: str
    state: str
    answers: list[dict[str, Any]]

    @classmethod
    def of(cls, document: Document) -> "TaskOut":
        _, task = assigned(document)
        fields = task.model_dump(include=set(cls.model_fields) - {"state", "answers"})
        return cls(state=document["state"], answers=document.get("answers", []), **fields)


def build_router(adapter: AgencyAdapter) -> APIRouter:
    router = APIRouter(prefix="/v1/agencies", tags=["agency adapter"])

    async def caller(request: Request, agency: str) -> AgencyConfig:
        config = adapter.agency(agency)
        tolerance = adapter.settings.signature_tolerance_s
        await authenticate_agency(request, config, adapter.book, tolerance)
        return config

    Agency = Annotated[AgencyConfig, Depends(caller)]

    @router.get(
        "/{agency}/tasks", summary="Open tasks in the agency's inbox", responses=INBOX_ERRORS
    )
    async def list_tasks(
        agency: Agency, limit: Annotated[int, Query(ge=1, le=500)] = 100
    ) -> list[TaskOut]:
        return [TaskOut.of(d) for d in await adapter.outbox.inbox(agency.code, OPEN_STATES, limit)]

    @router.post(
        "/{agency}/tasks/{task_id}/acknowledge",
        summary="Acknowledge receipt",
        responses=TASK_ERRORS,
    )
    async def acknowledge(agency: Agency, task_id: str) -> TaskOut:
        return TaskOut.of(await adapter.acknowledge(agency, task_id))

    @router.post(
        "/{agency}/tasks/{task_id}/result",
        status_code=202,
        summary="Return a result",
        responses=TASK_ERRORS,
    )
    async def result(agency: Agency, task_id: str, body: ResultIn) -> TaskOut:
        return TaskOut.of(await adapter.answer(agency, task_id, body.answer()))

    @router.post(
        "/{agency}/tasks/{task_id}/refusal",
        status_code=202,
        summary="Refuse",
        responses=TASK_ERRORS,
    )
    async def refusal(agency: Agency, task_id: str, body: RefusalIn) -> TaskOut:
        answer = AgencyAnswer(kind="result", outcome="refused", reasons=tuple(body.reasons))
        return TaskOut.of(await adapter.answer(agency, task_id, answer))

    @router.post(
        "/{agency}/tasks/{task_id}/supplement-request",
        status_code=202,
        summary="Ask for more",
        responses=TASK_ERRORS,
    )
    async def supplement(agency: Agency, task_id: str, body: SupplementIn) -> TaskOut:
        answer = AgencyAnswer(kind="supplement", missing=tuple(body.missing))
        return TaskOut.of(await adapter.answer(agency, task_id, answer))

    @router.get("", summary="Connector health per agency (staff)", responses=problems(401, 403))
    async def health(_user: StaffUser) -> list[dict[str, object]]:
        return await adapter.health()

    return router
