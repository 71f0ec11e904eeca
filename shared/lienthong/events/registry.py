"""Payload schemas registered by event type.

A payload is an immutable pydantic model named in the past tense after the business fact.
Registering it ties it to a CloudEvents `type`, a schema version and the topic family it
travels on; the AsyncAPI document is generated from this registry.

    @payload("dossier.received", topic=DOSSIER_EVENTS, version=1)
    class DossierReceived(Payload):
        code: str
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict

from lienthong.events.envelope import Event, new_event


class Payload(BaseModel):
    """Base of every event payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    schema_version: ClassVar[int]

    def to_event(
        self, subject: str, *, source: str, id: str | None = None, time: datetime | None = None
    ) -> Event:
        """A first fact carrying this payload (`time`: now unless given)."""
        return new_event(
            self.event_type,
            subject,
            self.model_dump(mode="json"),
            source=source,
            id=id,
            schema_version=self.schema_version,
            time=time,
        )

    def caused_by(
        self,
        cause: Event,
        *,
        source: str,
        reaction: str | None = None,
        subject: str | None = None,
        time: datetime | None = None,
    ) -> Event:
        """An event carrying this payload in reaction to `cause` (deterministic id)."""
        return cause.caused(
            self.event_type,
            self.model_dump(mode="json"),
            source=source,
            reaction=reaction,
            subject=subject,
            schema_version=self.schema_version,
            time=time,
        )


@dataclass(frozen=True)
class Registration:
    event_type: str
    version: int
    topic: str
    model: type[Payload]
    summary: str


class UnknownEventType(LookupError):
    pass


_registry: dict[str, Registration] = {}

P = TypeVar("P", bound=type[Payload])


def payload(event_type: str, *, topic: str, version: int = 1) -> Callable[[P], P]:
    """Class decorator: register a payload model under a CloudEvents type."""

    def register(model: P) -> P:
        shadowed = {"event_type", "schema_version"} & _field_names(model)
        if shadowed:  # a field of that name would replace the CloudEvents type of each event
            raise TypeError(f"{model.__name__}: field(s) {sorted(shadowed)} are reserved")
        existing = _registry.get(event_type)
        if existing is not None and existing.model is not model:
            raise ValueError(f"event type {event_type!r} is already registered")
        model.event_type = event_type
        model.schema_version = version
        summary = (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")
        _registry[event_type] = Registration(event_type, version, topic, model, summary)
        return model

    return register


def _field_names(model: type[Payload]) -> set[str]:
    return set(model.model_fields)


def registrations() -> list[Registration]:
    return sorted(_registry.values(), key=lambda r: (r.topic, r.event_type))


def registration(event_type: str) -> Registration:
    try:
        return _registry[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def parse_payload(event: Event) -> Any:
    """The typed payload of an event; raises UnknownEventType or pydantic.ValidationError."""
    return registration(event.type).model.model_validate(event.data)
