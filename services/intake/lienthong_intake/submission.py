"""Use case: submit a dossier (nộp hồ sơ) and decide its receipt outcome.

Every outcome is recorded on `dossier.events`, keyed by the dossier id: `dossier.submitted`,
then `dossier.received`, `dossier.supplement-requested` or `dossier.rejected`. Document
contents are never recorded, only their SHA-256; personal data never reaches the logs.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import structlog

from lienthong.domain import DossierSchedule
from lienthong.events import Event, Payload, derived_id
from lienthong.http import Problem
from lienthong.outages import is_outage
from lienthong.schemas.dossier import (
    Applicant,
    DossierReceived,
    DossierRejected,
    DossierSubmitted,
    SupplementRequested,
)
from lienthong.topics import DOSSIER_EVENTS
from lienthong_intake.context import SOURCE, Intake
from lienthong_intake.eligibility import (
    Application,
    Assessment,
    Complete,
    Incomplete,
    assess_application,
)
from lienthong_intake.idempotency import Claim, StoredAnswer, fingerprint
from lienthong_intake.models import (
    MissingDocument,
    ReceivedOut,
    RejectedOut,
    SubmissionIn,
    SupplementRequestedOut,
)
from lienthong_intake.tracking_secret import secret_sha256, tracking_secret

log = structlog.get_logger("lienthong.intake")


async def submit_dossier(
    intake: Intake, idempotency_key: str, submission: SubmissionIn
) -> StoredAnswer:
    """Receive a submission once per key; a retry gets the first attempt's answer, or
    finishes what it started."""
    digests = await intake.attachments.digests(submission.documents)
    # The files' digests, not how they came (inline or uploaded, which upload): a form posted
    # twice re-uploads its files under new attachment ids and is still the same request.
    body = submission.model_dump(mode="json", exclude={"documents"})
    body_fingerprint = fingerprint({**body, "documents": digests})
    claim = await intake.ledger.claim(idempotency_key, body_fingerprint, intake.clock())
    answer = claim.answer or await _decide_once(
        intake, claim, body_fingerprint, submission, digests
    )
    return _with_tracking_secret(intake, answer)


async def _decide_once(
    intake: Intake,
    claim: Claim,
    body_fingerprint: str,
    submission: SubmissionIn,
    digests: dict[str, str],
) -> StoredAnswer:
    """Every step is repeatable: the events' ids, the moment and the code are fixed by the
    claim, so an attempt after a failure (or a kill) publishes the very same events."""
    try:
        dossier_id = derived_id(claim.id, "dossier")
        received_at = claim.received_at
        submitted = _submitted_event(dossier_id, submission, digests, received_at)
        # First the submission alone: with the broker down, no code is drawn.
        await _publish(intake, submitted)
        assessment = assess_application(
            intake.catalogue, intake.timeline, _application(submission), received_at
        )
        ward = submission.applicant.ward_code
        outcome, answer = await _outcome(intake, claim, dossier_id, ward, assessment)
        # One id for whatever the outcome is, and the moment of receipt as its time: an
        # attempt that decides again publishes a copy, never a second outcome.
        decided = outcome.caused_by(submitted, source=SOURCE, reaction="outcome", time=received_at)
        await _publish(intake, decided)
        await intake.ledger.record(claim, body_fingerprint, answer)
    except BaseException:
        await intake.ledger.interrupt(claim)
        raise
    return answer


async def _publish(intake: Intake, event: Event) -> None:
    """Publish, or answer 503 within the configured time when the broker does not take it
    (the client retries with the same key; the same event ids are published again)."""
    try:
        await asyncio.wait_for(
            intake.bus.publish(DOSSIER_EVENTS, event), intake.settings.publish_timeout_s
        )
    except Exception as exc:
        if not isinstance(exc, TimeoutError) and not is_outage(exc):
            raise
        log.warning("submission_not_published", error=type(exc).__name__, dossier_id=event.subject)
        raise Problem(
            503,
            "Service temporarily unavailable",
            "the submission could not be recorded right now; nothing is lost: "
            "retry with the same Idempotency-Key",
            type="urn:lienthong:problem:unavailable",
            headers={"Retry-After": str(intake.settings.retry_after_s)},
        ) from exc


async def _outcome(
    intake: Intake, claim: Claim, dossier_id: str, ward: str, assessment: Assessment
) -> tuple[Payload, StoredAnswer]:
    if isinstance(assessment, Complete):
        return await receive_dossier(intake, claim, dossier_id, ward, assessment)
    if isinstance(assessment, Incomplete):
        return request_supplement(dossier_id, assessment)
    log.info("dossier_rejected", dossier_id=dossier_id, reasons=len(assessment.reasons))
    answer = RejectedOut(dossier_id=dossier_id, reasons=list(assessment.reasons))
    return DossierRejected(reasons=list(assessment.reasons)), _stored(200, answer)


async def receive_dossier(
    intake: Intake, claim: Claim, dossier_id: str, ward: str, complete: Complete
) -> tuple[Payload, StoredAnswer]:
    """Complete: the dossier code (fixed for the key at its first draw) and the appointment."""
    unit = complete.receiving_unit
    agency_id = intake.settings.agency_id_for(unit.code)
    received_at = claim.received_at
    code = await intake.ledger.fix_code(claim, lambda: intake.codes.issue(agency_id, received_at))
    schedule = DossierSchedule.plan(
        complete.procedure, intake.calendar, received_at, complete.selection
    )
    appointment_at = schedule.dossier_due()
    secret = tracking_secret(intake.secret_key, dossier_id)
    event = DossierReceived(
        code=code,
        procedure=complete.procedure.code,
        procedure_version=str(complete.procedure.version),
        receiving_unit=unit.code,
        received_at=received_at,
        appointment_at=appointment_at,
        sub_procedures=sorted(complete.selection),
        ward_code=ward,
        tracking_secret_sha256=secret_sha256(secret),
    )
    log.info("dossier_received", dossier_id=dossier_id, code=code, unit=unit.code)
    answer = ReceivedOut(
        dossier_id=dossier_id,
        code=code,
        appointment_at=appointment_at,
        tracking_secret="",  # never stored: re-derived for every answer
        receipt_url=f"/v1/dossiers/{code}/receipt",
    )
    return event, _stored(201, answer)


def request_supplement(dossier_id: str, incomplete: Incomplete) -> tuple[Payload, StoredAnswer]:
    """Incomplete: ask for every missing document at once."""
    missing = [MissingDocument(type=d.type, name=d.name.vi) for d in incomplete.missing]
    event = SupplementRequested(
        missing=[d.type for d in incomplete.missing],
        requested_by=incomplete.receiving_unit.code,
    )
    log.info("dossier_supplement_requested", dossier_id=dossier_id, missing=len(missing))
    answer = SupplementRequestedOut(dossier_id=dossier_id, missing=missing)
    return event, _stored(200, answer)


def _submitted_event(
    dossier_id: str, submission: SubmissionIn, digests: dict[str, str], at: datetime
) -> Event:
    payload = DossierSubmitted(
        procedure=submission.procedure,
        channel=submission.channel,
        ward_code=submission.applicant.ward_code,
        document_sha256=digests,
        sub_procedures=sorted(submission.sub_procedures),
        form=submission.form,
        applicant=Applicant(**submission.applicant.model_dump()),
        submitted_at=at,
    )
    return payload.to_event(
        dossier_id, source=SOURCE, id=derived_id(dossier_id, "submitted"), time=at
    )


def _application(submission: SubmissionIn) -> Application:
    return Application(
        procedure=submission.procedure,
        ward_code=submission.applicant.ward_code,
        form=submission.form,
        document_types=frozenset(d.type for d in submission.documents),
        sub_procedures=frozenset(submission.sub_procedures),
    )


def _stored(
    status_code: int, answer: ReceivedOut | SupplementRequestedOut | RejectedOut
) -> StoredAnswer:
    body: dict[str, Any] = answer.model_dump(mode="json")
    body.pop("tracking_secret", None)
    body.pop("form_url", None)
    return StoredAnswer(status_code, body)


FORM_OF_OUTCOME = {"supplement_requested": "supplement-form", "rejected": "rejection-form"}


def _with_tracking_secret(intake: Intake, answer: StoredAnswer) -> StoredAnswer:
    """Add what holds the secret (never stored: re-derived from the dossier id)."""
    body = answer.body
    secret = tracking_secret(intake.secret_key, body["dossier_id"])
    if body.get("status") == "received":
        receipt_url = f"{body['receipt_url']}?secret={secret}"
        body = {**body, "tracking_secret": secret, "receipt_url": receipt_url}
    else:
        form = FORM_OF_OUTCOME[body["status"]]
        body = {**body, "form_url": f"/v1/dossiers/{body['dossier_id']}/{form}?secret={secret}"}
    return StoredAnswer(answer.status_code, body)
