"""Composition root of the intake service.

Citizen-facing side: submission at the counter, by post or online; receipts with the appointment
date; supplements and withdrawal; citizen tracking; the public procedure catalogue.
"""

from __future__ import annotations

from lienthong.clock import Clock, utc_now
from lienthong.domain import default_calendar, default_catalogue, default_timeline
from lienthong.runtime import ServiceContext, ServiceSpec
from lienthong.topics import DOSSIER_EVENTS
from lienthong_intake.api import build_router
from lienthong_intake.attachments import Attachments
from lienthong_intake.blobs import BlobStore, FileBlobStore, MemoryBlobStore
from lienthong_intake.blobs.s3 import S3BlobStore
from lienthong_intake.blobs.sigv4 import Credentials
from lienthong_intake.codes import DossierCodes
from lienthong_intake.config import IntakeSettings
from lienthong_intake.context import (
    ATTACHMENTS,
    SUBMISSION_ANSWERS,
    SUBMISSION_CODES,
    SUBMISSIONS,
    TRACKING,
    Intake,
)
from lienthong_intake.idempotency import IdempotencyLedger
from lienthong_intake.pages import build_pages
from lienthong_intake.projection import TrackingProjection
from lienthong_intake.rate_limit import FailureLimiter

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())


def build(
    context: ServiceContext, settings: IntakeSettings | None = None, clock: Clock = utc_now
) -> ServiceSpec:
    """Wire the intake service from the runtime's context (its one composition root)."""
    config = settings or IntakeSettings()
    intake = Intake(
        bus=context.bus,
        store=context.store,
        catalogue=default_catalogue(context.settings.catalogue_dir),
        timeline=default_timeline(),
        calendar=default_calendar(),
        settings=config,
        secret_key=context.settings.token_key.get_secret_value().encode(),
        clock=clock,
        ledger=IdempotencyLedger(
            claims=context.store.collection(SUBMISSIONS),
            codes=context.store.collection(SUBMISSION_CODES),
            answers=context.store.collection(SUBMISSION_ANSWERS),
            wait_s=config.idempotency_wait_s,
            attempt_s=config.attempt_s,
        ),
        limiter=FailureLimiter(config.tracking_failures_allowed, config.tracking_failure_window_s),
        attachments=Attachments(
            build_blob_store(config, context.settings.embedded),
            context.store.collection(ATTACHMENTS),
            config.max_attachment_bytes,
        ),
        codes=DossierCodes(context.store),
        runtime=context.settings,
    )
    projection = TrackingProjection(context.cached(TRACKING))
    router = build_router(intake, projection)
    router.include_router(build_pages(intake, projection))
    return ServiceSpec(
        name=context.name,
        summary=SUMMARY,
        router=router,
        consumes=[DOSSIER_EVENTS],
        handlers=projection.handlers(),
        projections=[TRACKING],
        setup=[projection.prepare],
    )


def build_blob_store(config: IntakeSettings, embedded: bool) -> BlobStore:
    kind = config.blob_store
    if kind == "auto":
        kind = "memory" if embedded else "filesystem"
    if kind == "memory":
        return MemoryBlobStore()
    if kind == "filesystem":
        return FileBlobStore(config.blob_dir)
    if not (config.s3_endpoint and config.s3_bucket):
        raise ValueError("blob_store=s3 needs LIENTHONG_INTAKE_S3_ENDPOINT and _S3_BUCKET")
    credentials = Credentials(
        config.s3_access_key, config.s3_secret_key.get_secret_value(), config.s3_region
    )
    return S3BlobStore(config.s3_endpoint, config.s3_bucket, credentials)
