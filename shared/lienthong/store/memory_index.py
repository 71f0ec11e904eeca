"""Hash indexes of the in-memory store, so that the embedded default does not slow down as
dossiers accumulate: an equality on an indexed field reads only the matching documents, as
MongoDB's indexes do, and a unique index is checked by one lookup instead of a scan.

Each declared index `(a, b, …)` keeps a map from the value of its first field to the ids of
the documents holding it (a query may use any equality on a first field), and a unique index
also keeps a map from its whole key to the one id holding it.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

from lienthong.store.port import Document, Filter
from lienthong.store.query import MISSING, field_value

_MISSING_KEY = ("<missing>",)


def frozen(value: Any) -> Hashable:
    """A hashable stand-in for a stored value, equal exactly when the values are equal."""
    if isinstance(value, dict):
        return ("<dict>", tuple((k, frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return ("<list>", tuple(frozen(v) for v in value))
    try:
        hash(value)
    except TypeError:
        return ("<repr>", repr(value))
    hashable: Hashable = value
    return hashable


def _key_of(document: Document, path: str) -> Hashable:
    value = field_value(document, path)
    return _MISSING_KEY if value is MISSING else frozen(value)


class FieldIndex:
    """Ids by the value of one field."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._ids: dict[Hashable, set[str]] = {}

    def add(self, document: Document) -> None:
        self._ids.setdefault(_key_of(document, self.path), set()).add(document["_id"])

    def remove(self, document: Document) -> None:
        key = _key_of(document, self.path)
        ids = self._ids.get(key)
        if ids is not None:
            ids.discard(document["_id"])
            if not ids:
                del self._ids[key]

    def ids_equal_to(self, value: Any) -> set[str]:
        return self._ids.get(frozen(value), set())


class UniqueIndex:
    """The one id holding each key of a unique index."""

    def __init__(self, paths: tuple[str, ...]) -> None:
        self.paths = paths
        self._owner: dict[tuple[Hashable, ...], str] = {}

    def key(self, document: Document) -> tuple[Hashable, ...]:
        return tuple(_key_of(document, p) for p in self.paths)

    def owner(self, document: Document) -> str | None:
        return self._owner.get(self.key(document))

    def add(self, document: Document) -> None:
        self._owner[self.key(document)] = document["_id"]

    def remove(self, document: Document) -> None:
        key = self.key(document)
        if self._owner.get(key) == document["_id"]:
            del self._owner[key]


def equality_value(condition: Any) -> tuple[bool, Any]:
    """(True, v) when a filter condition is a plain equality with v."""
    if isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition):
        if "$eq" in condition:
            return True, condition["$eq"]
        return False, None
    return True, condition


def candidate_ids(filter: Filter | None, indexes: dict[str, FieldIndex]) -> set[str] | None:
    """The ids an indexed equality of the filter narrows the search to (the smallest set),
    or None when no condition of the filter can use an index."""
    best: set[str] | None = None
    for path, condition in (filter or {}).items():
        index = indexes.get(path)
        if index is None:
            continue
        is_equality, value = equality_value(condition)
        if not is_equality:
            continue
        ids = index.ids_equal_to(value)
        if best is None or len(ids) < len(best):
            best = ids
    return best


def index_all(indexes: Iterable[FieldIndex | UniqueIndex], document: Document) -> None:
    for index in indexes:
        index.add(document)


def unindex_all(indexes: Iterable[FieldIndex | UniqueIndex], document: Document) -> None:
    for index in indexes:
        index.remove(document)
