"""Facts the notify service records on `dossier.events` (subject = dossier id).

Every status change of a message to a citizen is an event; none carries personal data (no
recipient, no body): the message itself lives in the notify service's store and its body is
purged after the retention period. `notification_id` is derived from (causing event id,
channel), so it is the same across retries and restarts; the ids of these events are derived
from it and the status, so a repeated status change is a duplicate downstream drops.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from lienthong.events import Payload, payload
from lienthong.topics import DOSSIER_EVENTS

NotificationChannel = Literal["sms", "email"]


@payload("dossier.notification-queued", topic=DOSSIER_EVENTS)
class NotificationQueued(Payload):
    """A message to the citizen was rendered and waits for its provider."""

    notification_id: str
    channel: NotificationChannel
    trigger: str = Field(description="type of the event the citizen is told about")
    template: str = Field(description="template id@version")
    not_before: datetime | None = Field(
        default=None, description="held until then (SMS quiet hours), if at all"
    )


@payload("dossier.notification-suppressed", topic=DOSSIER_EVENTS)
class NotificationSuppressed(Payload):
    """No message was sent for this event and channel (the citizen opted out)."""

    notification_id: str
    channel: NotificationChannel
    trigger: str
    reason: Literal["opted_out"]


@payload("dossier.notification-sent", topic=DOSSIER_EVENTS)
class NotificationSent(Payload):
    """A provider accepted the message."""

    notification_id: str
    channel: NotificationChannel
    provider: str
    reference: str = Field(description="Message-ID / client reference, the same on every retry")
    attempts: int = Field(ge=1)


@payload("dossier.notification-delivered", topic=DOSSIER_EVENTS)
class NotificationDelivered(Payload):
    """The provider's delivery receipt says the message reached the citizen's device."""

    notification_id: str
    channel: NotificationChannel
    provider: str
    delivered_at: datetime


@payload("dossier.notification-failed", topic=DOSSIER_EVENTS)
class NotificationFailed(Payload):
    """Terminal: the message will not be sent (permanent failure, retries exhausted, or a
    failed delivery receipt)."""

    notification_id: str
    channel: NotificationChannel
    reason: str = Field(description="machine-readable cause, never personal data")
    attempts: int = Field(ge=0)


@payload("dossier.notification-preference-changed", topic=DOSSIER_EVENTS)
class NotificationPreferenceChanged(Payload):
    """The citizen chose another channel or opted out of (or back into) messages."""

    contact_channel: NotificationChannel | None = Field(
        default=None, description="None keeps the channel chosen at submission"
    )
    opted_out: bool
