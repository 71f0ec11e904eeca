"""The event envelope: CloudEvents 1.0 attributes plus our extensions.

Every fact on a topic is an `Event`. `subject` is the stream key (the dossier id on
`dossier.events`, the task id on `agency.tasks.<agency>`); Kafka orders a key within its
partition, so each subject's history is a totally ordered stream. Extensions:

* `causationid` — the id of the event this one reacts to (absent for a first fact);
* `traceparent` — W3C trace context, so one trace follows a dossier across hops;
* `schemaversion` — the version of the payload schema for this `type` (our `schema_version`).

Ids of derived events are deterministic (`derived_id`): a handler that runs twice on the same
cause emits the same ids, and consumers drop the duplicate.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from lienthong.telemetry import current_traceparent

# Fixed namespace for uuid5 ids of derived events. Never change it: ids already written
# to topics would stop matching their re-derivations.
_DERIVED_NAMESPACE = uuid.UUID("6b1d7a52-6f0e-4a39-9a7c-3d0f8f1c2a41")


def derived_id(cause_id: str, reaction: str) -> str:
    """Deterministic id for the event that `reaction` produces in answer to `cause_id`."""
    return str(uuid.uuid5(_DERIVED_NAMESPACE, f"{cause_id}\x1f{reaction}"))


def new_id() -> str:
    return str(uuid.uuid4())


class Event(BaseModel):
    """One CloudEvent. Immutable; `data` is the JSON form of a registered payload."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    id: str = Field(min_length=1)
    source: str = Field(min_length=1)
    type: str = Field(min_length=1)
    subject: str = Field(min_length=1)
    time: datetime
    specversion: Literal["1.0"] = "1.0"
    datacontenttype: Literal["application/json"] = "application/json"
    causationid: str | None = None
    traceparent: str | None = None
    schema_version: int = Field(default=1, ge=1, alias="schemaversion")
    data: dict[str, Any] = Field(default_factory=dict)

    @property
    def key(self) -> str:
        """The Kafka message key: the stream this event belongs to."""
        return self.subject

    def caused(
        self,
        type: str,
        data: dict[str, Any],
        *,
        source: str,
        reaction: str | None = None,
        subject: str | None = None,
        schema_version: int = 1,
        time: datetime | None = None,
    ) -> Event:
        """A new event in reaction to this one, with a deterministic id.

        `reaction` distinguishes several reactions of one handler to the same cause; it
        defaults to the new event's type.
        """
        return Event(
            id=derived_id(self.id, reaction or type),
            source=source,
            type=type,
            subject=subject or self.subject,
            time=time or datetime.now(UTC),
            causationid=self.id,
            traceparent=current_traceparent() or self.traceparent,
            schemaversion=schema_version,
            data=data,
        )


def new_event(
    type: str,
    subject: str,
    data: dict[str, Any],
    *,
    source: str,
    id: str | None = None,
    schema_version: int = 1,
    time: datetime | None = None,
) -> Event:
    """A first fact (no cause), e.g. a submission received over HTTP."""
    return Event(
        id=id or new_id(),
        source=source,
        type=type,
        subject=subject,
        time=time or datetime.now(UTC),
        traceparent=current_traceparent(),
        schemaversion=schema_version,
        data=data,
    )
