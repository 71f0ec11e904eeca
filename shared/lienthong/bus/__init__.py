"""The bus port, its adapters and the shared delivery policy."""

from lienthong.bus.delivery import RetryPolicy
from lienthong.bus.kafka import KafkaBus
from lienthong.bus.memory import InMemoryBus
from lienthong.bus.port import (
    Bus,
    Handler,
    OffsetsSnapshot,
    PartitionLag,
    PermanentError,
    RecordHandler,
    RetryableError,
    Subscription,
    UnknownTopic,
    dlq_topic,
)

__all__ = [
    "Bus",
    "Handler",
    "InMemoryBus",
    "KafkaBus",
    "OffsetsSnapshot",
    "PartitionLag",
    "PermanentError",
    "RecordHandler",
    "RetryPolicy",
    "RetryableError",
    "Subscription",
    "UnknownTopic",
    "dlq_topic",
]
