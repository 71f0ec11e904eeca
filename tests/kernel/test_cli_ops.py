"""Operator commands against the real broker: topics, dead letters, tokens."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from lienthong.bus import KafkaBus, RetryPolicy, Subscription
from lienthong.cli.main import app
from lienthong.events import Event, RawMessage, new_event
from lienthong.security import verify_token
from lienthong.settings import Settings
from tests.conftest import Infra
from tests.support import eventually

runner = CliRunner()


@pytest.mark.kafka
def test_topics_create_makes_every_topic_with_its_partitions(
    infra: Infra, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIENTHONG_TOPIC_PREFIX", f"{unique}.")
    monkeypatch.setenv("LIENTHONG_DOSSIER_PARTITIONS", "5")
    first = runner.invoke(app, ["topics", "create", "--kafka", infra.kafka_bootstrap])
    assert first.exit_code == 0, first.output
    assert f"{unique}.dossier.events\t5 partitions\tcreated" in first.output
    again = runner.invoke(app, ["topics", "create", "--kafka", infra.kafka_bootstrap])
    assert f"{unique}.dossier.events\t5 partitions\texists" in again.output

    async def partitions() -> set[int]:
        bus = KafkaBus(infra.kafka_bootstrap, topic_prefix=f"{unique}.")
        await bus.start()
        try:
            return {r.partition for r in await bus.read_topic("dossier.events")} | set(
                await bus._require_producer().partitions_for(f"{unique}.dossier.events")
            )
        finally:
            await bus.stop()

    assert asyncio.run(partitions()) == {0, 1, 2, 3, 4}


@pytest.mark.kafka
def test_dlq_list_and_replay_from_the_command_line(
    infra: Infra, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIENTHONG_TOPIC_PREFIX", f"{unique}.")
    handled: list[int] = []

    async def poison_then_replay() -> None:
        bus = KafkaBus(
            infra.kafka_bootstrap, topic_prefix=f"{unique}.", policy=RetryPolicy(1, 0.01, 0.01)
        )
        await bus.ensure_topics({"dossier.events": 1})
        healthy = False

        async def handler(e: Event) -> None:
            if not healthy:
                raise ValueError("downstream refused")
            handled.append(e.data["n"])

        bus.subscribe(Subscription("cli-group", ["dossier.events"], handler))
        await bus.start()
        await bus.publish("dossier.events", new_event("t.x", "D1", {"n": 7}, source="/t"))
        await bus.publish_raw([RawMessage("dossier.events", b"D2", b"garbage")])

        async def letters() -> int:
            try:
                return len(await bus.read_topic("dlq.cli-group"))
            except LookupError:
                return 0

        for _ in range(200):
            if await letters() == 2:
                break
            await asyncio.sleep(0.05)
        listing = await asyncio.to_thread(
            runner.invoke, app, ["dlq", "list", "cli-group", "--kafka", infra.kafka_bootstrap]
        )
        assert listing.exit_code == 0, listing.output
        assert "dlq.cli-group: 2" in listing.output
        assert "ValueError" in listing.output
        assert "MalformedEvent" in listing.output
        healthy = True
        replay = await asyncio.to_thread(
            runner.invoke, app, ["dlq", "replay", "cli-group", "--kafka", infra.kafka_bootstrap]
        )
        assert replay.exit_code == 0, replay.output
        assert "replayed 2 dead letter(s)" in replay.output
        await eventually(lambda: handled == [7], what="the replayed event handled")
        await bus.stop()

    asyncio.run(poison_then_replay())


def test_token_command_mints_a_verifiable_agency_token() -> None:
    result = runner.invoke(app, ["token", "--role", "agency", "--agency", "police-26743"])
    assert result.exit_code == 0, result.output
    principal = verify_token(Settings(), result.output.strip())
    assert principal.kind == "agency"
    assert principal.agency == "police-26743"
    refused = runner.invoke(app, ["token", "--role", "mayor"])
    assert refused.exit_code == 2


def test_dlq_commands_need_kafka_and_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LIENTHONG_KAFKA_BOOTSTRAP", raising=False)
    result = runner.invoke(app, ["dlq", "list", "x"])
    assert result.exit_code == 2
    assert "needs Kafka" in result.output
