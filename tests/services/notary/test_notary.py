"""The notary's chains, on the in-process bus and store and on real Kafka and FerretDB: in log
order, each event once, replays as replays, and whole again after a kill between two writes."""

from __future__ import annotations

import hashlib

from prometheus_client import REGISTRY

from lienthong.audit import GENESIS, canonical_bytes, verify_dossier, wait_for_notary
from lienthong.bus import PermanentError, Subscription, UnknownTopic, dlq_topic
from lienthong.events import Event, RawMessage
from lienthong.ops import Actor, DeadLetterBook
from lienthong.ops.book import REPLAY_OF
from lienthong.topics import DOSSIER_EVENTS
from tests.services.notary.conftest import Parts
from tests.services.notary.histories import (
    DiesAtHeadWrite,
    chained,
    history,
    new_dossier,
    readdressed,
    start_notary,
)
from tests.support import eventually_async as until


def counter(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


async def records_of(parts: Parts, dossier: str) -> list[RawMessage]:
    bus = await parts.world.member()
    found = [r for r in await bus.read_topic(DOSSIER_EVENTS) if r.key == dossier.encode()]
    return sorted(found, key=lambda r: r.offset)


async def test_each_dossier_is_chained_in_log_order(parts: Parts) -> None:
    bus = await parts.world.member()
    ledger = await start_notary(bus, parts.store)
    dossiers = [new_dossier() for _ in range(3)]
    histories = [history(d, code) for d, code in dossiers]
    for interleaved in zip(*histories, strict=True):  # the dossiers' events interleaved
        await bus.publish(DOSSIER_EVENTS, *interleaved)
    for (dossier, code), facts in zip(dossiers, histories, strict=True):
        head = await chained(ledger, dossier, len(facts))
        assert (head.count, head.code) == (len(facts), code)
        records = await records_of(parts, dossier)
        links = await ledger.links(dossier)
        assert [link.event_id for link in links] == [e.id for e in facts]
        assert [(link.partition, link.offset) for link in links] == [
            (r.partition, r.offset) for r in records
        ]
        expected = GENESIS
        for link, record in zip(links, records, strict=True):
            expected = hashlib.sha256(expected + canonical_bytes(record)).digest()
            assert link.hash == expected.hex()
        assert head.hash == expected
        verdict = await verify_dossier(bus, ledger, code)
        assert (verdict.ok, verdict.verified, verdict.pending) == (True, len(facts), 0)


async def test_an_event_published_twice_is_chained_once_at_its_first_place(parts: Parts) -> None:
    bus = await parts.world.member()
    ledger = await start_notary(bus, parts.store)
    dossier, code = new_dossier()
    facts = history(dossier, code, steps=1)
    await bus.publish(DOSSIER_EVENTS, *facts[:3])
    await bus.publish(DOSSIER_EVENTS, facts[1], *facts[3:])  # a publisher's retry
    await chained(ledger, dossier, len(facts))
    links = await ledger.links(dossier)
    assert [link.event_id for link in links] == [e.id for e in facts]
    first = next(
        r for r in await records_of(parts, dossier) if r.header_str("ce_id") == facts[1].id
    )
    assert (links[1].partition, links[1].offset) == (first.partition, first.offset)
    assert (await verify_dossier(bus, ledger, dossier)).ok


async def test_a_record_handled_again_after_a_kill_between_its_two_writes_is_chained_once(
    parts: Parts,
) -> None:
    """Link 2 stored, then the process dies before its head: the record comes again (its
    offset was not committed) to a fresh notary, which adopts the stored link."""
    bus = await parts.world.member()
    dying = DiesAtHeadWrite(parts.store.collection("heads"), at=2)
    ledger = await start_notary(bus, parts.store, heads=dying)
    dossier, code = new_dossier()
    facts = history(dossier, code, steps=1)
    await bus.publish(DOSSIER_EVENTS, *facts)

    async def killed_after_link_2() -> bool:
        return await ledger.link(dossier, 2) is not None and dying.writes == 2

    await until(killed_after_link_2, what="the kill between link 2 and its head")
    assert (await ledger.head(dossier)).count == 1  # type: ignore[union-attr]
    recovered = counter("lienthong_notary_steps_recovered_total")

    restarted = await parts.world.member()  # a new process joins the notary group
    await start_notary(restarted, parts.store)
    head = await chained(ledger, dossier, len(facts))
    assert head.count == len(facts)
    assert [link.seq for link in await ledger.links(dossier)] == list(range(1, len(facts) + 1))
    assert counter("lienthong_notary_steps_recovered_total") == recovered + 1
    assert (await verify_dossier(restarted, ledger, code)).ok


async def test_a_replayed_dead_letter_is_chained_as_a_replay_of_its_event(parts: Parts) -> None:
    bus = await parts.world.member()
    ledger = await start_notary(bus, parts.store)
    dossier, code = new_dossier()
    facts = history(dossier, code, steps=1)
    refused = facts[2]

    async def flaky(event: Event) -> None:
        if event.id == refused.id:
            raise PermanentError("the agency refused it")

    # A consumer of the steps only (the history's other facts carry bare payloads).
    bus.subscribe(Subscription("flaky", [DOSSIER_EVENTS], flaky, frozenset({refused.type})))
    await bus.publish(DOSSIER_EVENTS, *facts)
    await chained(ledger, dossier, len(facts))
    book = DeadLetterBook(bus)

    async def dead_lettered() -> bool:
        try:
            return bool(await book.letters("flaky"))
        except UnknownTopic:
            return False

    await until(dead_lettered, what=f"a letter in {dlq_topic('flaky')}")
    (letter,) = await book.letters("flaky")
    await book.replay([letter.id], Actor("ops:tester", "operator"), pace_per_s=1000)
    head = await chained(ledger, dossier, len(facts) + 1)

    replay = (await ledger.links(dossier))[-1]
    assert (replay.kind, replay.event_id, replay.dead_letter) == ("replay", refused.id, letter.id)
    assert replay.replay_of == 3, "it names the link of the event it replays"
    assert head.count == len(facts) + 1
    # The same replayed record once more (two tools replaying one letter): chained once.
    records = await records_of(parts, dossier)
    (put_back,) = [r for r in records if r.header_str(REPLAY_OF) == letter.id]
    await bus.publish_raw(readdressed([put_back]))
    assert await wait_for_notary(bus, timeout_s=60), "the notary handled the copy"
    assert (await ledger.head(dossier)).count == len(facts) + 1  # type: ignore[union-attr]
    verdict = await verify_dossier(bus, ledger, code)
    assert (verdict.ok, verdict.verified) == (True, len(facts) + 1)


async def test_a_record_without_a_key_or_an_event_is_kept_or_passed_over_never_dead_lettered(
    parts: Parts,
) -> None:
    bus = await parts.world.member()
    ledger = await start_notary(bus, parts.store)
    dossier, code = new_dossier()
    facts = history(dossier, code, steps=0)
    garbage = RawMessage(DOSSIER_EVENTS, dossier.encode(), b"{not json")
    keyless = RawMessage(DOSSIER_EVENTS, None, b"{}", (("ce_id", b"x"),))
    await bus.publish(DOSSIER_EVENTS, facts[0])
    await bus.publish_raw([garbage, keyless])
    await bus.publish(DOSSIER_EVENTS, *facts[1:])
    await chained(ledger, dossier, len(facts) + 1)
    links = await ledger.links(dossier)
    assert links[1].event_id is None
    assert links[1].identity.startswith("sha256:")
    assert (await verify_dossier(bus, ledger, code)).ok
    assert await wait_for_notary(bus, timeout_s=60), "the keyless record was handled too"
    try:
        letters = await bus.read_topic(dlq_topic("notary"))
    except UnknownTopic:
        letters = []
    assert letters == [], "the notary dead-letters nothing"
