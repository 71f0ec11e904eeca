"""The console's JSON API (`/v1/console/...`): what the pages show, for scripts and tests.

Roles (see `access`): operators and auditors read everything; operators act; a unit's
officer or supervisor reads the SLA board and the stream of their own unit only."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sse_starlette.sse import EventSourceResponse

from lienthong.http import Problem
from lienthong.http.openapi import problems
from lienthong.ops import DeadLetterError
from lienthong.ops.dead_letters import ID_PATTERN
from lienthong.security import InvalidToken, request_token, verify_token
from lienthong_console.access import Actor, AnyUser, CityUser
from lienthong_console.console import Console, letter_json
from lienthong_console.tail import Filters

PROBLEM = "urn:lienthong:problem:console:"
# A dead letter action: unknown letter 404, already settled 409, malformed id 422.
LETTER_ERRORS = problems(404, 409, 422)
# Documented, not enforced by FastAPI: an id that is not one is refused by the book itself,
# with the problem that says what an id is (`invalid-dead-letter-id`).
LETTER_ID = {"pattern": ID_PATTERN}
LetterId = Annotated[
    str, Field(description="<group>-<partition>-<offset>", json_schema_extra=LETTER_ID)
]


class LagRow(BaseModel):
    group: str
    topic: str
    partition: int
    committed: int | None
    end: int
    lag: int


class ReplayRequest(BaseModel):
    reason: str | None = Field(default=None, max_length=500)
    dry_run: bool = False


class GroupReplayRequest(ReplayRequest):
    group: str = Field(
        min_length=1, max_length=200, json_schema_extra={"pattern": r"^[A-Za-z0-9._-]+$"}
    )
    ids: list[LetterId] | None = Field(
        default=None, description="a selection; omitted = all pending"
    )


class DiscardRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=500, description="why it is discarded")


def _bad(error: DeadLetterError) -> Problem:
    return Problem(
        error.status, "Dead letter action refused", str(error), type=PROBLEM + error.kind
    )


def stream_filters(
    user: AnyUser,
    dossier: str | None,
    type: str | None,
    unit: str | None,
    procedure: str | None,
) -> Filters:
    return Filters(
        dossier=dossier or None,
        type=type or None,
        unit=unit or None,
        procedure=procedure or None,
        units=user.units,
    )


def build_api(console: Console) -> APIRouter:
    # Every route: no or a bad token 401, a role that may not see or do it 403.
    router = APIRouter(prefix="/v1/console", tags=["console"], responses=problems(401, 403))

    @router.get("/lag", response_model=list[LagRow], summary="Consumer lag per partition")
    async def lag(user: CityUser) -> list[dict[str, Any]]:
        return [row.__dict__ for row in await console.lag()]

    @router.get(
        "/stream",
        summary="Live tail of dossier.events (server-sent events)",
        response_class=EventSourceResponse,
        responses={200: {"content": {"text/event-stream": {}}}},
    )
    async def stream(
        request: Request,
        user: AnyUser,
        dossier: Annotated[str | None, Query(max_length=100)] = None,
        type: Annotated[str | None, Query(max_length=100)] = None,
        unit: Annotated[str | None, Query(max_length=100)] = None,
        procedure: Annotated[str | None, Query(max_length=100)] = None,
    ) -> EventSourceResponse:
        filters = stream_filters(user, dossier, type, unit, procedure)
        token, settings = request_token(request), request.app.state.settings
        loop = asyncio.get_running_loop()

        async def events() -> AsyncIterator[dict[str, str]]:
            async with console.tail.listen(filters) as listener:
                yield {"event": "ready", "data": "{}"}
                reported, checked = 0, loop.time()
                while True:
                    try:
                        line = await asyncio.wait_for(
                            listener.queue.get(), timeout=console.config.heartbeat_s
                        )
                    except TimeoutError:
                        line = None
                    if loop.time() - checked >= console.config.heartbeat_s:
                        # A stream lasts no longer than the sign-in it was opened with.
                        checked = loop.time()
                        try:
                            verify_token(settings, token)
                        except InvalidToken:
                            yield {"event": "expired", "data": "{}"}
                            return
                    if line is None:
                        continue
                    yield {
                        "event": "dossier-event",
                        "id": line.id,
                        "data": json.dumps(line.as_json()),
                    }
                    if listener.dropped != reported:
                        reported = listener.dropped
                        yield {"event": "dropped", "data": str(reported)}

        return EventSourceResponse(events(), ping=console.config.heartbeat_s)

    @router.get("/sla", summary="Steps near due and overdue, grouped by unit and procedure")
    async def sla(user: AnyUser) -> dict[str, Any]:
        return (await console.views.board(user.units)).as_json()

    @router.get(
        "/dossiers/{code}",
        summary="A dossier's whole timeline (process control sheet)",
        responses=problems(404),
    )
    async def dossier(code: str, user: CityUser) -> dict[str, Any]:
        found = await console.views.dossier(code)
        if found is None:
            raise Problem(404, "Unknown dossier", f"no dossier {code!r}", type=PROBLEM + "unknown")
        return found

    @router.get("/dead-letters", summary="Dead letters (pending unless settled=true)")
    async def dead_letters(
        user: CityUser,
        group: Annotated[str | None, Query(max_length=200)] = None,
        settled: bool = False,
    ) -> list[dict[str, Any]]:
        return [letter_json(letter) for letter in await console.letters(group, settled)]

    @router.post(
        "/dead-letters/{id}/replay",
        summary="Replay one dead letter (dry run first)",
        responses=LETTER_ERRORS,
    )
    async def replay_one(
        id: Annotated[str, Path(json_schema_extra=LETTER_ID)],
        user: Actor,
        body: ReplayRequest | None = None,
    ) -> dict[str, Any]:
        body = body or ReplayRequest()
        try:
            done = await console.replay(user, [id], body.reason, body.dry_run)
        except DeadLetterError as exc:
            raise _bad(exc) from None
        return {"dry_run": body.dry_run, "replayed": [letter_json(letter) for letter in done]}

    @router.post(
        "/dead-letters/replay",
        summary="Replay a selection, or all of a group",
        description="A long replay answers 202 with a job to follow at /v1/console/replays/{job}.",
        responses={202: {"description": "started in the background"}, **LETTER_ERRORS},
    )
    async def replay_many(body: GroupReplayRequest, user: Actor) -> Response:
        try:
            ids = body.ids
            if ids is None:
                ids = [letter.id for letter in await console.letters(body.group)]
            if not body.dry_run and not console.runs_inline(len(ids)):
                job = await console.start_replay(user, ids, body.reason)
                return JSONResponse(
                    job.as_json(), 202, headers={"Location": f"/v1/console/replays/{job.id}"}
                )
            done = await console.replay(user, ids, body.reason, body.dry_run)
        except DeadLetterError as exc:
            raise _bad(exc) from None
        return JSONResponse(
            {"dry_run": body.dry_run, "replayed": [letter_json(letter) for letter in done]}
        )

    @router.get("/replays/{job}", summary="A background replay's progress", responses=problems(404))
    async def replay_job(job: str, user: CityUser) -> dict[str, Any]:
        found = console.jobs.get(job)
        if found is None:
            raise Problem(404, "Unknown replay", f"no replay job {job!r} in this console")
        return found.as_json()

    @router.post(
        "/dead-letters/{id}/discard",
        summary="Discard a dead letter, with a reason",
        responses=LETTER_ERRORS,
    )
    async def discard(
        id: Annotated[str, Path(json_schema_extra=LETTER_ID)], body: DiscardRequest, user: Actor
    ) -> dict[str, Any]:
        try:
            done = await console.discard(user, [id], body.reason.strip())
        except DeadLetterError as exc:
            raise _bad(exc) from None
        return {"discarded": [letter_json(letter) for letter in done]}

    @router.get("/health", summary="Agency adapters and notification providers, per replica")
    async def health(user: CityUser) -> dict[str, Any]:
        return await console.views.health_report()

    @router.get("/charts", summary="Throughput, on-time rate per unit, satisfaction")
    async def charts(user: CityUser) -> dict[str, Any]:
        return {
            "throughput": await console.views.throughput(),
            "on_time_by_unit": await console.views.on_time_by_unit(),
            "satisfaction": await console.views.satisfaction(),
        }

    @router.get("/samples", summary="Lag and throughput samples of the last hours")
    async def samples(
        user: CityUser, hours: Annotated[int, Query(ge=1, le=168)] = 6
    ) -> list[dict[str, Any]]:
        return [
            {"at": s.at.isoformat(), "ends": s.ends, "lag": s.lag}
            for s in await console.sampler.recent(hours)
        ]

    @router.get("/audit", summary="Every operator action: who, when, what, why")
    async def audit(user: CityUser) -> list[dict[str, Any]]:
        return await console.views.audit()

    return router
