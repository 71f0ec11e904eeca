"""The comparison of a recomputed chain with a stored one: every kind of divergence named at
its first place, and lag told from tampering. Pure: the notary's fold on both sides."""

from __future__ import annotations

import dataclasses

from lienthong.audit import Chain, Step, compare, compare_to_head
from lienthong.events import RawMessage, encode
from lienthong.topics import DOSSIER_EVENTS
from tests.services.notary.histories import TAMPERINGS, history, new_dossier

DOSSIER, CODE = new_dossier()
FACTS = history(DOSSIER, CODE, steps=2)  # 7 events


def placed(records: list[RawMessage], start: int = 0) -> list[RawMessage]:
    return [dataclasses.replace(r, partition=1, offset=start + n) for n, r in enumerate(records)]


ORIGINAL = placed([encode(e, DOSSIER_EVENTS) for e in FACTS])


def fold(records: list[RawMessage]) -> tuple[Chain, list[Step]]:
    chain = Chain(DOSSIER)
    steps = [step for record in records if (step := chain.add(record)) is not None]
    return chain, steps


HEAD, LINKS = fold(ORIGINAL)


def test_the_untouched_topic_verifies() -> None:
    verdict = compare(DOSSIER, fold(ORIGINAL)[1], LINKS, HEAD, passed=len(ORIGINAL))
    assert (verdict.ok, verdict.verified, verdict.pending) == (True, 7, 0)
    assert verdict.summary() == "verified: 7 events"
    assert compare_to_head(DOSSIER, fold(ORIGINAL)[1], HEAD, None) == verdict


def test_each_tampering_is_named_at_the_first_event_it_touches() -> None:
    expected = {
        "changed": ("changed", 4, FACTS[3].id),
        "removed": ("removed", 4, FACTS[3].id),
        "inserted": ("inserted", 4, None),
        "reordered": ("reordered", 4, FACTS[3].id),
    }
    for kind, tamper in TAMPERINGS.items():
        forged = placed(tamper(list(ORIGINAL), 3))
        topic = fold(forged)[1]
        assert compare_to_head(DOSSIER, topic, HEAD, None) is None, kind
        verdict = compare(DOSSIER, topic, LINKS, HEAD, passed=None)
        assert verdict.divergence is not None, kind
        name, seq, event_id = expected[kind]
        assert (verdict.divergence.kind, verdict.divergence.seq, verdict.verified) == (
            name,
            seq,
            3,
        ), verdict.summary()
        assert (event_id or topic[3].event_id or "?") in verdict.divergence.detail
        assert not verdict.ok


def test_the_last_events_removed_are_named() -> None:
    verdict = compare(DOSSIER, fold(ORIGINAL[:5])[1], LINKS, HEAD, passed=None)
    assert verdict.divergence is not None
    assert (verdict.divergence.kind, verdict.divergence.seq) == ("removed", 6)
    assert FACTS[5].id in verdict.divergence.detail


def test_events_the_notary_has_not_reached_are_lag_not_tampering() -> None:
    head, links = fold(ORIGINAL[:5])
    verdict = compare(DOSSIER, fold(ORIGINAL)[1], links, head, passed=5)
    assert (verdict.ok, verdict.verified, verdict.pending) == (True, 5, 2)
    assert "the notary is behind: 2 later event(s)" in verdict.summary()
    never = compare(DOSSIER, fold(ORIGINAL)[1], [], None, passed=None)
    assert (never.ok, never.verified, never.pending) == (True, 0, 7)


def test_an_event_the_notary_passed_without_chaining_is_inserted() -> None:
    """The notary committed past offset 5, so it handled the record there: one missing from
    its chain was not in the log when it passed (the log was rewritten since)."""
    head, links = fold(ORIGINAL[:5])
    verdict = compare(DOSSIER, fold(ORIGINAL)[1], links, head, passed=7)
    assert verdict.divergence is not None
    assert (verdict.divergence.kind, verdict.divergence.seq) == ("inserted", 6)
    assert FACTS[5].id in verdict.divergence.detail


def test_a_link_stored_past_its_head_is_a_step_half_written_not_a_fault() -> None:
    head = fold(ORIGINAL[:5])[0]
    verdict = compare(DOSSIER, fold(ORIGINAL)[1], LINKS, head, passed=5)
    assert (verdict.ok, verdict.verified, verdict.pending) == (True, 5, 2)


def test_a_stored_chain_that_lacks_a_link_is_broken() -> None:
    verdict = compare(DOSSIER, fold(ORIGINAL)[1], [*LINKS[:2], *LINKS[3:]], HEAD, passed=None)
    assert verdict.divergence is not None
    assert (verdict.divergence.kind, verdict.divergence.seq) == ("broken", 3)
