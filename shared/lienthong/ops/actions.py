"""Operator actions on dead letters: who did what, when and why, on `operator.actions`.

An action is an event keyed by the dead letter's id. Its id is derived from the dead letter
and the kind of action, so an action recorded twice (a retry after a crash, two operators at
once) carries one id and readers can tell it is the same fact.

Reading: `settlements` reads the whole topic every time. Operator actions are few (a handful
a day, a few thousand after a bad night), which an operator tool can afford; when it no
longer can, a projection fed by a consumer group replaces the read behind the same function.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog
from pydantic import ValidationError

from lienthong.bus import Bus, UnknownTopic
from lienthong.events import (
    Event,
    MalformedEvent,
    RawMessage,
    UnknownEventType,
    decode,
    derived_id,
    new_event,
    parse_payload,
)
from lienthong.ops.dead_letters import DeadLetter, DeadLetterError, Settlement, settles
from lienthong.schemas.operator import DeadLetterDiscarded, DeadLetterReplayed
from lienthong.topics import OPERATOR_ACTIONS

log = structlog.get_logger("lienthong.ops")


class ReasonRequired(DeadLetterError):
    kind = "reason-required"


class ActorLike(Protocol):
    """Whoever acts: an `Actor`, or a verified token's `Principal`."""

    @property
    def subject(self) -> str: ...

    @property
    def role(self) -> str: ...


@dataclass(frozen=True)
class Actor:
    """The operator behind an action: the token's subject (`cli:<user>` on the command line)
    and role."""

    subject: str
    role: str


_REASON_MAX = 2000


def replayed(
    letter: DeadLetter, actor: ActorLike, reason: str | None, at: datetime
) -> DeadLetterReplayed:
    return DeadLetterReplayed(**_about(letter, actor, at), reason=checked_reason(reason))


def discarded(
    letter: DeadLetter, actor: ActorLike, reason: str, at: datetime
) -> DeadLetterDiscarded:
    return DeadLetterDiscarded(**_about(letter, actor, at), reason=required_reason(reason))


def checked_reason(reason: str | None) -> str | None:
    """The reason, stripped; None if blank."""
    text = (reason or "").strip()
    if len(text) > _REASON_MAX:
        raise DeadLetterError(f"a reason is at most {_REASON_MAX} characters")
    return text or None


def required_reason(reason: str | None) -> str:
    """The reason, stripped; refused if blank (a discard says why)."""
    text = checked_reason(reason)
    if text is None:
        raise ReasonRequired("discarding a dead letter needs a reason (--reason TEXT)")
    return text


def check_actor(actor: ActorLike) -> None:
    if not actor.subject or not actor.role:
        raise DeadLetterError("an operator action needs an actor with a subject and a role")


def _about(letter: DeadLetter, actor: ActorLike, at: datetime) -> dict[str, object]:
    check_actor(actor)
    return {
        "dead_letter": letter.id,
        "group": letter.group,
        "original_topic": letter.original_topic,
        "original_partition": letter.original_partition,
        "original_offset": letter.original_offset,
        "original_event_type": letter.event_type,
        "event_id": letter.event_id,
        "actor": actor.subject,
        "actor_role": actor.role,
        "at": at,
    }


def action_event(action: Settlement, source: str) -> Event:
    """The event recording `action`, keyed by the dead letter's id."""
    place = f"{action.dead_letter}@{action.original_topic}:{action.original_partition}"
    return new_event(
        action.event_type,
        action.dead_letter,
        action.model_dump(mode="json"),
        source=source,
        id=derived_id(f"{place}@{action.original_offset}", action.event_type),
        schema_version=action.schema_version,
        time=action.at,
    )


async def settlements(bus: Bus) -> dict[str, list[Settlement]]:
    """Every replay and discard recorded, by dead-letter id, oldest first."""
    try:
        records = await bus.read_topic(OPERATOR_ACTIONS)
    except UnknownTopic:
        return {}
    found: dict[str, list[Settlement]] = {}
    for action in _dead_letter_actions(records):
        found.setdefault(action.dead_letter, []).append(action)
    return found


def settlement_of(letter: DeadLetter, actions: Iterable[Settlement]) -> Settlement | None:
    """The first recorded action taken on this very dead letter (see `settles`)."""
    return next((action for action in actions if settles(action, letter)), None)


def _dead_letter_actions(records: Iterable[RawMessage]) -> Iterable[Settlement]:
    for record in records:
        try:
            event = decode(record)
            action = parse_payload(event)
        except UnknownEventType:
            continue  # another kind of operator action
        except (MalformedEvent, ValidationError) as exc:
            # One bad record must not hide every dead letter from the night shift.
            log.warning(
                "operator_action_unreadable", offset=record.offset, error=type(exc).__name__
            )
            continue
        if isinstance(action, DeadLetterReplayed | DeadLetterDiscarded):
            yield action
