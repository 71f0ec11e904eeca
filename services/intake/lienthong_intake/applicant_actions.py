"""Use cases of the applicant on a received dossier: provide a supplement, withdraw.

Both need the dossier code and its tracking secret (failures count against the client like a
tracking look-up). The events they record have ids derived from the dossier's state, so a
retried request records nothing new: consumers drop the duplicate id.
"""

from __future__ import annotations

import structlog

from lienthong.events import derived_id
from lienthong.http import Problem
from lienthong.schemas.dossier import DossierWithdrawn, SupplementProvided
from lienthong.topics import DOSSIER_EVENTS
from lienthong_intake.context import SOURCE, Intake
from lienthong_intake.models import ActionOut, SupplementIn, WithdrawalIn
from lienthong_intake.projection import TrackingProjection
from lienthong_intake.tracking import FINISHED, find_dossier

log = structlog.get_logger("lienthong.intake")


async def provide_supplement(
    intake: Intake,
    projection: TrackingProjection,
    code: str,
    supplement: SupplementIn,
    client: str,
) -> ActionOut:
    """Answer a supplement request (bổ sung hồ sơ) with every document it asked for."""
    view = await find_dossier(intake, projection, code, supplement.secret, client)
    request_id = view.get("supplement_request_id")
    event_id = derived_id(request_id or "", "supplement-provided")
    if request_id is not None and event_id in view["events"]:  # a retry, already recorded
        return ActionOut(code=code, status="processing")
    if view["status"] != "supplement_requested" or request_id is None:
        raise _conflict("no supplement is requested for this dossier")
    provided = {document.type for document in supplement.documents}
    missing = sorted(set(view.get("missing", [])) - provided)
    if missing:
        raise Problem(
            422,
            "Supplement incomplete",
            "every requested document is needed at once",
            type="urn:lienthong:problem:supplement-incomplete",
            missing=missing,
        )
    digests = await intake.attachments.digests(supplement.documents)
    event = SupplementProvided(document_sha256=digests).to_event(
        view["_id"], source=SOURCE, id=event_id
    )
    await intake.bus.publish(DOSSIER_EVENTS, event)
    log.info("dossier_supplement_provided", dossier_id=view["_id"], code=code)
    return ActionOut(code=code, status="processing")


async def withdraw_dossier(
    intake: Intake,
    projection: TrackingProjection,
    code: str,
    withdrawal: WithdrawalIn,
    client: str,
) -> ActionOut:
    """The applicant withdraws the dossier (rút hồ sơ) before its result is returned."""
    view = await find_dossier(intake, projection, code, withdrawal.secret, client)
    if view["status"] in FINISHED - {"withdrawn", "processing_done"}:  # not yet returned
        raise _conflict(f"a dossier in status {view['status']} cannot be withdrawn")
    event = DossierWithdrawn(reason=withdrawal.reason).to_event(
        view["_id"], source=SOURCE, id=derived_id(view["_id"], "withdrawn")
    )
    await intake.bus.publish(DOSSIER_EVENTS, event)
    log.info("dossier_withdrawn", dossier_id=view["_id"], code=code)
    return ActionOut(code=code, status="withdrawn")


def _conflict(detail: str) -> Problem:
    return Problem(409, "Not possible now", detail, type="urn:lienthong:problem:dossier-state")
