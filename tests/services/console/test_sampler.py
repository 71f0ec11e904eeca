"""The console's own offset samples: events per second, and a history that outlives a
restart (on real Kafka and FerretDB)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from lienthong.events import new_event
from lienthong.settings import Settings
from lienthong.topics import DOSSIER_EVENTS
from lienthong_console.config import ConsoleConfig
from lienthong_console.sampler import Sample, rates
from tests.conftest import Infra
from tests.services.console.conftest import infra_settings
from tests.services.console.served import running_console

T0 = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now


def test_rates_are_events_per_second_between_consecutive_samples() -> None:
    samples = [
        Sample(T0, {"dossier.events": 100, "ops.health": 5}, {"console": 3}),
        Sample(T0 + timedelta(seconds=10), {"dossier.events": 150, "ops.health": 5}, {}),
        Sample(T0 + timedelta(seconds=10), {"dossier.events": 999}, {}),  # same moment: no rate
        Sample(T0 + timedelta(seconds=30), {"dossier.events": 150, "dlq.notify": 7}, {}),
        # a topic deleted and created again starts at 0: no negative rate
        Sample(T0 + timedelta(seconds=40), {"dossier.events": 20}, {}),
    ]
    assert rates(samples) == {
        "dossier.events": [
            (T0 + timedelta(seconds=10), 5.0),
            (T0 + timedelta(seconds=30), 0.0),  # from the 999 of the sample before
            (T0 + timedelta(seconds=40), 0.0),
        ],
        "ops.health": [(T0 + timedelta(seconds=10), 0.0)],
        "dlq.notify": [(T0 + timedelta(seconds=30), 0.0)],  # new: nothing to compare with
    }
    assert rates(samples[:1]) == {}


async def test_a_chart_of_samples_is_drawn_on_the_lag_page() -> None:
    clock = FakeClock()
    config = ConsoleConfig(sample_interval_s=0)
    async with running_console(Settings(), config=config, clock=clock) as it:
        await it.console.sampler.sample_once()
        await it.publish(*(new_event("test.noise", f"d-{i}", {}, source="/t") for i in range(30)))
        clock.now += timedelta(seconds=15)
        await it.console.sampler.sample_once()
        page = await it.client.get("/console/lag?lang=en", headers=it.auth("auditor"))
    assert page.status_code == 200
    assert page.text.count("<svg") == 2
    assert "Events per second per topic" in page.text
    assert "dossier.events" in page.text


@pytest.mark.kafka
@pytest.mark.mongo
async def test_samples_survive_a_restart_of_the_console(infra: Infra, unique: str) -> None:
    settings, clock = infra_settings(infra, unique), FakeClock()
    config = ConsoleConfig(sample_interval_s=0)  # sampled by hand, at the clock's moments
    async with running_console(settings, config=config, clock=clock, keep_database=True) as first:
        before = await first.console.sampler.sample_once()
        await first.publish(
            *(new_event("test.noise", f"d-{i}", {}, source="/t") for i in range(45))
        )
        clock.now += timedelta(seconds=15)
        after = await first.console.sampler.sample_once()
    assert after.ends[DOSSIER_EVENTS] - before.ends[DOSSIER_EVENTS] == 45

    async with running_console(settings, config=config, clock=clock) as second:
        shown = await second.get_json("/v1/console/samples", "auditor", hours=1)
        kept = await second.console.sampler.recent(1)
    assert [s["at"] for s in shown] == [before.at.isoformat(), after.at.isoformat()]
    assert [s["ends"][DOSSIER_EVENTS] for s in shown] == [
        before.ends[DOSSIER_EVENTS],
        after.ends[DOSSIER_EVENTS],
    ]
    assert kept == [before, after]
    assert rates(kept)[DOSSIER_EVENTS] == [(after.at, 3.0)]
