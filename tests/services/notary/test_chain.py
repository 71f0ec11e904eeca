"""What a link hashes and which records are links: pure, no bus, no store."""

from __future__ import annotations

import dataclasses
import hashlib

import pytest

from lienthong.audit import GENESIS, Chain, canonical_bytes
from lienthong.events import RawMessage, encode
from lienthong.ops.book import REPLAY_OF
from lienthong.topics import DOSSIER_EVENTS
from tests.services.notary.histories import history, new_dossier


def published() -> list[RawMessage]:
    dossier, code = new_dossier()
    return [
        dataclasses.replace(encode(e, DOSSIER_EVENTS), partition=0, offset=n)
        for n, e in enumerate(history(dossier, code, steps=1))
    ]


def test_a_link_is_the_hash_of_the_link_before_and_the_record() -> None:
    records = published()
    chain = Chain("d")
    steps = [chain.add(record) for record in records]
    previous = GENESIS
    for step, record in zip(steps, records, strict=True):
        assert step is not None
        previous = hashlib.sha256(previous + canonical_bytes(record)).digest()
        assert step.hash == previous.hex()
    assert [s.seq for s in steps if s] == list(range(1, len(records) + 1))
    assert chain.hash == previous


def edits(record: RawMessage) -> dict[str, RawMessage]:
    headers = list(record.headers)
    return {
        "key": dataclasses.replace(record, key=record.key + b"x"),  # type: ignore[operator]
        "no key": dataclasses.replace(record, key=None),
        "one byte of the value": dataclasses.replace(record, value=record.value[:-1] + b" "),
        "a header's value": dataclasses.replace(
            record, headers=((headers[0][0], headers[0][1] + b"x"), *headers[1:])
        ),
        "a header's name": dataclasses.replace(
            record, headers=(("ce_idx", headers[0][1]), *headers[1:])
        ),
        "a header added": dataclasses.replace(record, headers=(*headers, ("x-extra", b""))),
        "a header dropped": dataclasses.replace(record, headers=tuple(headers[1:])),
        "headers reordered": dataclasses.replace(record, headers=(*headers[1:], headers[0])),
        "a header without a value": dataclasses.replace(
            record,
            headers=(*headers[:-1], (headers[-1][0], None)),  # type: ignore[arg-type]
        ),
        "bytes moved from value to key": dataclasses.replace(
            record, key=(record.key or b"") + record.value[:1], value=record.value[1:]
        ),
    }


@pytest.mark.parametrize("what", list(edits(published()[1])))
def test_any_change_to_what_was_published_changes_the_hash(what: str) -> None:
    record = published()[1]
    assert canonical_bytes(edits(record)[what]) != canonical_bytes(record)


def test_where_a_record_sits_is_not_hashed() -> None:
    record = published()[1]
    elsewhere = dataclasses.replace(record, topic="mirror", partition=7, offset=99, timestamp_ms=1)
    assert canonical_bytes(elsewhere) == canonical_bytes(record)


def test_an_identity_already_chained_is_not_a_link_again() -> None:
    records = published()
    chain = Chain("d")
    for record in records:
        chain.add(record)
    again = dataclasses.replace(records[1], offset=50)
    assert chain.next(again) is None
    assert chain.count == len(records)


def test_a_replay_is_a_link_of_its_own_once_per_dead_letter() -> None:
    records = published()
    chain = Chain("d")
    for record in records:
        chain.add(record)
    replayed = dataclasses.replace(
        records[2], headers=(*records[2].headers, (REPLAY_OF, b"routing-0-4")), offset=60
    )
    step = chain.add(replayed)
    assert step is not None
    assert (step.kind, step.event_id, step.dead_letter, step.replay_of) == (
        "replay",
        records[2].header_str("ce_id"),
        "routing-0-4",
        3,
    )
    assert "replay of event" in step.describe()
    assert chain.next(dataclasses.replace(replayed, offset=61)) is None
    other_letter = dataclasses.replace(
        records[2], headers=(*records[2].headers, (REPLAY_OF, b"notify-0-9"))
    )
    assert chain.next(other_letter) is not None


def test_the_code_comes_from_the_received_event() -> None:
    records = published()
    chain = Chain("d")
    chain.add(records[0])
    assert chain.code is None
    step = chain.add(records[1])
    assert step is not None
    assert step.code == chain.code
    assert chain.code is not None
    assert chain.code.startswith("000.00.01.H29-")


def test_a_record_that_is_no_event_is_chained_by_its_digest() -> None:
    garbage = RawMessage(DOSSIER_EVENTS, b"d", b"{not json", partition=0, offset=3)
    step = Chain("d").add(garbage)
    assert step is not None
    assert step.identity == "sha256:" + hashlib.sha256(canonical_bytes(garbage)).hexdigest()
    assert step.event_id is None
