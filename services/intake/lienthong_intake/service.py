"""Composition root of the intake service.

Citizen-facing side: submission at the counter, by post or online; receipts with the appointment
date; supplements and withdrawal; citizen tracking; the public procedure catalogue.
"""

from __future__ import annotations

from datetime import UTC, datetime

from lienthong.domain import default_calendar, default_catalogue, default_timeline
from lienthong.runtime import ServiceContext, ServiceSpec
from lienthong.topics import DOSSIER_EVENTS
from lienthong_intake.api import build_router
from lienthong_intake.config import IntakeSettings
from lienthong_intake.context import SUBMISSIONS, TRACKING, Clock, Intake
from lienthong_intake.idempotency import IdempotencyLedger
from lienthong_intake.projection import TrackingProjection
from lienthong_intake.rate_limit import FailureLimiter

SUMMARY = " ".join((__doc__ or "").split("\n\n")[1].split())


def _now() -> datetime:
    return datetime.now(UTC)


def build(
    context: ServiceContext, settings: IntakeSettings | None = None, clock: Clock = _now
) -> ServiceSpec:
    """Wire the intake service from the runtime's context (its one composition root)."""
    config = settings or IntakeSettings()
    intake = Intake(
        bus=context.bus,
        store=context.store,
        catalogue=default_catalogue(),
        timeline=default_timeline(),
        calendar=default_calendar(),
        settings=config,
        secret_key=context.settings.token_key.get_secret_value().encode(),
        clock=clock,
        ledger=IdempotencyLedger(context.store.collection(SUBMISSIONS), config.idempotency_wait_s),
        limiter=FailureLimiter(config.tracking_failures_allowed, config.tracking_failure_window_s),
    )
    projection = TrackingProjection(context.store.collection(TRACKING))
    return ServiceSpec(
        name=context.name,
        summary=SUMMARY,
        router=build_router(intake, projection),
        consumes=[DOSSIER_EVENTS],
        handlers=projection.handlers(),
        on_start=[projection.prepare],
    )
