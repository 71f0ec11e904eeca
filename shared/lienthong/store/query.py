"""Evaluation of the port's query subset in Python, for the in-memory store."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from lienthong.store.port import Document, Filter, SortSpec

_MISSING = object()
MISSING = _MISSING  # what `field_value` returns for an absent path


def field_value(document: Document, path: str) -> Any:
    value: Any = document
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return _MISSING
        value = value[part]
    return value


def _compare(op: str, actual: Any, expected: Any) -> bool:
    if op == "$exists":
        return (actual is not _MISSING) == bool(expected)
    if op == "$eq":
        return actual is not _MISSING and actual == expected
    if op == "$ne":
        return actual is _MISSING or actual != expected
    if op == "$in":
        return actual is not _MISSING and actual in expected
    if op == "$nin":
        return actual is _MISSING or actual not in expected
    if actual is _MISSING or actual is None:
        return False
    try:
        return bool(_ORDERING[op](actual, expected))
    except KeyError:
        raise ValueError(f"unsupported query operator {op}") from None
    except TypeError:
        return False


_ORDERING: dict[str, Callable[[Any, Any], bool]] = {
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
}


def matches(document: Document, filter: Filter | None) -> bool:
    for path, condition in (filter or {}).items():
        actual = field_value(document, path)
        if isinstance(condition, dict) and condition and all(k.startswith("$") for k in condition):
            if not all(_compare(op, actual, expected) for op, expected in condition.items()):
                return False
        elif not _compare("$eq", actual, condition):
            return False
    return True


def _value_at(path: str, document: Document) -> Any:
    return field_value(document, path)


def sort_documents(documents: list[Document], sort: SortSpec) -> list[Document]:
    for path, direction in reversed(list(sort)):
        present = [d for d in documents if field_value(d, path) not in (_MISSING, None)]
        absent = [d for d in documents if field_value(d, path) in (_MISSING, None)]
        present.sort(key=functools.partial(_value_at, path), reverse=direction < 0)
        # MongoDB orders missing/null before any value ascending, after them descending.
        documents = absent + present if direction > 0 else present + absent
    return documents
