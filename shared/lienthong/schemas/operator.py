"""What operators did, on `operator.actions` (subject = what they acted on).

Every operator action is a fact: who (the token's subject and role), when, what, and why. A
dead letter's actions are keyed by its id (`<group>-<partition>-<offset>` in `dlq.<group>`);
a dead letter with one of them is settled and no longer offered for replay.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from lienthong.events import Payload, payload
from lienthong.topics import OPERATOR_ACTIONS

Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


class DeadLetterAction(Payload):
    """What every action on a dead letter records about it and about the operator."""

    dead_letter: str = Field(description="the dead letter's id: <group>-<partition>-<offset>")
    group: str = Field(description="the consumer group that dead-lettered the record")
    original_topic: str | None = Field(
        description="where the record was consumed from (absent only for a record written "
        "to the dead-letter topic by hand, without dlq.* headers)"
    )
    original_partition: int | None
    original_offset: int | None
    # Not `event_type`: that name is the payload's own CloudEvents type (`Payload.event_type`).
    original_event_type: str | None = Field(description="ce_type of the record, if it had one")
    event_id: str | None = Field(description="ce_id of the record; absent for a malformed one")
    actor: str = Field(min_length=1, description="who: the subject of the operator's token")
    actor_role: str = Field(min_length=1)
    at: datetime


@payload("operator.dead-letter-replayed", topic=OPERATOR_ACTIONS)
class DeadLetterReplayed(DeadLetterAction):
    """An operator put a dead letter back on the topic it came from (without its dlq.*
    headers), for its consumers to handle again."""

    reason: Reason | None = None


@payload("operator.dead-letter-discarded", topic=OPERATOR_ACTIONS)
class DeadLetterDiscarded(DeadLetterAction):
    """An operator decided a dead letter is not to be replayed (the record stays in the
    dead-letter topic; it is no longer offered)."""

    reason: Reason = Field(description="why: required, so the next operator knows")
