"""Everything the intake use cases need, built once by the composition root (`service.py`)."""

from __future__ import annotations

from dataclasses import dataclass

from lienthong.bus import Bus
from lienthong.clock import Clock
from lienthong.domain import Catalogue, TopologyTimeline, WorkingCalendar
from lienthong.settings import Settings
from lienthong.store import Store
from lienthong_intake.attachments import Attachments
from lienthong_intake.codes import DossierCodes
from lienthong_intake.config import IntakeSettings
from lienthong_intake.idempotency import IdempotencyLedger
from lienthong_intake.rate_limit import FailureLimiter

SOURCE = "/lienthong/intake"
SUBMISSIONS = "submissions"
SUBMISSION_CODES = "submission_codes"  # the dossier code fixed for an Idempotency-Key
SUBMISSION_ANSWERS = "submission_answers"  # the answer recorded for an Idempotency-Key
TRACKING = "tracking"
ATTACHMENTS = "attachments"


@dataclass(frozen=True)
class Intake:
    bus: Bus
    store: Store
    catalogue: Catalogue
    timeline: TopologyTimeline
    calendar: WorkingCalendar
    settings: IntakeSettings
    secret_key: bytes
    clock: Clock
    ledger: IdempotencyLedger
    limiter: FailureLimiter
    attachments: Attachments
    codes: DossierCodes
    runtime: Settings
