"""Who to tell, and how: the applicant's contact details and preferences, per dossier.

A projection of `dossier.events`: the applicant from `dossier.submitted` (personal data, kept
only in this store and purged after the retention period once the dossier is closed), the
code and the tracking secret's hash from `dossier.received`, preference changes and opt-out
from `dossier.notification-preference-changed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lienthong.events import Event
from lienthong.store import Collection, Document, DuplicateKey
from lienthong_notify.purge_days import DayFiling, day_of
from lienthong_notify.rules import ChannelName

CONTACTS = "contacts"
PERSONAL_FIELDS = ("full_name", "phone", "email")


@dataclass(frozen=True)
class Contact:
    dossier_id: str
    code: str | None
    preferred: ChannelName
    addresses: dict[ChannelName, str]
    full_name: str
    opted_out: bool
    secret_sha256: str | None

    @classmethod
    def from_document(cls, doc: Document) -> Contact:
        addresses: dict[ChannelName, str] = {}
        if doc.get("phone"):
            addresses["sms"] = doc["phone"]
        if doc.get("email"):
            addresses["email"] = doc["email"]
        return cls(
            dossier_id=doc["_id"],
            code=doc.get("code"),
            preferred=doc.get("contact_channel") or "sms",
            addresses=addresses,
            full_name=doc.get("full_name") or "",
            opted_out=bool(doc.get("opted_out")),
            secret_sha256=doc.get("secret_sha256"),
        )


class ContactBook:
    def __init__(self, collection: Collection, marks: Collection) -> None:
        self.collection = collection
        self.days = DayFiling(collection, marks, "closed_day")  # for the purge

    async def prepare(self) -> None:
        await self.collection.ensure_index([("code", 1)])
        await self.days.prepare()

    async def get(self, dossier_id: str) -> Contact | None:
        doc = await self.collection.get(dossier_id)
        return Contact.from_document(doc) if doc else None

    async def by_code(self, code: str) -> Contact | None:
        found = await self.collection.find({"code": code}, limit=1)
        return Contact.from_document(found[0]) if found else None

    async def _merge(self, dossier_id: str, fields: dict[str, Any]) -> None:
        # Events of one dossier arrive in order through one consumer, so update-or-insert
        # cannot race with itself.
        if not await self.collection.update(dossier_id, fields):
            await self.collection.replace({"_id": dossier_id, **fields})

    async def on_submitted(self, event: Event) -> None:
        applicant = event.data.get("applicant")
        if not applicant:
            return  # submitted without contact details (e.g. by post): nobody to tell
        fields = {name: applicant.get(name) for name in PERSONAL_FIELDS}
        fields |= {"contact_channel": applicant.get("contact_channel"), "updated_at": event.time}
        try:  # the first fact of a dossier: one insert, the common case
            await self.collection.insert({"_id": event.subject, **fields})
        except DuplicateKey:  # handled before: merge (an opt-out since then is kept)
            await self.collection.update(event.subject, fields)

    async def on_received(self, event: Event) -> None:
        fields = {"code": event.data.get("code"), "updated_at": event.time}
        if event.data.get("tracking_secret_sha256"):
            fields["secret_sha256"] = event.data["tracking_secret_sha256"]
        await self._merge(event.subject, fields)

    async def on_preference_changed(self, event: Event) -> None:
        fields: dict[str, Any] = {"opted_out": bool(event.data.get("opted_out"))}
        if event.data.get("contact_channel"):
            fields["contact_channel"] = event.data["contact_channel"]
        await self._merge(event.subject, fields)

    async def on_closed(self, event: Event) -> None:
        """Completed, rejected, refused or withdrawn: the retention period starts."""
        day = day_of(event.time)
        await self.days.note(day)
        await self.collection.update(event.subject, {"closed_at": event.time, "closed_day": day})

    async def purge(self, cutoff: datetime, now: datetime) -> int:
        """Forget the personal data of dossiers closed before `cutoff`, reading the contacts
        closed on one day at a time (`purge_days`)."""

        def ready(doc: Document) -> bool:
            return _aware(doc["closed_at"]) < cutoff

        return await self.days.purge(cutoff, now, ready, PERSONAL_FIELDS)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
