"""Who may read a dossier's printed forms: its applicant (the tracking secret) or staff.

A form is asked for right after the submission answered, sometimes before the tracking view
has caught up with the events; the look-up therefore waits up to `form_wait_s`. A failure
always waits the full time, wrong secret or unknown dossier alike, and counts against the
client like a failed tracking look-up.
"""

from __future__ import annotations

import asyncio

import structlog
from fastapi import HTTPException

from lienthong.http import Problem
from lienthong.store import Document
from lienthong_intake.context import Intake
from lienthong_intake.projection import TrackingProjection
from lienthong_intake.staff import Viewer
from lienthong_intake.tracking_secret import secret_matches, secret_sha256, tracking_secret

log = structlog.get_logger("lienthong.intake")
POLL_S = 0.1


async def authorised_view(
    intake: Intake,
    projection: TrackingProjection,
    reference: str,
    secret: str | None,
    viewer: Viewer,
) -> Document:
    """The tracking view of dossier `reference` (code or id), if `viewer` may see it."""
    if viewer.staff is None and not secret:
        raise HTTPException(
            401, "give the tracking secret or a staff token", {"WWW-Authenticate": "Bearer"}
        )
    if viewer.staff is None:
        wait = intake.limiter.retry_after(viewer.client)
        if wait:
            detail = f"too many failed look-ups; try again in {wait} seconds"
            raise HTTPException(429, detail, headers={"Retry-After": str(wait)})
    loop = asyncio.get_running_loop()
    deadline = loop.time() + intake.settings.form_wait_s
    while True:
        view = await projection.by_reference(reference)
        if view is not None and (viewer.staff is not None or _holds(intake, view, secret)):
            return view
        if loop.time() >= deadline:
            break
        await asyncio.sleep(POLL_S)
    if viewer.staff is None:
        intake.limiter.record_failure(viewer.client)
    log.info("form_lookup_failed")
    raise Problem(
        404,
        "Dossier not found",
        "no dossier with this reference and secret",
        type="urn:lienthong:problem:dossier-not-found",
    )


def _holds(intake: Intake, view: Document, secret: str | None) -> bool:
    """The secret is derived from the dossier id, so it exists for every outcome."""
    expected = secret_sha256(tracking_secret(intake.secret_key, view["_id"]))
    return secret is not None and secret_matches(secret, expected)
