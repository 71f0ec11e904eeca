"""Health snapshots on ops.health: per channel and provider, what was sent, what failed and
what failed over to the next provider of the channel."""

from __future__ import annotations

from datetime import UTC, datetime, time

import pytest

from lienthong.bus import Subscription
from lienthong.events import Event, decode
from lienthong.runtime import ServiceContext
from lienthong.runtime.host import Host
from lienthong.schemas.dossier import Applicant, DossierReceived, DossierSubmitted
from lienthong.schemas.health import ChannelHealth, NotifyHealthReported
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS, OPS_HEALTH
from lienthong_notify.config import NotifySettings, SmsGatewayConfig
from lienthong_notify.service import build
from tests.services.notify.conftest import NotifyWorld
from tests.services.notify.doubles import sms_gateway
from tests.support import eventually, eventually_async


def provider(snapshot: NotifyHealthReported, channel: str, name: str) -> ChannelHealth:
    return next(c for c in snapshot.channels if (c.channel, c.provider) == (channel, name))


def dossier_events(dossier_id: str) -> list[Event]:
    applicant = Applicant(
        full_name="Trần Văn Bình",
        id_number="079200004321",
        phone="0912345678",
        email="binh@example.vn",
        ward_code="26743",
        contact_channel="sms",
    )
    submitted = DossierSubmitted(
        procedure="1.001193", channel="online", ward_code="26743", applicant=applicant
    )
    received = DossierReceived(
        code="X-HEALTH-1",
        procedure="1.001193",
        procedure_version="1",
        receiving_unit="u",
        received_at=datetime.now(UTC),
        appointment_at=datetime.now(UTC),
    )
    return [submitted.to_event(dossier_id, source="/t"), received.to_event(dossier_id, source="/t")]


async def test_a_failing_gateway_counts_a_failure_and_a_failover_and_the_next_one_a_send() -> None:
    async with sms_gateway() as gateway:
        gateway.answers["alpha"] = 503
        settings = Settings(instance_id="notify-3")
        host = Host(settings, ["notify"])
        config = NotifySettings(
            sms_providers=[
                SmsGatewayConfig(name=name, url=gateway.url(name), token=f"token-{name}")
                for name in ("alpha", "beta")
            ],
            quiet_hours_start=time(0, 0),
            quiet_hours_end=time(0, 0),  # no quiet hours: the SMS goes whenever the test runs
            health_interval_s=0.05,
        )
        context = ServiceContext("notify", settings, host.bus, host.stores["notify"])
        host.specs = [build(context, config)]
        snapshots: list[NotifyHealthReported] = []
        subjects: set[str] = set()

        async def observe(event: Event) -> None:
            snapshots.append(NotifyHealthReported.model_validate(event.data))
            subjects.add(event.subject)

        def counted() -> bool:
            return bool(snapshots) and provider(snapshots[-1], "sms", "beta").sent_total == 1

        host.bus.subscribe(Subscription("console", [OPS_HEALTH], observe))
        await host.start()
        try:
            await host.bus.publish(DOSSIER_EVENTS, *dossier_events("d-health"))
            await eventually(counted, 30, "the SMS counted as sent by beta")
        finally:
            await host.stop()
        assert [name for name, _ in gateway.received] == ["beta"]

    latest = snapshots[-1]
    alpha, beta = provider(latest, "sms", "alpha"), provider(latest, "sms", "beta")
    assert (alpha.sent_total, alpha.failed_total, alpha.failovers_total) == (0, 1, 1)
    assert (beta.sent_total, beta.failed_total, beta.failovers_total) == (1, 0, 0)
    email = provider(latest, "email", "console-email")  # listed though it sent nothing
    assert (email.sent_total, email.failed_total, email.failovers_total) == (0, 0, 0)
    # The windows split the totals: every count is in exactly one snapshot's window.
    windows = [provider(s, "sms", "alpha") for s in snapshots]
    assert sum(w.failed for w in windows) == sum(w.failovers for w in windows) == 1
    assert sum(provider(s, "sms", "beta").sent for s in snapshots) == 1
    assert subjects == {"notify/notify-3"}
    assert latest.interval_s == 0.05


@pytest.mark.kafka
@pytest.mark.mongo
async def test_snapshots_arrive_on_the_health_topic_with_the_failover_counted(
    world: NotifyWorld,
) -> None:
    world.sms.answers["alpha"] = 503
    citizen, _ = await world.submit("sms")
    await world.wait_status(citizen.code, "sent")

    async def failover_reported() -> bool:
        records = await world.host.bus.read_topic(OPS_HEALTH)
        if not records:
            return False
        latest = NotifyHealthReported.model_validate(decode(records[-1]).data)
        return provider(latest, "sms", "alpha").failovers_total >= 1

    await eventually_async(failover_reported, 30, "a snapshot counting the failover")
    records = await world.host.bus.read_topic(OPS_HEALTH)
    assert {r.key for r in records} == {f"notify/{world.host.settings.instance_id}".encode()}
    assert {decode(r).type for r in records} == {"ops.notify-health"}
    latest = NotifyHealthReported.model_validate(decode(records[-1]).data)
    assert provider(latest, "sms", "beta").sent_total >= 1
    assert {(c.channel, c.provider) for c in latest.channels} == {
        ("email", "smtp"),
        ("sms", "alpha"),
        ("sms", "beta"),
    }
