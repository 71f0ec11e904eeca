"""Use case: track a dossier (tra cứu hồ sơ) by its code and tracking secret.

A wrong secret and an unknown code answer the same 404, and every failure counts against the
client: after too many, the client gets 429 until the window has passed.
"""

from __future__ import annotations

from datetime import datetime

import structlog
from fastapi import HTTPException

from lienthong.http import Problem
from lienthong.store import Document
from lienthong_intake.context import Intake
from lienthong_intake.models import TimelineEntry, TrackingOut
from lienthong_intake.projection import TrackingProjection
from lienthong_intake.tracking_secret import secret_matches

log = structlog.get_logger("lienthong.intake")

FINISHED = frozenset({"not_received", "withdrawn", "processing_done", "result_returned"})


async def track_dossier(
    intake: Intake, projection: TrackingProjection, code: str, secret: str, client: str
) -> TrackingOut:
    view = await find_dossier(intake, projection, code, secret, client)
    return tracking_answer(view, intake.clock())


async def find_dossier(
    intake: Intake, projection: TrackingProjection, code: str, secret: str, client: str
) -> Document:
    """The dossier's tracking view, for whoever holds its code and secret."""
    wait = intake.limiter.retry_after(client)
    if wait:
        detail = f"too many failed look-ups; try again in {wait} seconds"
        raise HTTPException(429, detail, headers={"Retry-After": str(wait)})
    view = await projection.by_code(code)
    if view is None or not secret_matches(secret, view.get("secret_sha256") or ""):
        intake.limiter.record_failure(client)
        log.info("tracking_lookup_failed")
        raise Problem(
            404,
            "Dossier not found",
            "no dossier with this code and secret",
            type="urn:lienthong:problem:dossier-not-found",
        )
    return view


def tracking_answer(view: Document, now: datetime) -> TrackingOut:
    appointment = view.get("appointment_at")
    appointment_at = datetime.fromisoformat(appointment) if appointment else None
    status = view["status"]
    overdue = appointment_at is not None and status not in FINISHED and now > appointment_at
    return TrackingOut(
        code=view["code"],
        procedure=view.get("procedure") or "",
        status=status,
        unit=view.get("unit"),
        appointment_at=appointment_at,
        overdue=overdue,
        timeline=[TimelineEntry.model_validate(entry) for entry in view.get("timeline", [])],
    )
