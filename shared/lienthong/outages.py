"""What counts as an outage of the store or the broker (as opposed to a bug or bad data).

Consumers wait an outage out instead of dead-lettering what they consume meanwhile; HTTP
routes answer it with 503 and `Retry-After` instead of 500.
"""

from __future__ import annotations

from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from pymongo.errors import ConnectionFailure

OUTAGES: tuple[type[BaseException], ...] = (
    ConnectionFailure,  # includes pymongo's timeouts: ServerSelectionTimeoutError, NetworkTimeout
    KafkaConnectionError,
    KafkaTimeoutError,
)


def is_outage(error: BaseException) -> bool:
    """The store or the broker not answering, or the broker answering "not now" (a retriable
    error left after the client's own retries: no leader for a partition during a restart)."""
    if isinstance(error, OUTAGES):
        return True
    return isinstance(error, KafkaError) and bool(getattr(error, "retriable", False))
