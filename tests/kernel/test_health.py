"""Health snapshots on ops.health: keyed by service and instance, windows since the previous
published snapshot, a failed publication retried with nothing lost (in-memory bus)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from lienthong.bus import InMemoryBus, UnknownTopic
from lienthong.events import decode
from lienthong.runtime.health import HealthReporter, Snapshot, Tally
from lienthong.schemas.health import ChannelHealth, NotifyHealthReported
from lienthong.settings import Settings
from lienthong.topics import OPS_HEALTH, core_topics
from tests.support import eventually, eventually_async

START = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)
KEY = ("sms", "alpha")


class Steps:
    """A clock that moves one minute each time it is read."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        moment, self.now = self.now, self.now + timedelta(minutes=1)
        return moment


async def snapshot_of(taken: Snapshot) -> NotifyHealthReported:
    row = ChannelHealth(
        channel="sms",
        provider="alpha",
        sent=taken.window(KEY, "sent"),
        failed=0,
        failovers=0,
        sent_total=taken.total(KEY, "sent"),
        failed_total=0,
        failovers_total=0,
    )
    return NotifyHealthReported(**taken.header(), channels=[row])


def reporter(
    bus: InMemoryBus, tally: Tally, clock: Steps, interval_s: float = 60
) -> HealthReporter:
    return HealthReporter(
        bus,
        service="notify",
        source="/services/notify",
        instance="replica-2",
        interval_s=interval_s,
        tally=tally,
        build=snapshot_of,
        clock=clock,
    )


def test_every_host_creates_the_health_topic_with_one_partition() -> None:
    assert core_topics(Settings())[OPS_HEALTH] == 1


async def test_a_window_runs_from_the_last_published_snapshot_and_a_failed_one_is_not_lost() -> (
    None
):
    bus, clock = InMemoryBus(), Steps()
    tally = Tally(clock)
    health = reporter(bus, tally, clock)
    tally.add(KEY, "sent", 2)
    with pytest.raises(UnknownTopic):  # the topic does not exist yet: nothing published
        await health.report()
    await bus.ensure_topics({OPS_HEALTH: 1})
    tally.add(KEY, "sent", 3)
    first = await health.report()
    tally.add(KEY, "sent", 1)
    second = await health.report()

    assert (first.subject, first.type, first.source) == (
        "notify/replica-2",
        "ops.notify-health",
        "/services/notify",
    )
    one, two = (NotifyHealthReported.model_validate(e.data) for e in (first, second))
    assert (one.channels[0].sent, one.channels[0].sent_total) == (5, 5)  # the failed one's too
    assert (two.channels[0].sent, two.channels[0].sent_total) == (1, 6)
    assert one.window_start == one.started_at == START
    assert two.window_start == one.at
    assert one.instance == "replica-2"
    (record, _) = await bus.read_topic(OPS_HEALTH)
    assert record.key == b"notify/replica-2"


async def test_the_loop_outlives_failed_publications_and_reports_once_it_can() -> None:
    bus, clock = InMemoryBus(), Steps()
    health = reporter(bus, Tally(clock), clock, interval_s=0.01)

    async def published() -> bool:
        return bool(await bus.read_topic(OPS_HEALTH))

    with capture_logs() as logs:
        await health.start()
        try:
            await eventually(
                lambda: any(line["event"] == "periodic_failed" for line in logs), 5, "a failure"
            )
            await bus.ensure_topics({OPS_HEALTH: 1})
            await eventually_async(published, 5, "a snapshot once the topic is there")
        finally:
            await health.stop()
    failed = [line for line in logs if line["event"] == "periodic_failed"]
    assert (failed[0]["task"], failed[0]["error"]) == ("health:notify", "UnknownTopic")
    first = decode((await bus.read_topic(OPS_HEALTH))[0])
    assert (first.type, first.subject) == ("ops.notify-health", "notify/replica-2")
