"""The envelope and the payload registry."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

import lienthong.schemas  # noqa: F401
from lienthong.events import (
    MalformedEvent,
    RawMessage,
    UnknownEventType,
    decode,
    derived_id,
    encode,
    new_event,
    parse_payload,
)
from lienthong.schemas.dossier import DossierRejected


def test_derived_events_have_deterministic_ids() -> None:
    cause = new_event("dossier.received", "d-1", {}, source="/intake")
    first = cause.caused("dossier.step-opened", {"step": "a"}, source="/routing", reaction="a")
    again = cause.caused("dossier.step-opened", {"step": "a"}, source="/routing", reaction="a")
    other = cause.caused("dossier.step-opened", {"step": "b"}, source="/routing", reaction="b")
    assert first.id == again.id == derived_id(cause.id, "a")
    assert other.id != first.id
    assert first.causationid == cause.id
    assert first.subject == "d-1"


def test_encode_decode_round_trip_keeps_every_attribute() -> None:
    event = DossierRejected(reasons=["not competent"]).to_event("d-9", source="/intake")
    raw = encode(event, "dossier.events")
    assert raw.key == b"d-9"
    assert decode(raw) == event
    assert parse_payload(decode(raw)) == DossierRejected(reasons=["not competent"])


@pytest.mark.parametrize(
    "raw",
    [
        RawMessage("t", b"k", b"{}", ()),  # no attributes at all
        RawMessage("t", b"k", b"[1,", (("ce_id", b"1"),)),  # broken JSON
        RawMessage(
            "t",
            b"k",
            b"{}",
            (
                ("ce_id", b"1"),
                ("ce_source", b"/s"),
                ("ce_type", b"x"),
                ("ce_subject", b"k"),
                ("ce_time", b"yesterday"),
                ("ce_specversion", b"1.0"),
            ),
        ),  # bad time
        RawMessage(
            "t",
            b"k",
            b"{}",
            (
                ("ce_id", b"1"),
                ("ce_source", b"/s"),
                ("ce_type", b"x"),
                ("ce_subject", b"k"),
                ("ce_time", b"2026-01-01T00:00:00Z"),
                ("ce_specversion", b"0.3"),
            ),
        ),  # wrong spec version
    ],
)
def test_malformed_records_are_recognised(raw: RawMessage) -> None:
    with pytest.raises(MalformedEvent):
        decode(raw)


def test_payloads_are_validated_and_unknown_types_named() -> None:
    with pytest.raises(ValidationError):
        DossierRejected(reasons=[])
    with pytest.raises(UnknownEventType):
        parse_payload(new_event("no.such-type", "d", {}, source="/t"))
    with pytest.raises(ValidationError):
        parse_payload(new_event("dossier.rejected", "d", {"reasons": "x", "extra": 1}, source="/"))
