"""Email and SMS end to end on real Kafka and FerretDB, a real SMTP server and a gateway double."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime

import pytest

from lienthong.schemas.dossier import DossierReceived, SupplementRequested
from lienthong.schemas.routing import ApologyIssued, ResultReady
from lienthong_notify.notifier import notification_id
from tests.services.notify.conftest import DAYTIME, NotifyWorld
from tests.support import eventually

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]


async def test_the_receipt_email_arrives_bilingual_in_utf8_with_the_tracking_link(
    world: NotifyWorld,
) -> None:
    citizen, receipt = await world.submit("email")
    await eventually(lambda: len(world.mail.to(citizen.email)) == 1, what="the receipt email")

    (mail,) = world.mail.to(citizen.email)
    assert (
        mail["Subject"]
        == f"Hồ sơ {citizen.code} đã được tiếp nhận / Dossier {citizen.code} received"
    )
    assert mail["Message-ID"] == f"<{notification_id(receipt.id, 'email')}@lienthong.example.vn>"
    assert mail.get_content_type() == "multipart/alternative"
    text_part, html_part = mail.iter_parts()
    assert text_part.get_content_type() == "text/plain"
    assert text_part.get_content_charset() == "utf-8"
    assert html_part.get_content_type() == "text/html"
    text, html = text_part.get_content(), html_part.get_content()
    link = f"https://dichvucong.example.vn/tra-cuu/{citizen.code}"
    assert "Kính gửi Ông/Bà Nguyễn Thị Ánh" in text
    assert "Dear Nguyễn Thị Ánh" in text
    assert "Ngày hẹn trả kết quả: 15:30 12/03/2026" in text
    assert link in text
    assert f'href="{link}"' in html
    assert citizen.secret not in text + html  # the link carries the code, never the secret
    assert hashlib.sha256(citizen.secret.encode()).hexdigest() not in text + html


async def test_staff_list_messages_by_dossier_code_and_need_a_token(world: NotifyWorld) -> None:
    citizen, _ = await world.submit("email")
    await eventually(lambda: len(world.mail.to(citizen.email)) == 1, what="the email")
    anonymous = await world.client.get("/v1/notifications", params={"dossier": citizen.code})
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"

    (row,) = await world.wait_status(citizen.code, "sent")
    assert (row["channel"], row["event"], row["status"]) == ("email", "dossier.received", "sent")
    assert row["recipient"] != citizen.email
    assert citizen.email not in str(row)
    types = [e.type for e in await world.events_of(citizen.dossier_id)]
    assert types.count("dossier.notification-queued") == 1
    assert types.count("dossier.notification-sent") == 1


async def test_when_the_first_gateway_fails_the_second_sends_and_its_receipt_counts(
    world: NotifyWorld,
) -> None:
    world.sms.answers["alpha"] = 503
    citizen, receipt = await world.submit("sms")
    await eventually(lambda: len(world.sms.to(citizen.phone)) == 1, what="the SMS via beta")
    ((gateway, body),) = world.sms.to(citizen.phone)
    nid = notification_id(receipt.id, "sms")
    assert gateway == "beta"
    assert body["client_ref"] == nid
    assert body["encoding"] == "ucs2"
    assert body["text"].startswith(f"Hồ sơ {citizen.code} đã được tiếp nhận.")
    await world.wait_status(citizen.code, "sent")

    receipt_url = "/v1/notifications/receipts/beta"
    report = {"client_ref": nid, "status": "delivered"}
    forged = await world.client.post(
        receipt_url, json=report, headers={"authorization": "Bearer callback-alpha"}
    )
    assert forged.status_code == 401
    answer = await world.client.post(
        receipt_url, json=report, headers={"authorization": "Bearer callback-beta"}
    )
    assert answer.status_code == 202
    (row,) = await world.listing(citizen.code)
    assert (row["channel"], row["status"], row["provider"]) == ("sms", "delivered", "beta")
    events = await world.events_of(citizen.dossier_id)
    delivered = [e for e in events if e.type == "dossier.notification-delivered"]
    assert [e.data["notification_id"] for e in delivered] == [nid]


async def test_the_same_event_handled_twice_sends_one_message(world: NotifyWorld) -> None:
    citizen, receipt = await world.submit("sms")
    await world.publish(receipt)  # redelivered, as after a consumer restart
    await world.publish(receipt)
    await eventually(lambda: len(world.sms.to(citizen.phone)) >= 1, what="the SMS")
    await world.wait_status(citizen.code, "sent")
    events = await world.events_of(citizen.dossier_id)
    assert sum(e.id == receipt.id for e in events) == 3
    assert len(world.sms.to(citizen.phone)) == 1
    assert len(await world.listing(citizen.code)) == 1


async def test_sms_at_night_waits_for_the_morning(world: NotifyWorld) -> None:
    world.clock.set(DAYTIME.replace(hour=16))  # 23:00 in Hồ Chí Minh City
    citizen, _ = await world.submit("sms")
    await world.wait_status(citizen.code, "queued")
    await asyncio.sleep(1.0)  # ten dispatch rounds
    assert world.sms.to(citizen.phone) == []
    events = await world.events_of(citizen.dossier_id)
    (queued,) = [e for e in events if e.type == "dossier.notification-queued"]
    assert queued.data["not_before"] == "2026-03-11T00:00:00Z"  # 07:00 local

    world.clock.set(datetime(2026, 3, 11, 0, 0, 1, tzinfo=UTC))
    await eventually(lambda: len(world.sms.to(citizen.phone)) == 1, what="the morning SMS")


async def test_retryable_failures_are_retried_then_the_message_fails(world: NotifyWorld) -> None:
    world.sms.answers.update(alpha=503, beta=429)
    citizen, _ = await world.submit("sms")
    (row,) = await world.wait_status(citizen.code, "failed")
    assert row["attempts"] == 3  # max_attempts in these tests
    assert row["last_error"] == "retries-exhausted:alpha:http:503;beta:http:429"
    events = await world.events_of(citizen.dossier_id)
    (failed,) = [e for e in events if e.type == "dossier.notification-failed"]
    assert failed.data["attempts"] == 3
    assert world.sms.to(citizen.phone) == []


async def test_a_permanent_refusal_fails_at_once(world: NotifyWorld) -> None:
    world.sms.answers.update(alpha=400, beta=422)
    citizen, _ = await world.submit("sms")
    (row,) = await world.wait_status(citizen.code, "failed")
    assert row["attempts"] == 1
    assert row["last_error"] == "alpha:http:400;beta:http:422"


async def test_an_opted_out_citizen_gets_nothing_more(world: NotifyWorld) -> None:
    citizen, _ = await world.submit("email")
    await world.wait_status(citizen.code, "sent")
    url = f"/v1/notifications/preferences/{citizen.code}"
    wrong = await world.client.put(url, json={"secret": "WRONGSECRET", "opted_out": True})
    assert wrong.status_code == 404
    answer = await world.client.put(url, json={"secret": citizen.secret, "opted_out": True})
    assert answer.status_code == 202
    await world.wait_event(citizen.dossier_id, "dossier.notification-preference-changed")
    ready = ResultReady(unit="TTHCC-26743", delivery="counter")
    await world.publish(ready.to_event(citizen.dossier_id, source="/services/routing"))
    await world.wait_event(citizen.dossier_id, "dossier.notification-suppressed")
    rows = await world.listing(citizen.code)
    assert [(r["event"], r["status"]) for r in rows] == [
        ("dossier.received", "sent"),
        ("dossier.result-ready", "suppressed"),
    ]
    assert len(world.mail.to(citizen.email)) == 1


async def test_a_supplement_request_before_any_code_is_listed_by_dossier_id(
    world: NotifyWorld,
) -> None:
    citizen, _ = await world.submit("email")
    await world.wait_status(citizen.code, "sent")
    request = SupplementRequested(missing=["Tờ khai đăng ký khai sinh"], requested_by="u-1")
    await world.publish(request.to_event(citizen.dossier_id, source="/services/intake"))
    await eventually(lambda: len(world.mail.to(citizen.email)) == 2, what="the supplement email")
    subjects = [m["Subject"] for m in world.mail.to(citizen.email)]
    assert subjects[1].startswith(f"Yêu cầu bổ sung hồ sơ {citizen.code}")
    rows = await world.listing(citizen.dossier_id)
    assert [r["event"] for r in rows] == ["dossier.received", "dossier.supplement-requested"]


async def test_a_refused_mailbox_fails_at_once(world: NotifyWorld) -> None:
    citizen, _ = await world.submit_later("email")
    world.mail.refuse.add(citizen.email)
    await world.publish(*citizen.events)
    (row,) = await world.wait_status(citizen.code, "failed")
    assert (row["attempts"], row["last_error"]) == (1, "smtp:recipient-refused:[550]")


async def test_logs_carry_no_personal_data(
    world: NotifyWorld, capfd: pytest.CaptureFixture[str]
) -> None:
    by_sms, _ = await world.submit("sms")
    by_email, _ = await world.submit("email")
    await world.wait_status(by_sms.code, "sent")
    await world.wait_status(by_email.code, "sent")
    logs = capfd.readouterr().out
    assert "notification_status" in logs  # the service did log
    for personal in (by_sms.phone, by_email.email, "Nguyễn Thị Ánh", "079200001234"):
        assert personal not in logs


async def test_an_opt_out_at_night_stops_the_sms_held_for_the_morning(world: NotifyWorld) -> None:
    world.clock.set(DAYTIME.replace(hour=15))  # 22:00 in Hồ Chí Minh City
    citizen, _ = await world.submit("sms")
    await world.wait_status(citizen.code, "queued")
    url = f"/v1/notifications/preferences/{citizen.code}"
    answer = await world.client.put(url, json={"secret": citizen.secret, "opted_out": True})
    assert answer.status_code == 202
    (row,) = await world.wait_status(citizen.code, "suppressed")
    assert row["event"] == "dossier.received"
    world.clock.set(datetime(2026, 3, 11, 0, 0, 1, tzinfo=UTC))  # 07:00
    await world.wait_event(citizen.dossier_id, "dossier.notification-suppressed")
    await asyncio.sleep(0.5)
    assert world.sms.to(citizen.phone) == []


async def test_an_apology_goes_through_every_channel_with_the_new_appointment(
    world: NotifyWorld,
) -> None:
    citizen, _ = await world.submit("sms")
    await world.wait_status(citizen.code, "sent")
    apology = ApologyIssued(
        step="birth-registration",
        unit="UBND-26743",
        previous_appointment=datetime(2026, 3, 12, 8, 30, tzinfo=UTC),
        new_appointment=datetime(2026, 3, 16, 2, 0, tzinfo=UTC),
    )
    await world.publish(apology.to_event(citizen.dossier_id, source="/services/routing"))
    await eventually(lambda: len(world.mail.to(citizen.email)) == 1, what="the apology email")
    await eventually(lambda: len(world.sms.to(citizen.phone)) == 2, what="the apology SMS")
    (mail,) = world.mail.to(citizen.email)
    text = mail.get_body(("plain",))
    assert text is not None
    assert "Ngày hẹn trả kết quả mới: 09:00 16/03/2026" in text.get_content()
    assert "09:00 16/03/2026" in world.sms.to(citizen.phone)[1][1]["text"]
    rows = await world.wait_status(citizen.code, "sent")
    assert sorted((r["event"], r["channel"]) for r in rows) == [
        ("dossier.apology-issued", "email"),
        ("dossier.apology-issued", "sms"),
        ("dossier.received", "sms"),
    ]


async def test_news_of_a_dossier_without_contact_or_too_old_is_passed_over(
    world: NotifyWorld,
) -> None:
    """Logged and skipped, neither an error nor a message (a log call once clashed with
    structlog's own `event` argument: every such event was retried, then dead-lettered)."""
    nobody = DossierReceived(
        code="X-1",
        procedure="1.001193",
        procedure_version="1",
        receiving_unit="TTHCC-26506",
        received_at=datetime.now(UTC),
        appointment_at=datetime.now(UTC),
    ).to_event("no-contact-dossier", source="/tests")
    old = nobody.model_copy(update={"id": "old-1", "time": datetime(2020, 1, 1, tzinfo=UTC)})
    notify = next(spec for spec in world.host.specs if spec.name == "notify")
    for event in (nobody, old):
        await notify.dispatch(event)  # raises if the handler fails
    assert await world.listing("X-1") == []
