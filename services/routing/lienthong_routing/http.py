"""Operators' read-only view of workflows (staff only). Writes happen only through events:
the counter hand-over endpoint records a fact on `dossier.events`."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from lienthong.events import derived_id
from lienthong.http import Problem
from lienthong.http.openapi import problems
from lienthong.schemas.routing import ProcessingStopped, ResultHandedOver
from lienthong.security import StaffUser
from lienthong.topics import DOSSIER_EVENTS
from lienthong_routing.app import Routing
from lienthong_routing.reaction import SOURCE
from lienthong_routing.state import WorkflowState


class StopRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class StepView(BaseModel):
    step: str
    role: str
    unit: str
    agency: str | None
    status: str
    after: list[str]
    opened_at: datetime | None
    due_at: datetime | None
    timeliness: str | None
    overdue: bool


class WorkflowView(BaseModel):
    dossier_id: str
    code: str
    procedure: str
    procedure_version: int
    topology: str | None
    status: str
    receiving_unit: str
    received_at: datetime
    appointment_at: datetime
    clock_paused: bool
    supplement_missing: list[str] | None
    steps: list[StepView]

    @classmethod
    def of(cls, state: WorkflowState) -> WorkflowView:
        steps = [
            StepView(
                overdue=s.overdue_for is not None and s.overdue_for == s.due_at,
                **s.model_dump(include=set(StepView.model_fields) - {"overdue"}),
            )
            for s in state.steps.values()
        ]
        fields = set(cls.model_fields) - {"steps", "clock_paused"}
        return cls(steps=steps, clock_paused=state.is_paused, **state.model_dump(include=fields))


def routes(routing: Routing) -> APIRouter:
    router = APIRouter(prefix="/v1/workflows", tags=["routing"], responses=problems(401, 403, 404))

    async def workflow_of(code: str) -> WorkflowState:
        state = await routing.repository.by_code(code)
        if state is None:
            raise Problem(404, "Not Found", f"no workflow for dossier {code}")
        return state

    @router.get("/{code}", summary="A dossier's workflow: steps, units, due moments, state")
    async def get_workflow(code: str, user: StaffUser) -> WorkflowView:
        return WorkflowView.of(await workflow_of(code))

    @router.post(
        "/{code}/result-handed-over",
        status_code=202,
        summary="Record that the applicant collected the result at the counter",
        responses=problems(409),
    )
    async def hand_over(code: str, user: StaffUser) -> WorkflowView:
        workflow = await workflow_of(code)
        if workflow.status != "result_ready":
            raise Problem(409, "Conflict", f"the result of {workflow.code} is not ready")
        fact = ResultHandedOver(officer=user.subject)
        event_id = derived_id(workflow.dossier_id, "result-handed-over")  # one per dossier
        await routing.bus.publish(
            DOSSIER_EVENTS, fact.to_event(workflow.dossier_id, source=SOURCE, id=event_id)
        )
        return WorkflowView.of(workflow)

    @router.post(
        "/{code}/stop",
        status_code=202,
        summary="Stop processing a dossier, with the reason (Thông báo dừng giải quyết hồ sơ)",
        responses=problems(409),
    )
    async def stop(code: str, body: StopRequest, user: StaffUser) -> WorkflowView:
        workflow = await workflow_of(code)
        if workflow.finished:
            raise Problem(409, "Conflict", f"{workflow.code} is already {workflow.status}")
        fact = ProcessingStopped(reason=body.reason, stopped_by=user.subject)
        event_id = derived_id(workflow.dossier_id, "processing-stopped")  # one per dossier
        await routing.bus.publish(
            DOSSIER_EVENTS, fact.to_event(workflow.dossier_id, source=SOURCE, id=event_id)
        )
        return WorkflowView.of(workflow)

    return router
