"""The store port and its adapters."""

from lienthong.store.memory import InMemoryCollection, InMemoryStore
from lienthong.store.mongo import MongoCollection, MongoStore
from lienthong.store.port import (
    VERSION_FIELD,
    Collection,
    Document,
    DuplicateKey,
    Filter,
    SortSpec,
    Store,
)

__all__ = [
    "VERSION_FIELD",
    "Collection",
    "Document",
    "DuplicateKey",
    "Filter",
    "InMemoryCollection",
    "InMemoryStore",
    "MongoCollection",
    "MongoStore",
    "SortSpec",
    "Store",
]
