"""HTTP routes of the intake service: thin, each hands over to one use case."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Header, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse

from lienthong_intake.applicant_actions import provide_supplement, withdraw_dossier
from lienthong_intake.catalogue_views import describe_procedure, list_procedures
from lienthong_intake.context import Intake
from lienthong_intake.models import (
    ActionOut,
    AttachmentOut,
    ProcedureDetail,
    ProcedureSummary,
    ReceivedOut,
    RejectedOut,
    SubmissionIn,
    SupplementIn,
    SupplementRequestedOut,
    TrackingOut,
    WithdrawalIn,
)
from lienthong_intake.printed_forms import (
    RECEIPT,
    REJECTION_FORM,
    SUPPLEMENT_FORM,
    PrintedForm,
    print_form,
)
from lienthong_intake.projection import TrackingProjection
from lienthong_intake.staff import viewer_of
from lienthong_intake.submission import submit_dossier
from lienthong_intake.tracking import track_dossier

PROBLEM: dict[str, Any] = {"content": {"application/problem+json": {}}}

IdempotencyKey = Annotated[
    str,
    Header(
        alias="Idempotency-Key",
        min_length=8,
        max_length=200,
        description="client-chosen unique key; a retry with the same key gets the same answer",
    ),
]
TrackingSecret = Annotated[str, Query(min_length=1, max_length=100)]
FormSecret = Annotated[
    str | None,
    Query(max_length=100, description="the tracking secret (not needed with a staff token)"),
]
HTML: dict[str, Any] = {"content": {"text/html": {}}, "description": "printable HTML"}
FORM_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: HTML,
    401: PROBLEM,
    404: PROBLEM,
    409: PROBLEM,
    429: PROBLEM,
}
PRINTED_FORMS = {
    "receipt": (RECEIPT, "Giấy tiếp nhận hồ sơ và hẹn trả kết quả (receipt)"),
    "supplement-form": (SUPPLEMENT_FORM, "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ"),
    "rejection-form": (REJECTION_FORM, "Phiếu từ chối tiếp nhận giải quyết hồ sơ"),
}


def build_router(intake: Intake, projection: TrackingProjection) -> APIRouter:
    router = APIRouter(tags=["intake"])
    _add_intake_routes(router, intake)
    _add_applicant_routes(router, intake, projection)
    for path, (form, summary) in PRINTED_FORMS.items():
        _add_printed_form(router, intake, projection, path, form, summary)
    return router


def _add_intake_routes(router: APIRouter, intake: Intake) -> None:
    """The catalogue, uploads and submissions."""

    @router.get("/v1/procedures", summary="Procedures in force (public catalogue)")
    async def procedures() -> list[ProcedureSummary]:
        return list_procedures(intake.catalogue, intake.clock())

    @router.get(
        "/v1/procedures/{code}",
        summary="One procedure in force, with its required documents",
        responses={404: PROBLEM},
    )
    async def procedure(code: str) -> ProcedureDetail:
        return describe_procedure(intake.catalogue, code, intake.clock())

    @router.post(
        "/v1/dossiers",
        summary="Submit a dossier (online, at the counter or by post)",
        status_code=201,
        response_model=None,
        responses={
            201: {"model": ReceivedOut, "description": "complete: received, with code"},
            200: {
                "model": SupplementRequestedOut | RejectedOut,
                "description": "incomplete (`supplement_requested`) or not eligible (`rejected`)",
            },
            409: PROBLEM,
            422: PROBLEM,
        },
    )
    async def submit(submission: SubmissionIn, idempotency_key: IdempotencyKey) -> JSONResponse:
        answer = await submit_dossier(intake, idempotency_key, submission)
        return JSONResponse(answer.body, status_code=answer.status_code)

    @router.post(
        "/v1/attachments",
        summary="Upload a digitised document (PDF, JPEG or PNG) to reference in a submission",
        status_code=201,
        responses={413: PROBLEM, 415: PROBLEM, 422: PROBLEM},
    )
    async def attachments(file: Annotated[UploadFile, File()]) -> AttachmentOut:
        content = await file.read(intake.attachments.max_bytes + 1)
        filename = file.filename or "document"
        return await intake.attachments.upload(content, filename, intake.clock().isoformat())


def _add_applicant_routes(
    router: APIRouter, intake: Intake, projection: TrackingProjection
) -> None:
    """What the holder of a dossier's code and secret can do."""

    @router.post(
        "/v1/dossiers/{code}/supplements",
        summary="Provide the documents a supplement request asked for",
        status_code=202,
        responses={404: PROBLEM, 409: PROBLEM, 422: PROBLEM, 429: PROBLEM},
    )
    async def supplements(code: str, supplement: SupplementIn, request: Request) -> ActionOut:
        return await provide_supplement(intake, projection, code, supplement, _client(request))

    @router.post(
        "/v1/dossiers/{code}/withdrawal",
        summary="Withdraw the dossier (by its applicant)",
        status_code=202,
        responses={404: PROBLEM, 409: PROBLEM, 429: PROBLEM},
    )
    async def withdrawal(code: str, withdrawal: WithdrawalIn, request: Request) -> ActionOut:
        return await withdraw_dossier(intake, projection, code, withdrawal, _client(request))

    @router.get(
        "/v1/tracking/{code}",
        summary="Track a dossier by its code and tracking secret",
        responses={404: PROBLEM, 429: PROBLEM},
    )
    async def tracking(code: str, secret: TrackingSecret, request: Request) -> TrackingOut:
        return await track_dossier(intake, projection, code, secret, _client(request))


def _add_printed_form(
    router: APIRouter,
    intake: Intake,
    projection: TrackingProjection,
    path: str,
    form: PrintedForm,
    summary: str,
) -> None:
    """`{code}` is the dossier code, or the dossier id for one that was not received."""

    @router.get(
        f"/v1/dossiers/{{code}}/{path}",
        summary=summary,
        response_class=HTMLResponse,
        responses=FORM_RESPONSES,
        name=path,
    )
    async def printed(code: str, request: Request, secret: FormSecret = None) -> HTMLResponse:
        viewer = viewer_of(intake.runtime, request, intake.settings.public_url)
        html = await print_form(intake, projection, form, code, secret, viewer)
        return HTMLResponse(html)


def _client(request: Request) -> str:
    """The peer address (a proxy's X-Forwarded-For is not trusted: anyone can write it)."""
    return request.client.host if request.client else "unknown"
