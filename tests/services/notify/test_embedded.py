"""The embedded default (in-process bus, in-memory store): messages go to the console
provider, and the service behaves as on real infrastructure."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx
from asgi_lifespan import LifespanManager

from lienthong.events import decode
from lienthong.runtime.host import Host
from lienthong.schemas.dossier import Applicant, DossierReceived, DossierSubmitted
from lienthong.security import mint_token
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS


async def test_embedded_notify_sends_through_the_console_and_lists_for_staff() -> None:
    host = Host(Settings(), ["notify"])
    app = host.app()
    applicant = Applicant(
        full_name="Võ Thị Hoa",
        id_number="079200009999",
        phone="0987654321",
        email="hoa@example.vn",
        ward_code="26743",
        contact_channel="email",
    )
    submitted = DossierSubmitted(
        procedure="1.001193", channel="online", ward_code="26743", applicant=applicant
    )
    received = DossierReceived(
        code="X-EMB-1",
        procedure="1.001193",
        procedure_version="1",
        receiving_unit="u",
        received_at=datetime.now(UTC),
        appointment_at=datetime.now(UTC),
    )
    async with LifespanManager(app):
        await host.bus.publish(DOSSIER_EVENTS, submitted.to_event("d-emb", source="/t"))
        await host.bus.publish(DOSSIER_EVENTS, received.to_event("d-emb", source="/t"))
        for _ in range(100):
            types = [decode(r).type for r in await host.bus.read_topic(DOSSIER_EVENTS)]
            if "dossier.notification-sent" in types:
                break
            await asyncio.sleep(0.02)
        sent = [
            decode(r).data
            for r in await host.bus.read_topic(DOSSIER_EVENTS)
            if decode(r).type == "dossier.notification-sent"
        ]
        assert [(s["channel"], s["provider"]) for s in sent] == [("email", "console-email")]
        token = mint_token(host.settings, role="operator")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://n") as client:
            answer = await client.get(
                "/v1/notifications",
                params={"dossier": "X-EMB-1"},
                headers={"authorization": f"Bearer {token}"},
            )
    assert answer.status_code == 200
    assert [(r["channel"], r["event"], r["status"]) for r in answer.json()] == [
        ("email", "dossier.received", "sent")
    ]
