"""Operator tooling shared by the command line and the operator console.

One dead-letter model (`DeadLetter`, with a stable id and masked payload), one book that
joins `dlq.<group>` with `operator.actions` (`DeadLetterBook`), and the actions operators
record there (who, when, what, why).
"""

from lienthong.ops.actions import Actor, ActorLike, ReasonRequired
from lienthong.ops.book import DEFAULT_PACE_PER_S, DeadLetterBook, ReplayProgress, ReplayReport
from lienthong.ops.dead_letters import (
    AlreadySettled,
    DeadLetter,
    DeadLetterError,
    DeadLetterId,
    InvalidDeadLetterId,
    NotReplayable,
    Settlement,
    State,
    UnknownDeadLetter,
    masked_payload,
    strip_dead_letter_headers,
)
from lienthong.schemas.operator import DeadLetterDiscarded, DeadLetterReplayed
from lienthong.topics import OPERATOR_ACTIONS

__all__ = [
    "DEFAULT_PACE_PER_S",
    "OPERATOR_ACTIONS",
    "Actor",
    "ActorLike",
    "AlreadySettled",
    "DeadLetter",
    "DeadLetterBook",
    "DeadLetterDiscarded",
    "DeadLetterError",
    "DeadLetterId",
    "DeadLetterReplayed",
    "InvalidDeadLetterId",
    "NotReplayable",
    "ReasonRequired",
    "ReplayProgress",
    "ReplayReport",
    "Settlement",
    "State",
    "UnknownDeadLetter",
    "masked_payload",
    "strip_dead_letter_headers",
]
