"""`audit verify` on real Kafka and FerretDB: the notary chains two dossiers; the untouched
topic verifies; a topic whose history was changed, cut, added to or reordered is caught and
the first event it touches named; a notary behind is said, not failed. Through the library
and through the command line."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest
from typer.testing import CliRunner

from lienthong.audit import HEADS, Ledger, verify_all, verify_dossier, wait_for_notary
from lienthong.bus import KafkaBus
from lienthong.cli.main import app
from lienthong.events import Event, RawMessage
from lienthong.runtime.host import Host
from lienthong.settings import Settings
from lienthong.store import MongoStore
from lienthong.topics import DOSSIER_EVENTS
from tests.conftest import Infra
from tests.services.notary.histories import (
    PARTITIONS,
    TAMPERINGS,
    chained,
    history,
    new_dossier,
    readdressed,
)

pytestmark = [pytest.mark.kafka, pytest.mark.mongo]

runner = CliRunner()
TAMPERED = 3  # the index of the record each tampering touches: link 4 of dossier A


@dataclass
class Trail:
    """Two dossiers chained by a notary that has stopped; `forged` are topics holding the
    same records, dossier A's tampered, by kind of tampering (prefix)."""

    infra: Infra
    prefix: str
    dossiers: list[tuple[str, str]]
    facts: list[list[Event]]
    records: list[list[RawMessage]]
    forged: dict[str, str] = field(default_factory=dict)

    def settings(self, topics: str | None = None) -> Settings:
        return Settings(
            kafka_bootstrap=self.infra.kafka_bootstrap,
            mongo_url=self.infra.mongo_url,
            topic_prefix=f"{topics or self.prefix}.",
            database_prefix=self.prefix,
            dossier_partitions=PARTITIONS,
        )


async def notary_host(settings: Settings) -> Host:
    host = Host(settings, ["notary"])
    await host.start()
    return host


def ledger_of(settings: Settings) -> tuple[MongoStore, Ledger]:
    assert settings.mongo_url is not None
    store = MongoStore.connect(settings.mongo_url, f"{settings.database_prefix}_notary")
    return store, Ledger.of(store)


async def kafka(trail: Trail, topics: str) -> KafkaBus:
    bus = KafkaBus(trail.infra.kafka_bootstrap, topic_prefix=f"{topics}.")
    await bus.start()
    await bus.ensure_topics({DOSSIER_EVENTS: PARTITIONS})
    return bus


@pytest.fixture(scope="module")
async def trail(infra: Infra) -> AsyncIterator[Trail]:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    dossiers = [new_dossier(), new_dossier()]
    facts = [history(dossier, code) for dossier, code in dossiers]
    trail = Trail(infra, prefix, dossiers, facts, [])
    host = await notary_host(trail.settings())
    store, ledger = ledger_of(trail.settings())
    try:
        for pair in zip(*facts, strict=True):
            await host.bus.publish(DOSSIER_EVENTS, *pair)
        for (dossier, _), events in zip(dossiers, facts, strict=True):
            await chained(ledger, dossier, len(events))
        assert await wait_for_notary(host.bus, 60)
        everything = await host.bus.read_topic(DOSSIER_EVENTS)
        for dossier, _ in dossiers:
            mine = [r for r in everything if r.key == dossier.encode()]
            trail.records.append(sorted(mine, key=lambda r: r.offset))
    finally:
        await host.stop()
        await store.close()
    yield trail
    cleanup = MongoStore.connect(infra.mongo_url, f"{prefix}_notary")
    await cleanup.drop_database()
    await cleanup.close()


async def forged_topic(trail: Trail, kind: str) -> str:
    """The prefix of a topic holding dossier B as it was and dossier A tampered with."""
    if kind not in trail.forged:
        topics = f"{trail.prefix}{kind}"
        bus = await kafka(trail, topics)
        try:
            forged = TAMPERINGS[kind](trail.records[0], TAMPERED)
            for record in readdressed(trail.records[1]) + readdressed(forged):
                await bus.publish_raw([record])
        finally:
            await bus.stop()
        trail.forged[kind] = topics
    return trail.forged[kind]


async def test_the_untouched_topic_verifies_by_code_by_id_and_whole(trail: Trail) -> None:
    bus = await kafka(trail, trail.prefix)
    store, ledger = ledger_of(trail.settings())
    try:
        (_, code_a), (b, _) = trail.dossiers
        by_code = await verify_dossier(bus, ledger, code_a)
        assert (by_code.ok, by_code.verified, by_code.pending) == (True, len(trail.facts[0]), 0)
        assert (await verify_dossier(bus, ledger, b)).verified == len(trail.facts[1])
        report = await verify_all(bus, ledger)
        assert (report.ok, report.dossiers, report.events, report.pending) == (
            True,
            2,
            sum(map(len, trail.facts)),
            0,
        )
    finally:
        await bus.stop()
        await store.close()


@pytest.mark.parametrize("kind", list(TAMPERINGS))
async def test_a_tampered_history_is_caught_and_its_first_event_named(
    trail: Trail, kind: str
) -> None:
    topics = await forged_topic(trail, kind)
    bus = await kafka(trail, topics)
    store, ledger = ledger_of(trail.settings())
    try:
        (a, code_a), (b, _) = trail.dossiers
        verdict = await verify_dossier(bus, ledger, code_a)
        assert verdict.divergence is not None
        assert (verdict.divergence.kind, verdict.divergence.seq) == (kind, TAMPERED + 1)
        if kind != "inserted":  # the forged event is named by its own id, checked below
            assert trail.facts[0][TAMPERED].id in verdict.divergence.detail
        assert (await verify_dossier(bus, ledger, b)).ok, "the other dossier is untouched"
        report = await verify_all(bus, ledger)
        assert [v.dossier for v in report.diverged] == [a]
        assert report.diverged[0].divergence == verdict.divergence
    finally:
        await bus.stop()
        await store.close()


# --- the command line ------------------------------------------------------------------------


def cli(trail: Trail, topics: str, *args: str, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("LIENTHONG_TOPIC_PREFIX", f"{topics}.")
    monkeypatch.setenv("LIENTHONG_DATABASE_PREFIX", trail.prefix)
    flags = ["--kafka", trail.infra.kafka_bootstrap, "--mongo", trail.infra.mongo_url]
    result = runner.invoke(app, ["audit", "verify", *args, *flags])
    return [str(result.exit_code), *result.output.strip().splitlines()]


def test_the_command_verifies_a_dossier_and_every_dossier(
    trail: Trail, monkeypatch: pytest.MonkeyPatch
) -> None:
    code_a = trail.dossiers[0][1]
    one = cli(trail, trail.prefix, code_a, monkeypatch=monkeypatch)
    assert one == ["0", f"verified: {len(trail.facts[0])} events"]
    every = cli(trail, trail.prefix, "--all", monkeypatch=monkeypatch)
    assert every[0] == "0", every
    assert [line for line in every if line.startswith("partition ")] == [
        line for line in every if " done: " in line
    ]
    assert len([line for line in every if line.startswith("partition ")]) == PARTITIONS
    assert every[-1] == f"verified: 2 dossier(s), {sum(map(len, trail.facts))} event(s)"


def test_the_command_names_a_reordered_event_and_fails(
    trail: Trail, monkeypatch: pytest.MonkeyPatch
) -> None:
    topics = asyncio.run(forged_topic(trail, "reordered"))
    (a, code_a), _ = trail.dossiers
    one = cli(trail, topics, code_a, monkeypatch=monkeypatch)
    assert one[0] == "1"
    assert one[1].startswith(f"reordered: link {TAMPERED + 1} of {len(trail.facts[0])}, ")
    assert trail.facts[0][TAMPERED].id in one[1]
    every = cli(trail, topics, "--all", monkeypatch=monkeypatch)
    assert every[0] == "1"
    assert "diverged: 1 dossier(s)" in every
    assert any(line.startswith(f"  {code_a} ({a}): reordered: ") for line in every)


def test_the_command_refuses_clearly(trail: Trail, monkeypatch: pytest.MonkeyPatch) -> None:
    unknown = cli(trail, trail.prefix, "no-such-dossier", monkeypatch=monkeypatch)
    assert unknown[0] == "2"
    assert unknown[1].startswith("error: no chain and no event of 'no-such-dossier'")
    assert cli(trail, trail.prefix, monkeypatch=monkeypatch)[1:] == [
        "error: name a dossier, or give --all"
    ]
    monkeypatch.delenv("LIENTHONG_KAFKA_BOOTSTRAP", raising=False)
    embedded = runner.invoke(app, ["audit", "verify", "--all"])
    assert embedded.exit_code == 2
    assert embedded.output.startswith("error: needs Kafka and the notary's database")


async def twin_head(trail: Trail, twin: str, *, remove: bool = False) -> None:
    """Store (or remove) a head of dossier `twin` carrying dossier A's code."""
    store, _ = ledger_of(trail.settings())
    heads = store.collection(HEADS)
    try:
        if remove:
            await heads.delete(twin)
            return
        head = await heads.get(trail.dossiers[0][0])
        assert head is not None
        await heads.replace({**head, "_id": twin})
    finally:
        await store.close()


def test_a_code_two_heads_carry_is_refused_naming_both_dossiers(
    trail: Trail, monkeypatch: pytest.MonkeyPatch
) -> None:
    (a, code_a), _ = trail.dossiers
    twin = f"twin-{uuid.uuid4().hex[:8]}"
    asyncio.run(twin_head(trail, twin))
    try:
        ambiguous = cli(trail, trail.prefix, code_a, monkeypatch=monkeypatch)
        assert ambiguous[0] == "2", ambiguous
        assert ambiguous[1].startswith(f"error: the code {code_a!r} names more than one dossier")
        assert a in ambiguous[1]
        assert twin in ambiguous[1]
        by_id = cli(trail, trail.prefix, a, monkeypatch=monkeypatch)
        assert by_id == ["0", f"verified: {len(trail.facts[0])} events"]
    finally:
        asyncio.run(twin_head(trail, twin, remove=True))
    assert cli(trail, trail.prefix, code_a, monkeypatch=monkeypatch)[0] == "0"


async def half_chained(trail: Trail) -> tuple[str, int]:
    """A dossier whose first 4 events the notary chained before it stopped; the rest are
    published after. Its code and its number of events."""
    dossier, code = new_dossier()
    facts = history(dossier, code)
    store, ledger = ledger_of(trail.settings())
    host = await notary_host(trail.settings())
    try:
        await host.bus.publish(DOSSIER_EVENTS, *facts[:4])
        await chained(ledger, dossier, 4)
    finally:
        await host.stop()
        await store.close()
    bus = await kafka(trail, trail.prefix)
    try:
        await bus.publish(DOSSIER_EVENTS, *facts[4:])
    finally:
        await bus.stop()
    return code, len(facts)


async def notary_again(trail: Trail) -> None:
    host = await notary_host(trail.settings())
    try:
        assert await wait_for_notary(host.bus, 60)
    finally:
        await host.stop()


def test_a_notary_behind_is_said_not_failed_unless_waited_for(
    infra: Infra, unique: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    trail = Trail(infra, unique, [], [], [])
    try:
        code, total = asyncio.run(half_chained(trail))
        behind = (
            f"verified: 4 events (the notary is behind: {total - 4} later event(s) not chained yet)"
        )
        assert cli(trail, unique, code, monkeypatch=monkeypatch) == ["0", behind]
        every = cli(trail, unique, "--all", monkeypatch=monkeypatch)
        assert every[0] == "0"
        assert (
            f"the notary is behind: {total - 4} event(s) of 1 dossier(s) not chained yet" in every
        )
        waited = cli(trail, unique, code, "--wait", "0.5", monkeypatch=monkeypatch)
        assert waited == ["3", "the notary has not caught up with the topic in 0.5 s", behind]
        asyncio.run(notary_again(trail))
        caught_up = cli(trail, unique, code, "--wait", "30", monkeypatch=monkeypatch)
        assert caught_up == ["0", f"verified: {total} events"]
    finally:
        asyncio.run(drop(trail))


async def drop(trail: Trail) -> None:
    store, _ = ledger_of(trail.settings())
    await store.drop_database()
    await store.close()
