"""HTTP: the notification log (staff), delivery receipts (providers), preferences (citizens).

Thin routes; the decisions live in the outbox, the announcer and the contact book.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, Field

from lienthong.bus import Bus
from lienthong.http import Problem
from lienthong.http.openapi import problems
from lienthong.schemas.notify import NotificationPreferenceChanged
from lienthong.security import StaffUser
from lienthong.topics import DOSSIER_EVENTS
from lienthong_notify.announce import SOURCE, Announcer
from lienthong_notify.contacts import ContactBook
from lienthong_notify.outbox import Outbox


class NotificationOut(BaseModel):
    id: str
    dossier_id: str
    code: str | None
    channel: str
    event: str = Field(description="the dossier event the citizen was told about")
    template: str
    status: str
    attempts: int
    provider: str | None = None
    recipient: str | None = Field(default=None, description="masked")
    created_at: datetime
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    last_error: str | None = None


class ReceiptIn(BaseModel):
    client_ref: str = Field(description="the reference we sent: the notification id")
    status: Literal["delivered", "failed"]
    error: str | None = Field(default=None, max_length=200)


class PreferenceIn(BaseModel):
    secret: str = Field(min_length=8, max_length=64, description="the tracking secret")
    contact_channel: Literal["sms", "email"] | None = None
    opted_out: bool = False


def mask(recipient: str | None) -> str | None:
    if not recipient:
        return None
    if "@" in recipient:
        local, _, domain = recipient.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{recipient[:3]}****{recipient[-2:]}"


def listing(doc: Mapping[str, Any]) -> NotificationOut:
    return NotificationOut(
        id=doc["_id"],
        dossier_id=doc["dossier_id"],
        code=doc.get("code"),
        channel=doc["channel"],
        event=doc["trigger"],
        template=doc["template"],
        status=doc["status"],
        attempts=doc.get("attempts", 0),
        provider=doc.get("provider"),
        recipient=mask(doc.get("recipient")),
        created_at=doc["created_at"],
        sent_at=doc.get("sent_at"),
        delivered_at=doc.get("delivered_at"),
        last_error=doc.get("last_error"),
    )


def _bearer_matches(authorization: str | None, expected: str | None) -> bool:
    scheme, _, token = (authorization or "").partition(" ")
    if expected is None or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(token.encode(), expected.encode())


async def record_receipt(
    outbox: Outbox, announcer: Announcer, provider: str, body: ReceiptIn, now: datetime
) -> str:
    """Apply a provider's delivery receipt; returns the message's status."""
    doc = await outbox.get(body.client_ref)
    if doc is None or doc.get("provider") not in (None, provider):
        raise Problem(404, "Not found", "no message with this reference from this provider")
    if doc["status"] in ("delivered", "failed"):
        return str(doc["status"])  # a repeated receipt
    if doc["status"] != "sent":
        # The gateway answered before we recorded the send: ask it to call again.
        raise Problem(409, "Not yet sent", "retry the receipt shortly", retry_after=5)
    if doc.get("unannounced"):  # the send was recorded, its event not out yet: first that
        await announcer.publish(doc)
    if body.status == "delivered":
        fields: dict[str, Any] = {"delivered_at": now}
    else:
        fields = {"last_error": f"receipt:{body.error or 'undelivered'}"[:200]}
    await outbox.set_status(doc["_id"], body.status, now, fields)
    await announcer.publish({**doc, **fields, "status": body.status})
    return body.status


async def change_preference(
    contacts: ContactBook, bus: Bus, code: str, body: PreferenceIn
) -> dict[str, Any]:
    """The citizen, proven by the tracking secret, changes channel or opts out (by event)."""
    contact = await contacts.by_code(code)
    digest = hashlib.sha256(body.secret.strip().upper().encode()).hexdigest()
    expected = contact.secret_sha256 if contact else None
    if contact is None or not expected or not hmac.compare_digest(digest, expected):
        raise Problem(404, "Not found", "no dossier with this code and secret")
    change = NotificationPreferenceChanged(
        contact_channel=body.contact_channel, opted_out=body.opted_out
    )
    await bus.publish(DOSSIER_EVENTS, change.to_event(contact.dossier_id, source=SOURCE))
    return {"code": code, "contact_channel": body.contact_channel, "opted_out": body.opted_out}


def build_router(
    outbox: Outbox,
    contacts: ContactBook,
    announcer: Announcer,
    bus: Bus,
    callback_tokens: Mapping[str, str | None],
    clock: Callable[[], datetime],
) -> APIRouter:
    router = APIRouter(tags=["notify"])

    @router.get(
        "/v1/notifications",
        summary="Messages sent about a dossier (staff)",
        responses=problems(401, 403),
    )
    async def notifications(
        _user: StaffUser, dossier: Annotated[str, Query(min_length=1, description="code or id")]
    ) -> list[NotificationOut]:
        return [listing(doc) for doc in await outbox.for_dossier(dossier)]

    @router.post(
        "/v1/notifications/receipts/{provider}",
        summary="Delivery receipt from a provider",
        status_code=202,
        responses=problems(401, 404, 409),
    )
    async def receipt(
        provider: str, body: ReceiptIn, authorization: Annotated[str | None, Header()] = None
    ) -> dict[str, str]:
        if not _bearer_matches(authorization, callback_tokens.get(provider)):
            raise Problem(401, "Unauthorized", "unknown provider or wrong callback token")
        return {"status": await record_receipt(outbox, announcer, provider, body, clock())}

    @router.put(
        "/v1/notifications/preferences/{code}",
        summary="Choose SMS or email, or stop messages, for a dossier (citizen)",
        status_code=202,
        responses=problems(404),
    )
    async def preferences(code: str, body: PreferenceIn) -> dict[str, Any]:
        return await change_preference(contacts, bus, code, body)

    return router
