"""The notify API (notification log, delivery receipts, preferences) against its document."""

from __future__ import annotations

import asyncio
import hashlib
import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from schemathesis.schemas import BaseSchema

from lienthong.events import Event
from lienthong.schemas.dossier import Applicant, DossierReceived, DossierSubmitted
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS
from tests.contract.harness import (
    Case,
    Credentials,
    bearer,
    exercise,
    fuzz,
    load_schema,
    operations,
    staff_token,
)
from tests.contract.served import served
from tests.services.survey.dossiers import fact
from tests.support import eventually_async

EXAMPLES = 60  # per operation; 3 operations
DOSSIER, CODE = "d-contract-notify", "000.00.00.H29-261201-0042"
SECRET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CALLBACK_TOKEN = "contract-callback-token"
GATEWAY = {
    "name": "brandname",
    "url": "http://127.0.0.1:9/sms",  # nothing listens: sends fail, which is not under test
    "token": "contract-gateway-token",
    "callback_token": CALLBACK_TOKEN,
}
ENV = {"LIENTHONG_NOTIFY_SMS_PROVIDERS": json.dumps([GATEWAY])}


def notify_credentials(settings: Settings) -> Credentials:
    """Staff for the log, the gateway's callback token for receipts, none for citizens."""
    staff = bearer(staff_token(settings, "supervisor"))

    def credentials(case: Case) -> dict[str, str]:
        path = case.operation.path
        if path.startswith("/v1/notifications/receipts/"):
            return bearer(CALLBACK_TOKEN)
        return {} if path.startswith("/v1/notifications/preferences/") else staff

    return credentials


def received_dossier(now: datetime) -> list[Event]:
    applicant = Applicant(
        full_name="Nguyễn Văn An",
        id_number="079090001234",
        phone="0901234567",
        email="an.nguyen@example.vn",
        ward_code="26506",
        contact_channel="email",
    )
    submitted = DossierSubmitted(
        procedure="1.001193", channel="online", ward_code="26506", applicant=applicant
    )
    received = DossierReceived(
        code=CODE,
        procedure="1.001193",
        procedure_version="1",
        receiving_unit="TTHCC-26506",
        received_at=now,
        appointment_at=now + timedelta(days=2),
        tracking_secret_sha256=hashlib.sha256(SECRET.encode()).hexdigest(),
    )
    return [fact(DOSSIER, submitted, now, 1), fact(DOSSIER, received, now, 2)]


async def test_every_notify_operation_honours_the_document(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with served(["notify"], monkeypatch, ENV) as it:
        await it.host.bus.publish(DOSSIER_EVENTS, *received_dossier(datetime.now(UTC)))
        credentials = notify_credentials(it.settings)
        staff = bearer(staff_token(it.settings, "supervisor"))
        async with httpx.AsyncClient(base_url=it.base_url, headers=staff) as client:

            async def receipt_noted() -> bool:
                answer = await client.get("/v1/notifications", params={"dossier": CODE})
                return answer.status_code == 200 and bool(answer.json())

            await eventually_async(receipt_noted, what="the receipt's email in the log")
        schema = load_schema(it.app, it.base_url)
        answered = await asyncio.to_thread(fuzz, schema, EXAMPLES, credentials)
        await asyncio.to_thread(follow_a_message, schema, staff)
    assert len(operations(answered)) == 3
    assert answered["PUT /v1/notifications/preferences/{code}", 404]


def follow_a_message(schema: BaseSchema, staff: dict[str, str]) -> None:
    """The log of a dossier, a receipt for a message, a preference changed with the secret."""
    log = exercise(
        schema, "GET", "/v1/notifications", query={"dossier": CODE}, headers=staff, expect=200
    )
    message = log.json()[0]
    exercise(
        schema,
        "POST",
        "/v1/notifications/receipts/{provider}",
        path_parameters={"provider": GATEWAY["name"]},
        body={"client_ref": message["id"], "status": "delivered"},
        headers=bearer(CALLBACK_TOKEN),
    )
    preference = {"secret": SECRET.lower(), "contact_channel": "sms"}
    exercise(
        schema,
        "PUT",
        "/v1/notifications/preferences/{code}",
        path_parameters={"code": CODE},
        body=preference,
        expect=202,
    )
