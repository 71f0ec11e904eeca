"""Purge of personal data after the retention period, with an injected clock (real FerretDB)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from lienthong.schemas.dossier import DossierCompleted
from lienthong_notify.contacts import CONTACTS, ContactBook
from lienthong_notify.outbox import NOTIFICATIONS, SEND_CLAIMS, Outbox
from lienthong_notify.purge import purge_personal_data
from lienthong_notify.purge_days import PURGE_MARKS
from tests.services.notify.conftest import NotifyWorld

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

RETENTION = timedelta(days=90)


async def test_bodies_and_contacts_are_purged_after_the_retention_period(
    world: NotifyWorld,
) -> None:
    world.clock.set(datetime.now(UTC))  # event times (closing the dossier) are real times
    citizen, _ = await world.submit("email")
    await world.wait_status(citizen.code, "sent")
    completed = DossierCompleted(returned_by="counter")
    await world.publish(completed.to_event(citizen.dossier_id, source="/services/routing"))
    await world.wait_event(citizen.dossier_id, "dossier.completed")
    marks = world.store.collection(PURGE_MARKS)
    claims = world.store.collection(SEND_CLAIMS)
    outbox = Outbox(world.store.collection(NOTIFICATIONS), claims, marks)
    contacts = ContactBook(world.store.collection(CONTACTS), marks)
    messages = await world.store.collection(NOTIFICATIONS).find({"code": citizen.code})
    assert messages[0]["text"]  # kept while the retention period runs

    for _ in range(100):  # the completion reaches the contact projection
        contact = await world.store.collection(CONTACTS).get(citizen.dossier_id)
        if contact and contact.get("closed_at"):
            break
        await asyncio.sleep(0.1)
    early = world.clock() + RETENTION - timedelta(days=1)
    await purge_personal_data(outbox, contacts, early, RETENTION)
    (message,) = await world.store.collection(NOTIFICATIONS).find({"code": citizen.code})
    assert message["recipient"] == citizen.email

    late = world.clock() + RETENTION + timedelta(days=1)
    purged, _ = await purge_personal_data(outbox, contacts, late, RETENTION)
    assert purged >= 1
    (message,) = await world.store.collection(NOTIFICATIONS).find({"code": citizen.code})
    assert [message[f] for f in ("recipient", "subject", "text", "html")] == [None] * 4
    assert message["status"] == "sent"  # the log itself stays
    contact = await world.store.collection(CONTACTS).get(citizen.dossier_id)
    assert contact is not None
    assert [contact[f] for f in ("full_name", "phone", "email")] == [None] * 3
    (row,) = await world.listing(citizen.code)
    assert (row["channel"], row["status"], row["recipient"]) == ("email", "sent", None)
