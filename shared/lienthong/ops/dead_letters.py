"""The dead-letter model that the CLI and the operator console share.

A dead letter (thư lỗi) is a record a consumer group could not handle, kept in `dlq.<group>`
with `dlq.*` headers (see `lienthong.bus.delivery.dead_letter`). Its id is its place in that
topic, `<group>-<partition>-<offset>`: stable across reads, and the key of the operator
actions that settle it. What it shows of the record is masked: a dead letter's payload is
often an applicant's dossier.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, ClassVar, Literal

import pydantic_core

from lienthong.bus import dlq_topic
from lienthong.events import RawMessage
from lienthong.logging import MASK, scrub
from lienthong.schemas.operator import DeadLetterDiscarded, DeadLetterReplayed

State = Literal["pending", "replayed", "discarded"]
Settlement = DeadLetterReplayed | DeadLetterDiscarded

_GROUP = re.compile(r"^[A-Za-z0-9._-]+$")  # what Kafka allows in the topic name dlq.<group>
_NUMBER = re.compile(r"^(0|[1-9][0-9]*)$")
# `<group>-<partition>-<offset>` as an API documents it (what `DeadLetterId.parse` accepts).
ID_PATTERN = r"^[A-Za-z0-9._-]+-(0|[1-9][0-9]*)-(0|[1-9][0-9]*)$"
_SHOWN_BYTES = 120


class DeadLetterError(ValueError):
    """An operator's request about dead letters that cannot be done, said in one line.

    `kind` names the refusal for machines (an RFC 9457 problem type's last segment) and
    `status` is the HTTP status an API answers it with, so that the CLI and the console
    refuse alike."""

    kind: ClassVar[str] = "dead-letter-request-refused"
    status: ClassVar[int] = 422


class InvalidDeadLetterId(DeadLetterError):
    kind = "invalid-dead-letter-id"


class UnknownDeadLetter(DeadLetterError, LookupError):
    kind = "unknown-dead-letter"
    status = 404


class AlreadySettled(DeadLetterError):
    kind = "dead-letter-already-settled"
    status = 409


class NotReplayable(DeadLetterError):
    kind = "dead-letter-not-replayable"


@dataclass(frozen=True, order=True)
class DeadLetterId:
    """Where a dead letter sits: partition and offset in `dlq.<group>`."""

    group: str
    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.group}-{self.partition}-{self.offset}"

    @property
    def topic(self) -> str:
        return dlq_topic(self.group)

    @classmethod
    def parse(cls, text: str) -> DeadLetterId:
        """`<group>-<partition>-<offset>`; the group may itself contain '-'."""
        parts = text.strip().rsplit("-", 2)
        if len(parts) != 3:
            raise InvalidDeadLetterId(
                f"dead-letter id {text!r} is not <group>-<partition>-<offset>"
            )
        group, partition, offset = parts
        if not _GROUP.match(group):
            raise InvalidDeadLetterId(
                f"dead-letter id {text!r}: group {group!r} must be letters, digits, '.', '_', '-'"
            )
        if not (_NUMBER.match(partition) and _NUMBER.match(offset)):
            raise InvalidDeadLetterId(
                f"dead-letter id {text!r}: partition and offset must be whole numbers"
            )
        return cls(group, int(partition), int(offset))


@dataclass(frozen=True)
class DeadLetter:
    """One dead letter as operators see it: why it failed, where it came from, whether an
    operator has settled it, and its payload with personal data masked.

    `partition`/`offset` are its place in `dlq.<group>`; `original_*` the place of the record
    that failed. `subject` is the record's key (the dossier id on `dossier.events`, the task id
    on an agency's queue). `error_message` is scrubbed of ID numbers, phones and emails too:
    validation errors quote the input."""

    id: str
    group: str
    partition: int
    offset: int
    original_topic: str | None
    original_partition: int | None
    original_offset: int | None
    error_type: str
    error_message: str
    attempts: int
    failed_at: datetime | None
    event_type: str | None
    event_id: str | None
    subject: str | None
    masked_payload: Any
    state: State = "pending"
    settled_by: Settlement | None = None

    @property
    def pending(self) -> bool:
        return self.state == "pending"

    @property
    def origin(self) -> str:
        """`topic:partition@offset` of the record that failed."""
        partition, offset = _or_q(self.original_partition), _or_q(self.original_offset)
        return f"{self.original_topic or '?'}:{partition}@{offset}"

    def settled(self, action: Settlement | None) -> DeadLetter:
        """This dead letter as `action` (one taken on it, see `settles`) leaves it."""
        if action is None or not settles(action, self):
            return self
        state: State = "replayed" if isinstance(action, DeadLetterReplayed) else "discarded"
        return replace(self, state=state, settled_by=action)


def settles(action: Settlement, letter: DeadLetter) -> bool:
    """Whether `action` was taken on this very record. The id alone could match a record
    of a deleted and recreated `dlq.<group>` (offsets start again at 0): the original place
    must match too."""
    return (
        action.dead_letter == letter.id
        and action.original_topic == letter.original_topic
        and action.original_partition == letter.original_partition
        and action.original_offset == letter.original_offset
    )


def read_dead_letter(group: str, record: RawMessage) -> DeadLetter:
    """The pending dead letter that `record` (read from `dlq.<group>`) is."""
    header = record.header_str
    return DeadLetter(
        id=str(DeadLetterId(group, record.partition, record.offset)),
        group=group,
        partition=record.partition,
        offset=record.offset,
        original_topic=header("dlq.original.topic"),
        original_partition=_int(header("dlq.original.partition")),
        original_offset=_int(header("dlq.original.offset")),
        error_type=header("dlq.error.type") or "?",
        error_message=scrub(header("dlq.error.message") or ""),
        attempts=_int(header("dlq.attempts")) or 0,
        failed_at=_time(header("dlq.failed_at")),
        event_type=header("ce_type"),
        event_id=header("ce_id"),
        subject=None if record.key is None else record.key.decode("utf-8", "replace"),
        masked_payload=masked_payload(record.value),
    )


# Keys whose values a dead letter shows as they are (scrubbed of ID numbers, phones and
# emails all the same): the envelope, ids, codes, units, steps, dates, outcomes. Every other
# string — names, addresses, form answers, free text, keys nobody listed yet — is masked
# whole, so that a form field added tomorrow is masked before anyone thinks of it.
SHOWN_KEYS = frozenset(
    {
        *("id", "source", "type", "subject", "time", "specversion", "datacontenttype"),
        *("causationid", "traceparent", "schemaversion", "schema_version"),
        *("code", "procedure", "procedure_version", "channel", "ward_code", "contact_channel"),
        *("unit", "receiving_unit", "from_unit", "to_unit", "requested_by", "escalated_to"),
        *("step", "role", "agency", "task_id", "dossier_id", "topology", "connector"),
        *("due_at", "opened_at", "received_at", "appointment_at", "submitted_at", "paused_at"),
        *("resumed_at", "detected_at", "answered_at", "expires_at", "new_appointment"),
        *("timeliness", "outcome", "status", "returned_by", "delivery", "attempts", "retryable"),
        *("sub_procedures", "selection", "question_set", "overall", "sha256", "content_type"),
    }
)


def mask_for_people(value: Any, shown: bool = False) -> Any:
    """A copy of a JSON-like value in which only the values of `SHOWN_KEYS` are shown."""
    if isinstance(value, Mapping):
        return {k: mask_for_people(v, k in SHOWN_KEYS) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_for_people(v, shown) for v in value]
    if isinstance(value, str):
        return scrub(value) if shown else MASK
    return value


def masked_payload(value: bytes) -> Any:
    """The record's value as JSON with every value that is not plainly an id, a code, a unit,
    a date or an outcome masked (`SHOWN_KEYS`); a short scrubbed repr of the bytes when it is
    not JSON."""
    try:
        return mask_for_people(pydantic_core.from_json(value))
    except ValueError:
        shown = repr(value[:_SHOWN_BYTES]) + ("…" if len(value) > _SHOWN_BYTES else "")
        return scrub(shown)


def strip_dead_letter_headers(record: RawMessage) -> RawMessage:
    """The original record, as it was before it was dead-lettered, addressed to its topic."""
    topic = record.header_str("dlq.original.topic")
    if not topic:
        raise NotReplayable(f"dead letter at offset {record.offset} has no dlq.original.topic")
    if record.header("dlq.value.truncated") is not None:  # `lienthong.bus.delivery`
        raise NotReplayable(
            f"dead letter at offset {record.offset} keeps only the start of a record too large "
            "to be an event: there is nothing whole to replay"
        )
    headers = tuple(h for h in record.headers if not h[0].startswith("dlq."))
    return RawMessage(topic=topic, key=record.key, value=record.value, headers=headers)


def _int(text: str | None) -> int | None:
    return int(text) if text is not None and _NUMBER.match(text) else None


def _time(text: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(text) if text else None
    except ValueError:
        return None


def _or_q(value: int | None) -> str:
    return "?" if value is None else str(value)
