"""What counts as an outage of the store or the broker (as opposed to a bug or bad data).

Consumers wait an outage out instead of dead-lettering what they consume meanwhile; HTTP
routes answer it with 503 and `Retry-After` instead of 500.
"""

from __future__ import annotations

from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError
from pymongo.errors import ConnectionFailure

OUTAGES: tuple[type[BaseException], ...] = (
    ConnectionFailure,  # includes pymongo's timeouts: ServerSelectionTimeoutError, NetworkTimeout
    KafkaConnectionError,
    KafkaTimeoutError,
)


def is_outage(error: BaseException) -> bool:
    """The store or the broker not answering."""
    return isinstance(error, OUTAGES)
