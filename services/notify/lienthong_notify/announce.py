"""Every status change of a message is an event on `dossier.events`.

The event of a status is built from the message document alone, with an id derived from
(notification id, status): announcing twice (a retry, the sweep after a failed publish)
produces the same event, which consumers drop. The sweep re-announces a status whose publish
did not complete (the store said `unannounced` for longer than a moment).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from prometheus_client import Counter

from lienthong.bus import Bus
from lienthong.events import Event, Payload, derived_id
from lienthong.outages import is_outage
from lienthong.schemas.notify import (
    NotificationDelivered,
    NotificationFailed,
    NotificationQueued,
    NotificationSent,
    NotificationSuppressed,
)
from lienthong.store import Document
from lienthong.topics import DOSSIER_EVENTS
from lienthong_notify.outbox import Outbox

SOURCE = "/services/notify"
log = structlog.get_logger("lienthong.notify")
UNANNOUNCEABLE_MESSAGES = Counter(
    "lienthong_notify_unannounceable_total",
    "Messages whose status event the sweep could not build or publish (logged by id, then "
    "left out of the sweep and never sent)",
)


def status_payload(doc: Document) -> Payload:
    common = {"notification_id": doc["_id"], "channel": doc["channel"]}
    status = doc["status"]
    if status == "queued":
        return NotificationQueued(
            **common,
            trigger=doc["trigger"],
            template=doc["template"],
            not_before=doc.get("held_until"),
        )
    if status == "suppressed":
        return NotificationSuppressed(**common, trigger=doc["trigger"], reason="opted_out")
    if status == "sent":
        return NotificationSent(
            **common, provider=doc["provider"], reference=doc["reference"], attempts=doc["attempts"]
        )
    if status == "delivered":
        return NotificationDelivered(
            **common, provider=doc["provider"], delivered_at=doc["delivered_at"]
        )
    reason = doc.get("last_error") or "unknown"
    return NotificationFailed(**common, reason=reason, attempts=doc.get("attempts", 0))


def status_event(doc: Document) -> Event:
    payload = status_payload(doc)
    event = payload.to_event(
        doc["dossier_id"], source=SOURCE, id=derived_id(doc["_id"], f"notify:{payload.event_type}")
    )
    return event.model_copy(update={"causationid": doc["trigger_id"]})


class Announcer:
    """Publishes status events and marks them announced; sweeps the ones left behind."""

    def __init__(self, bus: Bus, outbox: Outbox, grace_s: float = 5.0) -> None:
        self.bus = bus
        self.outbox = outbox
        self.grace = timedelta(seconds=grace_s)

    async def publish(self, doc: Document, *, mark: bool = True) -> None:
        """Publish the status event of `doc`; `mark` clears its `unannounced` flag (statuses
        set outside a consumer handler; inside one, a failed publish fails the handler and
        the bus retries it)."""
        await self.bus.publish(DOSSIER_EVENTS, status_event(doc))
        if mark:
            await self.outbox.announced(doc["_id"], doc["status"])

    async def sweep(self, now: datetime) -> int:
        """Announce what was left unannounced, oldest first; a message whose event cannot be
        built or is refused is logged and passed over, so it holds up no other (an outage
        ends the sweep: the next one tries again)."""
        stale = await self.outbox.unannounced(now - self.grace)
        announced = 0
        for doc in stale:
            try:
                await self.publish(doc)
            except Exception as exc:
                if is_outage(exc):
                    raise
                UNANNOUNCEABLE_MESSAGES.inc()
                log.error(
                    "notification_unannounceable",
                    notification_id=doc["_id"],
                    status=doc.get("status"),
                    error=type(exc).__name__,
                )
                await self.outbox.unannounceable(doc["_id"], type(exc).__name__)
                continue
            announced += 1
        return announced
