"""The survey's JSON and file API: answers, the QR code, statistics and the CSV export."""

from __future__ import annotations

import io
from typing import Annotated, Any, Literal

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from lienthong.http import Problem
from lienthong.http.openapi import problems
from lienthong.schemas.survey import AnswerChannel, Level, SipasFactor
from lienthong.schemas.text import VISIBLE_PATTERN, nfc, visible_text
from lienthong.security import StaffUser
from lienthong_survey.aggregate import Dimension
from lienthong_survey.answers import AnswerInput
from lienthong_survey.statistics import StatsFilter
from lienthong_survey.tokens import link_path
from lienthong_survey.web import REFUSALS, SurveyWeb

MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"

# What a survey link can answer: unknown 404, already answered 409, expired 410, too many
# attempts from one address 429.
LINK_ERRORS = problems(404, 409, 410, 429)
STAFF_ERRORS = problems(401, 403)
SVG: dict[str, Any] = {
    "description": "the QR code",
    "content": {"image/svg+xml": {"schema": {"type": "string"}}},
}
CSV: dict[str, Any] = {
    "description": "one row per month and unit",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}


class AnswerIn(BaseModel):
    """An answer through the API (mobile apps, kiosks)."""

    model_config = ConfigDict(extra="forbid")

    overall: Level
    units: dict[str, Level] = Field(default_factory=dict)
    factors: dict[SipasFactor, Level] = Field(default_factory=dict)
    comment: Annotated[
        str, BeforeValidator(nfc), StringConstraints(max_length=2000), AfterValidator(visible_text)
    ] = Field(
        default="",
        description="NFC; invisible characters (bidi controls) are refused",
        json_schema_extra={"pattern": VISIBLE_PATTERN},
    )
    desk: str | None = Field(default=None, max_length=64, pattern=r"^[A-Za-z0-9._-]+$")

    def to_input(self, channel: AnswerChannel, address: str, user_agent: str) -> AnswerInput:
        return AnswerInput(
            overall=self.overall,
            units=self.units,
            factors=self.factors,
            comment=self.comment,
            desk=self.desk,
            channel=channel,
            address=address,
            user_agent=user_agent,
        )


class AnswerOut(BaseModel):
    status: Literal["recorded"] = "recorded"
    answered_at: str


def stats_filter(
    month_from: Annotated[str | None, Query(alias="from", pattern=MONTH)] = None,
    month_to: Annotated[str | None, Query(alias="to", pattern=MONTH)] = None,
    procedure: Annotated[str | None, Query(max_length=64)] = None,
    unit: Annotated[str | None, Query(max_length=64)] = None,
) -> StatsFilter:
    return StatsFilter(month_from, month_to, procedure, unit)


FilterDep = Annotated[StatsFilter, Depends(stats_filter)]


def build_api(web: SurveyWeb) -> APIRouter:
    router = APIRouter(prefix="/v1/surveys", tags=["survey"])

    @router.post(
        "/{token}/answers",
        status_code=201,
        summary="Answer a survey (once per link)",
        # 403: credentials (staff cannot answer for a citizen); 503: not recorded, retry.
        responses={**LINK_ERRORS, **problems(403, 422, 503)},
    )
    async def answer(token: str, body: AnswerIn, request: Request) -> AnswerOut:
        client = web.guard_answer(request)
        given = body.to_input("api", client, request.headers.get("user-agent", ""))
        try:
            fact = await web.answers.answer(token, given)
        except REFUSALS as error:
            raise web.problem_for(error, client) from None
        return AnswerOut(answered_at=fact.answered_at.isoformat())

    @router.get("/{token}", summary="The questions a survey link opens", responses=LINK_ERRORS)
    async def questions(token: str, request: Request) -> dict[str, Any]:
        client = web.guard_lookup(request)
        try:
            invitation = await web.answers.open_invitation(token)
        except REFUSALS as error:
            raise web.problem_for(error, client) from None
        return {
            "code": invitation["code"],
            "units": invitation["units"],
            "expires_at": invitation["expires_at"],
            "question_set": web.questions.model_dump(mode="json"),
        }

    @router.get(
        "/{token}/qr.svg",
        summary="QR code of the survey link (receipt, desk)",
        response_class=Response,
        responses={200: SVG, **LINK_ERRORS},
    )
    async def qr(token: str, request: Request) -> Response:
        client = web.guard_lookup(request)
        try:
            await web.answers.open_invitation(token)
        except REFUSALS as error:
            raise web.problem_for(error, client) from None
        base = web.settings.public_base_url or str(request.base_url).rstrip("/")
        image = qrcode.make(base + link_path(token), image_factory=qrcode.image.svg.SvgPathImage)
        out = io.BytesIO()
        image.save(out)
        return Response(out.getvalue(), media_type="image/svg+xml")

    return router


def build_stats_api(web: SurveyWeb) -> APIRouter:
    router = APIRouter(prefix="/v1/surveys", tags=["survey statistics"])

    @router.get(
        "/stats",
        summary="Satisfaction, participation, on-time rates and 766 groups",
        responses=STAFF_ERRORS,
    )
    async def stats(
        _staff: StaffUser,
        filters: FilterDep,
        by: Dimension = "unit",
    ) -> dict[str, Any]:
        return await web.statistics.summary(filters, by)

    @router.get(
        "/export.csv",
        summary="Per month and unit, for bonus calculations",
        response_class=Response,
        responses={200: CSV, **STAFF_ERRORS},
    )
    async def export(_staff: StaffUser, filters: FilterDep) -> Response:
        body = await web.statistics.csv(filters)
        headers = {"Content-Disposition": 'attachment; filename="survey-stats.csv"'}
        return Response(body, media_type="text/csv; charset=utf-8", headers=headers)

    @router.get(
        "/dossiers/{dossier_id}/indicators",
        summary="Circular 01/2018 indicators",
        responses={**STAFF_ERRORS, **problems(404)},
    )
    async def indicators(_staff: StaffUser, dossier_id: str) -> dict[str, Any]:
        found = await web.statistics.dossier(dossier_id)
        if found is None:
            raise Problem(404, "Unknown dossier", type="urn:lienthong:problem:survey:dossier")
        return found

    return router
