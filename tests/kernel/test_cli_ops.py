"""Operator commands against the real broker: topics, dead letters, tokens."""

from __future__ import annotations

import asyncio
import getpass

import pytest
from typer.testing import CliRunner, Result

from lienthong.bus import KafkaBus, RetryPolicy, Subscription
from lienthong.cli.main import app
from lienthong.events import Event, RawMessage, decode, new_event
from lienthong.ops import OPERATOR_ACTIONS
from lienthong.security import verify_token
from lienthong.settings import Settings
from tests.conftest import Infra
from tests.support import eventually

runner = CliRunner()
ID_NUMBER = "079203001234"


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


async def _poisoned(bus: KafkaBus, healthy: list[bool], handled: list[int]) -> None:
    """Two dead letters of `cli-group`: a refused event and a record that is not one."""
    await bus.ensure_topics({"dossier.events": 1})

    async def handler(e: Event) -> None:
        if not healthy:
            raise ValueError(f"downstream refused {ID_NUMBER}")
        handled.append(e.data["n"])

    bus.subscribe(Subscription("cli-group", ["dossier.events"], handler))
    await bus.start()
    data = {"n": 7, "applicant": {"full_name": "Trần Thị B", "id_number": ID_NUMBER}}
    await bus.publish("dossier.events", new_event("t.x", "D1", data, source="/t"))
    await bus.publish_raw([RawMessage("dossier.events", b"D2", b"garbage")])
    for _ in range(200):
        try:
            if len(await bus.read_topic("dlq.cli-group")) == 2:
                return
        except LookupError:
            pass
        await asyncio.sleep(0.05)
    raise AssertionError("two dead letters expected")


def _one_line_error(result: Result, text: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: "), line
    assert text in line, line


@pytest.mark.kafka
def test_dlq_list_show_replay_and_discard_from_the_command_line(
    infra: Infra, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIENTHONG_TOPIC_PREFIX", f"{unique}.")
    monkeypatch.setenv("LIENTHONG_KAFKA_BOOTSTRAP", infra.kafka_bootstrap)
    monkeypatch.setenv("COLUMNS", "250")  # rich would wrap the table at 80 columns
    healthy: list[bool] = []
    handled: list[int] = []

    async def cli(*args: str) -> Result:
        return await asyncio.to_thread(lambda: runner.invoke(app, ["dlq", *args]))

    async def scenario() -> None:
        bus = KafkaBus(
            infra.kafka_bootstrap, topic_prefix=f"{unique}.", policy=RetryPolicy(1, 0.01, 0.01)
        )
        await _poisoned(bus, healthy, handled)
        refused, garbage = "cli-group-0-0", "cli-group-0-1"

        listing = await cli("list", "cli-group")
        assert listing.exit_code == 0, listing.output
        assert "dlq.cli-group: 2 pending" in listing.output
        for text in (refused, garbage, "dossier.events:0@0", "dossier.events:0@1", "t.x"):
            assert text in listing.output
        assert "ValueError: downstream refused ************" in listing.output
        assert "MalformedEvent" in listing.output
        everywhere = await cli("list")
        assert refused in everywhere.output
        assert "every dlq.*: 2 pending" in everywhere.output

        shown = await cli("show", refused)
        assert shown.exit_code == 0, shown.output
        assert '"full_name": "***"' in shown.output
        assert ID_NUMBER not in shown.output + listing.output

        dry = await cli("replay", "cli-group", "--dry-run")
        assert dry.exit_code == 0, dry.output
        assert "dry run: would replay 2 dead letter(s)" in dry.output
        with pytest.raises(LookupError):
            await bus.read_topic(OPERATOR_ACTIONS)

        _one_line_error(await cli("discard", garbage, "--reason", "  "), "needs a reason")
        missing = await cli("discard", garbage)
        assert missing.exit_code == 2
        assert "--reason" in missing.output
        discarded = await cli("discard", garbage, "--reason", "not an event: nothing to redo")
        assert discarded.exit_code == 0, discarded.output
        assert "discarded 1 dead letter(s)" in discarded.output

        healthy.append(True)
        replay = await cli("replay", "cli-group", "--pace", "100", "--reason", "fixed")
        assert replay.exit_code == 0, replay.output
        assert "replayed 1 dead letter(s) of group cli-group" in replay.output
        await eventually(lambda: handled == [7], what="the replayed event handled")

        after = await cli("list", "cli-group")
        assert "dlq.cli-group: 0 pending" in after.output
        assert refused not in after.output
        settled = await cli("list", "cli-group", "--all")
        assert f"replayed by cli:{getpass.getuser()}: fixed" in settled.output
        assert f"discarded by cli:{getpass.getuser()}: not an event" in settled.output

        _one_line_error(
            await cli("replay", "cli-group", "--id", refused), f"{refused} was already replayed"
        )
        _one_line_error(await cli("replay", "cli-group", "--id", "bogus"), "is not <group>-")
        _one_line_error(await cli("replay", "cli-group", "--id", "other-0-0"), "not of group")
        _one_line_error(await cli("discard", "cli-group-0-9", "--reason", "x"), "no dead letter")
        again = await cli("replay", "cli-group")
        assert "replayed 0 dead letter(s)" in again.output
        assert handled == [7]

        actions = [decode(r) for r in await bus.read_topic(OPERATOR_ACTIONS)]
        assert [(a.subject, a.type) for a in actions] == [
            (garbage, "operator.dead-letter-discarded"),
            (refused, "operator.dead-letter-replayed"),
        ]
        assert {a.data["actor"] for a in actions} == {f"cli:{getpass.getuser()}"}
        await bus.stop()

    asyncio.run(scenario())


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
