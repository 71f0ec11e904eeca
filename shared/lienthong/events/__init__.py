"""Event envelope, payload registry, wire codec and AsyncAPI generation."""

from lienthong.events.codec import MalformedEvent, RawMessage, decode, encode
from lienthong.events.envelope import Event, derived_id, new_event, new_id
from lienthong.events.registry import (
    Payload,
    UnknownEventType,
    parse_payload,
    payload,
    registration,
    registrations,
)

__all__ = [
    "Event",
    "MalformedEvent",
    "Payload",
    "RawMessage",
    "UnknownEventType",
    "decode",
    "derived_id",
    "encode",
    "new_event",
    "new_id",
    "parse_payload",
    "payload",
    "registration",
    "registrations",
]
